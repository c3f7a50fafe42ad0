import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import { openDatastore, type DatastoreReadOptions } from './ckan.js';
import type { CkanError } from './errors.js';
import type { AllowedHosts } from './http.js';
import type { DatastoreTask, PackageTask, UrlTask } from './tasks.js';
import { openUrlDownload, urlFileName } from './url-source.js';
import { writeDwcArchive } from './writers/dwc.js';
import { writeTableEntry } from './writers/table.js';
import type { DwcExtension, DwcExtensionField } from './writers/types.js';
import { appendEntry } from './writers/zip-entry.js';

/** How packages are built; every field has a default. */
export interface BuildSettings {
  /** Records per CKAN call (`PAGE_SIZE`). Default 5000. */
  pageSize?: number;
  /** Longest wait for one CKAN call. Default 60 s. */
  ckanTimeoutMs?: number;
  /** Further attempts on transient CKAN or file-server failures. Default 3. */
  retries?: number;
  retryBackoffMs?: number;
  /** `resource_url` downloads: longest wait for headers and longest silence. Default 30 s. */
  urlTimeoutMs?: number;
  /** Largest `resource_url` file. Default 4 GiB. */
  maxUrlBytes?: number;
  allowedHosts?: AllowedHosts;
  /** Let hosts the allow-list does not name reach internal addresses (development). Default false. */
  allowPrivateAddresses?: boolean;
  /** Deflate level of the zips, 0 (store) to 9. Default 1: measured, level 6 makes zips ~15% smaller but packs ~20% fewer rows per second. */
  zipLevel?: number;
  /** Scratch space for the Darwin Core files (written in one pass, zipped after). */
  tempDir: string;
  dwc?: DwcSettings;
}

/** The Darwin Core Archive settings (`DWC_*` of the original). */
export interface DwcSettings {
  idField?: string;
  core?: DwcExtension;
  additional?: DwcExtension[];
  dynamicTerm?: string;
  extensionFields?: Record<string, DwcExtensionField>;
  /** EML template used when a request brings none. */
  defaultEml: string;
}

export interface BuildContext {
  signal?: AbortSignal;
  /** Progress, 0 to 100, when the total is known. */
  progress?(percent: number): void;
  /** Notes for the job log (retries). */
  log?(message: string): void;
}

/** What went into a zip. */
export interface BuildResult {
  /** Data rows (datastore), or bytes (file). */
  count: number;
  /** Files at the zip's root. */
  entries: string[];
}

/**
 * Builds the zip of a task at `outputPath`: datastore rows streamed from CKAN through a
 * writer into the zip, or a file streamed from its URL. Nothing is held whole in memory. On
 * failure the partial file is left for the caller to delete (see `PackageStore.publish`).
 */
export async function buildPackage(
  task: PackageTask,
  outputPath: string,
  settings: BuildSettings,
  context: BuildContext = {},
): Promise<BuildResult> {
  const archive = new ZipArchive({ zlib: { level: settings.zipLevel ?? 1 } });
  const writing = pipeline(archive, createWriteStream(outputPath));
  // A failure in the writer shows up on both sides; the pipeline's copy is awaited below.
  writing.catch(() => undefined);
  try {
    const result =
      task.kind === 'url'
        ? await addUrlFile(archive, task, settings, context)
        : await addDatastore(archive, task, settings, context);
    await archive.finalize();
    await writing;
    return result;
  } catch (error) {
    archive.abort();
    await writing.catch(() => undefined);
    throw error;
  }
}

function onRetry(context: BuildContext) {
  return (error: CkanError, attempt: number, delayMs: number) =>
    context.log?.(`${error.message}; retry ${attempt} in ${delayMs} ms`);
}

async function addDatastore(
  archive: ZipArchive,
  task: DatastoreTask,
  settings: BuildSettings,
  context: BuildContext,
): Promise<BuildResult> {
  const readOptions: DatastoreReadOptions = {
    ...(settings.pageSize === undefined ? {} : { pageSize: settings.pageSize }),
    ...(settings.ckanTimeoutMs === undefined ? {} : { timeoutMs: settings.ckanTimeoutMs }),
    ...(settings.retries === undefined ? {} : { retries: settings.retries }),
    ...(settings.retryBackoffMs === undefined ? {} : { retryBackoffMs: settings.retryBackoffMs }),
    ...(context.signal === undefined ? {} : { signal: context.signal }),
    allowedHosts: settings.allowedHosts,
    ...(settings.allowPrivateAddresses === undefined
      ? {}
      : { allowPrivateAddresses: settings.allowPrivateAddresses }),
    onRetry: onRetry(context),
  };
  const reader = await openDatastore(
    {
      apiUrl: task.apiUrl,
      resourceId: task.resourceId,
      ...pick(task, [
        'filters',
        'q',
        'plain',
        'language',
        'fields',
        'sort',
        'offset',
        'limit',
        'key',
      ]),
    },
    readOptions,
  );
  const fields = reader.fields.map((field) => ({ ...field }));
  const records = withProgress(reader.pages(), reader.expectedRecords, context);
  const signalOption = context.signal === undefined ? {} : { signal: context.signal };
  if (task.kind === 'dwc') {
    const dwc = settings.dwc;
    if (dwc === undefined) throw new Error('Darwin Core settings are missing');
    const tempDir = await mkdtemp(join(settings.tempDir, 'dwc-'));
    try {
      const written = await writeDwcArchive(archive, fields, records, {
        ...(dwc.idField === undefined ? {} : { idField: dwc.idField }),
        ...(dwc.core === undefined ? {} : { core: dwc.core }),
        ...(dwc.additional === undefined ? {} : { additional: dwc.additional }),
        ...(dwc.dynamicTerm === undefined ? {} : { dynamicTerm: dwc.dynamicTerm }),
        ...(dwc.extensionFields === undefined ? {} : { extensionFields: dwc.extensionFields }),
        eml: task.eml ?? dwc.defaultEml,
        forGbif: task.forGbif ?? false,
        tempDir,
        ...signalOption,
      });
      return { count: written.rows, entries: written.files };
    } finally {
      await rm(tempDir, { recursive: true, force: true });
    }
  }
  const name = `resource.${task.format}`;
  const written = await writeTableEntry(archive, task.format, fields, records, {
    name,
    ...signalOption,
  });
  return { count: written.rows, entries: [name] };
}

async function addUrlFile(
  archive: ZipArchive,
  task: UrlTask,
  settings: BuildSettings,
  context: BuildContext,
): Promise<BuildResult> {
  const url = new URL(task.resourceUrl);
  const download = await openUrlDownload(url, {
    ...(settings.urlTimeoutMs === undefined ? {} : { timeoutMs: settings.urlTimeoutMs }),
    ...(settings.maxUrlBytes === undefined ? {} : { maxBytes: settings.maxUrlBytes }),
    ...(settings.retries === undefined ? {} : { retries: settings.retries }),
    ...(settings.retryBackoffMs === undefined ? {} : { retryBackoffMs: settings.retryBackoffMs }),
    ...(task.key === undefined ? {} : { key: task.key }),
    ...(context.signal === undefined ? {} : { signal: context.signal }),
    allowedHosts: settings.allowedHosts,
    ...(settings.allowPrivateAddresses === undefined
      ? {}
      : { allowPrivateAddresses: settings.allowPrivateAddresses }),
    onRetry: onRetry(context),
  });
  const name = urlFileName(url, task.resourceId);
  let bytes = 0;
  download.stream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (download.contentLength) context.progress?.((100 * bytes) / download.contentLength);
  });
  const entry = appendEntry(archive, download.stream, name);
  let streamError: Error | undefined;
  const streamFailed = new Promise<never>((_, reject) =>
    download.stream.once('error', (error) => {
      streamError = error;
      reject(error);
    }),
  );
  streamFailed.catch(() => undefined);
  try {
    await Promise.race([entry.done, entry.failed, streamFailed]);
  } catch (error) {
    throw streamError ?? error;
  } finally {
    entry.dispose();
  }
  return { count: bytes, entries: [name] };
}

// Progress is counted per page, so the per-record path stays one generator deep.
async function* withProgress(
  pages: AsyncIterable<Record<string, unknown>[]>,
  expected: number | undefined,
  context: BuildContext,
): AsyncGenerator<Record<string, unknown>, void, undefined> {
  let count = 0;
  for await (const page of pages) {
    yield* page;
    count += page.length;
    if (expected !== undefined && expected > 0)
      context.progress?.(Math.min(99, (100 * count) / expected));
  }
}

function pick<T extends object, K extends keyof T>(
  object: T,
  keys: readonly K[],
): Partial<Pick<T, K>> {
  const result: Partial<Pick<T, K>> = {};
  for (const key of keys) if (object[key] !== undefined) result[key] = object[key];
  return result;
}
