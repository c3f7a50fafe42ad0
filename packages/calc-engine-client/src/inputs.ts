// Checking what callers pass, and encoding it as the engine's requests take it: ids, counts,
// download targets, times, extract paths, and the multipart form of a run.
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { InvalidInputError } from '@geoworks/errors';
import { isRecord } from './normalize.js';
import type { ExtractQuery, FileInput, RunArchiveInput, RunInput } from './types.js';

export function checkId(id: unknown, what = 'job id'): asserts id is number {
  if (!(typeof id === 'number' && Number.isSafeInteger(id) && id >= 0)) {
    throw new InvalidInputError(`The ${what} must be a non-negative integer, not ${String(id)}`);
  }
}

export function count(value: unknown, what: string): number {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) {
    throw new InvalidInputError(`${what} must be a non-negative integer, not ${String(value)}`);
  }
  return value;
}

export function checkTarget(options: { to?: unknown } | undefined): void {
  const to = options?.to;
  const writable =
    typeof to === 'object' &&
    to !== null &&
    typeof (to as { write?: unknown }).write === 'function';
  if (!((typeof to === 'string' && to !== '') || writable)) {
    throw new InvalidInputError('`to` must be a file or directory path, or a Writable stream');
  }
}

/** The engine compares `start_time` as text with `YYYY-MM-DD HH:MM:SS` (UTC) values. */
export function engineTime(value: Date | string): string {
  if (typeof value === 'string') return value;
  if (Number.isNaN(value.getTime())) throw new InvalidInputError('startTime is an invalid Date');
  return value.toISOString().slice(0, 19).replace('T', ' ');
}

export function extractTarget(
  id: number,
  what: string,
  query: ExtractQuery | undefined,
): { path: string; params: URLSearchParams } {
  if (typeof what !== 'string' || what.trim() === '') {
    throw new InvalidInputError('extract needs what to extract, such as "hcurves"');
  }
  const mark = what.indexOf('?');
  const name = mark < 0 ? what : what.slice(0, mark);
  const params = new URLSearchParams(mark < 0 ? '' : what.slice(mark + 1));
  if (!/^[-/_.\w]+$/.test(name) || name.split('/').some((part) => part === '.' || part === '..')) {
    throw new InvalidInputError(`Cannot extract "${name}": use letters, digits, - _ . and /`);
  }
  if (query !== undefined) {
    const extra =
      typeof query === 'string' || query instanceof URLSearchParams
        ? new URLSearchParams(query)
        : entriesOf(query);
    for (const [key, value] of extra) params.append(key, value);
  }
  const path = name
    .split('/')
    .filter((segment) => segment !== '')
    .map(encodeURIComponent)
    .join('/');
  return { path: `v1/calc/${id}/extract/${path}`, params };
}

function entriesOf(query: Exclude<ExtractQuery, string | URLSearchParams>): [string, string][] {
  const entries: [string, string][] = [];
  for (const [key, value] of Object.entries(query)) {
    const values: readonly (string | number | boolean)[] = Array.isArray(value)
      ? (value as readonly (string | number | boolean)[])
      : [value as string | number | boolean];
    for (const item of values) entries.push([key, String(item)]);
  }
  return entries;
}

interface NamedBlob {
  name: string;
  blob: Blob;
}

/** A path (read lazily from disk, never loaded whole), bytes, or `{name, content}`. */
export async function fileOf(
  file: FileInput | Uint8Array | { name: string; content: string | Uint8Array | Blob },
  defaultName: string,
  what: string,
): Promise<NamedBlob> {
  if (typeof file === 'string') {
    try {
      return { name: basename(file), blob: await openAsBlob(file) };
    } catch (error) {
      throw new InvalidInputError(`Cannot read the ${what} ${file}: ${messageOf(error)}`, {
        code: 'UNREADABLE_FILE',
        cause: error,
      });
    }
  }
  if (file instanceof Uint8Array) return { name: defaultName, blob: blobOf(file) };
  if (isRecord(file) && typeof file.name === 'string' && file.name !== '') {
    const { content } = file;
    if (typeof content === 'string' || content instanceof Uint8Array || content instanceof Blob) {
      return { name: basename(file.name), blob: blobOf(content) };
    }
  }
  throw new InvalidInputError(`The ${what} must be a path or { name, content }`);
}

function blobOf(content: string | Uint8Array | Blob): Blob {
  if (content instanceof Blob) return content;
  if (typeof content === 'string') return new Blob([content]);
  return new Blob([content as Uint8Array<ArrayBuffer>]);
}

function isArchiveInput(input: RunInput): input is RunArchiveInput {
  return 'archive' in input && input.archive !== undefined;
}

export async function runForm(input: RunInput): Promise<FormData> {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidInputError('run() needs { jobIni, inputs } or { archive }');
  }
  const form = new FormData();
  if (isArchiveInput(input)) {
    const archive = await fileOf(input.archive, 'job.zip', 'archive');
    form.append('archive', archive.blob, archive.name);
    if (input.jobIni !== undefined) {
      if (typeof input.jobIni !== 'string' || input.jobIni === '') {
        throw new InvalidInputError('With an archive, jobIni is the name of the ini inside it');
      }
      form.append('job_ini', input.jobIni);
    }
  } else if (input.jobIni !== undefined) {
    const ini = await fileOf(input.jobIni, 'job.ini', 'job.ini');
    const inputs = input.inputs ?? [];
    if (!Array.isArray(inputs)) throw new InvalidInputError('inputs must be a list of files');
    const files = [ini];
    for (const item of inputs) files.push(await fileOf(item, 'input', 'input file'));
    const names = new Set<string>();
    for (const file of files) {
      // The server keeps one file per name: a second one would silently replace the first.
      if (names.has(file.name)) {
        throw new InvalidInputError(`Two files are named ${file.name}; use an archive instead`);
      }
      names.add(file.name);
    }
    form.append('job_config', ini.blob, ini.name);
    files.slice(1).forEach((file, index) => {
      form.append(`input_model_${index + 1}`, file.blob, file.name);
    });
    form.append('job_ini', ini.name);
  } else {
    throw new InvalidInputError('run() needs { jobIni, inputs } or { archive }');
  }
  if (input.hazardJobId !== undefined) {
    checkId(input.hazardJobId, 'hazardJobId');
    form.append('hazard_job_id', String(input.hazardJobId));
  }
  return form;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
