import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';
import { JobTypeDefinitionError, UnknownJobTypeError } from './errors.js';
import type { InlineJobType, IsolatedJobType, JobType } from './types.js';

const TYPE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;

/** Declares a job type. Identity function with checks, so definitions are typed at the call. */
export function defineJobType<Payload, Result>(
  definition: InlineJobType<Payload, Result>,
): InlineJobType<Payload, Result>;
export function defineJobType<Payload>(
  definition: IsolatedJobType<Payload>,
): IsolatedJobType<Payload>;
export function defineJobType(definition: JobType): JobType {
  checkDefinition(definition);
  return definition;
}

function checkDefinition(definition: JobType): void {
  if (typeof definition.type !== 'string' || !TYPE_NAME.test(definition.type)) {
    throw new JobTypeDefinitionError(
      `Job type name ${JSON.stringify(definition.type)} must be 1-100 letters, digits, "_", ".", ":" or "-"`,
    );
  }
  if (definition.isolation === 'thread' || definition.isolation === 'process') {
    const module = definition.module;
    if (
      !(module instanceof URL) &&
      (typeof module !== 'string' || !isAbsolute(module)) &&
      !isUrl(module)
    ) {
      throw new JobTypeDefinitionError(
        `Job type "${definition.type}": module must be a file URL or an absolute path (got ${String(module)})`,
      );
    }
    if (definition.maxJobsPerWorker !== undefined && !(definition.maxJobsPerWorker >= 1)) {
      throw new JobTypeDefinitionError(
        `Job type "${definition.type}": maxJobsPerWorker must be >= 1`,
      );
    }
  } else if (typeof (definition as InlineJobType).handler !== 'function') {
    throw new JobTypeDefinitionError(
      `Job type "${definition.type}": an inline job type needs a handler function`,
    );
  }
  if (definition.timeoutMs !== undefined && !(definition.timeoutMs > 0)) {
    throw new JobTypeDefinitionError(`Job type "${definition.type}": timeoutMs must be > 0`);
  }
  if (
    definition.attempts !== undefined &&
    !(Number.isInteger(definition.attempts) && definition.attempts >= 1)
  ) {
    throw new JobTypeDefinitionError(
      `Job type "${definition.type}": attempts must be an integer >= 1`,
    );
  }
}

function isUrl(value: unknown): boolean {
  return typeof value === 'string' && /^file:\/\//.test(value);
}

/** The module specifier a worker imports: always a file URL string. */
export function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  return isUrl(module) ? module : pathToFileURL(module).href;
}

export class JobTypeRegistry {
  readonly #types = new Map<string, JobType>();

  constructor(types: readonly JobType[]) {
    for (const definition of types) {
      checkDefinition(definition);
      if (this.#types.has(definition.type)) {
        throw new JobTypeDefinitionError(`Job type "${definition.type}" is defined twice`);
      }
      this.#types.set(definition.type, definition);
    }
  }

  get(type: string): JobType {
    const definition = this.#types.get(type);
    if (definition === undefined) throw new UnknownJobTypeError(type, this.names());
    return definition;
  }

  names(): string[] {
    return [...this.#types.keys()];
  }

  all(): JobType[] {
    return [...this.#types.values()];
  }
}
