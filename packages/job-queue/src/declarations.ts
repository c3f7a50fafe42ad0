import { defineJobType } from './job-types.js';
import type { JobContext, JobHandler, JobType } from './types.js';

/** What a job type's payload and result are, carried by its declaration for the compiler. */
export interface JobDeclaration<Payload = unknown, Result = unknown> {
  /** Builds the job type once its name (its key in the declarations) is known. */
  build(type: string, handler?: JobHandler<Payload, Result>): JobType;
  /** True when the handler is given when the queue opens (it needs the running service). */
  readonly inline: boolean;
  /** Never set: only the compiler reads it. */
  readonly types?: { payload: Payload; result: Result };
}

/** A service's job types by name. */
export type JobDeclarations = Record<string, JobDeclaration>;

export type PayloadOf<D> = D extends { readonly types?: { payload: infer P } } ? P : never;
export type ResultOf<D> = D extends { readonly types?: { result: infer R } } ? R : never;

/** The names of the declarations whose handler is given at open. */
export type InlineNames<J extends JobDeclarations> = {
  [K in keyof J]: J[K] extends InlineJobDeclaration<unknown, unknown> ? K : never;
}[keyof J];

export interface InlineJobDeclaration<Payload, Result> extends JobDeclaration<Payload, Result> {
  readonly inline: true;
}

interface JobOptions {
  /** Default queue of the type. */
  queue?: string;
  timeoutMs?: number;
  attempts?: number;
}

interface IsolatedJobOptions extends JobOptions {
  isolation: 'thread' | 'process';
  /** Jobs a worker runs before it is replaced; 1: a fresh worker per job. */
  maxJobsPerWorker?: number;
}

// Any function taking a payload (and a context) can be a handler; its types are read from it.
type HandlerFunction = (payload: never, context: JobContext) => unknown;

/**
 * The exports of one handler module, to declare isolated job types by reference: the export
 * name is checked against the module's type at compile time, and the job's payload and result
 * types are the handler's own.
 *
 * ```ts
 * import type * as handlers from './handlers.js';
 * const module = handlerModule<typeof handlers>(siblingModule(import.meta.url, 'handlers'));
 * export const jobs = { intersection: module.job('computeIntersection', { isolation: 'process' }) };
 * ```
 */
export function handlerModule<Module>(url: URL | string) {
  return {
    job<Name extends keyof Module & string>(
      exportName: Name,
      options: IsolatedJobOptions,
    ): JobDeclaration<HandlerPayload<Module[Name]>, HandlerResult<Module[Name]>> {
      return {
        inline: false,
        build: (type: string) => defineJobType({ type, module: url, exportName, ...options }),
      };
    },
  };
}

type HandlerPayload<F> = F extends HandlerFunction ? Parameters<F>[0] : never;
type HandlerResult<F> = F extends HandlerFunction ? Awaited<ReturnType<F>> : never;

/**
 * A job type run on the service's own event loop (I/O-bound work), whose handler is given
 * when the queue opens, so that it can use the service it belongs to.
 */
export function inlineJob<Payload, Result>(
  options: JobOptions = {},
): InlineJobDeclaration<Payload, Result> {
  return {
    inline: true,
    build: (type: string, handler?: JobHandler<Payload, Result>) => {
      if (handler === undefined) {
        throw new TypeError(`Job type "${type}" is inline: give its handler when opening`);
      }
      return defineJobType<Payload, Result>({ type, handler, ...options });
    },
  };
}
