#!/usr/bin/env node
// sensor-download: search and download scenes from the command line.
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { isGeoworksError } from '@geoworks/errors';
import { AggregateSensorApi } from './aggregate.js';
import { BulkDownloader, type BulkSummary } from './bulk.js';
import { DownloadCancelled } from './errors.js';
import { createInstance, SENSOR_NAMES, SENSOR_REGISTRY, type Credentials } from './registry.js';
import type { Scene, SceneQuery } from './search.js';

export const USAGE = `Usage:
    sensor-download search --provider NAME --platform NAME [--aoi AOI] [--start DATE] [--end DATE]
                           [--cloud-min N] [--cloud-max N] [--max-items N] [--option key=value ...] [--json]
    sensor-download get    (the search options) -o OUTDIR [--concurrency N] [--overwrite] [--extract]
                           [--fail-fast] [--activation-wait SECONDS]
    sensor-download providers

Options:
    --provider NAME        ${SENSOR_NAMES.join(', ')}, or "all" (every provider with credentials)
    --platform NAME        a platform of the provider (repeatable); see "providers"
    --aoi AOI              WKT, GeoJSON text, or a .geojson/.json/.shp/.zip file
    --start, --end DATE    YYYY-MM-DD or an ISO 8601 date and time (UTC)
    --cloud-min/-max N     cloud cover in percent
    --max-items N          stop after N scenes
    --option key=value     a provider option (e.g. shortName=MOD09GA, productType=S2MSI2A)
    --json                 JSON output
    -o, --outdir DIR       where scenes are written
    --config FILE          credentials as JSON keywords (default $SENSOR_DOWNLOAD_CONFIG)
    -h, --help             this text

Credentials come from --config, else the environment: the keywords in upper case
(CMR_USERNAME, CMR_PASSWORD, CMR_TOKEN, COPERNICUS_USERNAME, COPERNICUS_PASSWORD, USGS_USERNAME,
USGS_TOKEN, PLANET_API_KEY, and endpoint overrides such as COPERNICUS_CATALOGUE_URL).

Exit status: 0 done, 1 failed (or some scenes failed), 2 bad usage, 130 cancelled.
`;

export interface SensorCliIo {
  out(text: string): void;
  err(text: string): void;
  isTty: boolean;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** The terminal progress bars are drawn on (they move the cursor: a real TTY stream). */
  terminal?: NodeJS.WriteStream;
}

class UsageError extends Error {}

const defaultIo: SensorCliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTty: process.stderr.isTTY === true,
  env: process.env,
  terminal: process.stderr,
};

/** Credential keywords from a JSON config file, else from upper-case environment variables. */
export function loadCredentials(
  env: NodeJS.ProcessEnv,
  configFile: string | undefined,
): Credentials {
  const file = configFile ?? env.SENSOR_DOWNLOAD_CONFIG;
  if (file !== undefined && file !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new UsageError(`Cannot read the credentials file ${file}: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new UsageError(`${file} must hold a JSON object of credential keywords`);
    return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
  }
  const keywords = new Set(
    Object.values(SENSOR_REGISTRY).flatMap((entry) => [
      ...entry.required.flatMap((key) => key.split('|')),
      ...entry.optional,
    ]),
  );
  return Object.fromEntries(
    [...keywords]
      .map((key) => [key, env[key.toUpperCase()]])
      .filter(([, value]) => value !== undefined && value !== ''),
  );
}

function parseDate(text: string | undefined, flag: string): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(date.getTime()))
    throw new UsageError(`${flag} must be a date such as 2019-05-11, not "${text}"`);
  return date;
}

function parseNumber(text: string | undefined, flag: string, integer = false): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${flag} must be a ${integer ? 'whole number' : 'number'}, not "${text}"`);
  }
  return value;
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      provider: { type: 'string' },
      platform: { type: 'string', multiple: true },
      aoi: { type: 'string' },
      start: { type: 'string' },
      end: { type: 'string' },
      'cloud-min': { type: 'string' },
      'cloud-max': { type: 'string' },
      'max-items': { type: 'string' },
      option: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      outdir: { type: 'string', short: 'o' },
      concurrency: { type: 'string' },
      overwrite: { type: 'boolean' },
      extract: { type: 'boolean' },
      'fail-fast': { type: 'boolean' },
      'activation-wait': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (positionals.length > 1) throw new UsageError(`Unexpected argument "${positionals[1]}"`);
  return { command: positionals[0], values };
}

type Values = ReturnType<typeof parse>['values'];

function query(values: Values): SceneQuery {
  const options: Record<string, string> = {};
  for (const pair of values.option ?? []) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new UsageError(`--option takes key=value, not "${pair}"`);
    options[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  const result: SceneQuery = { ...options };
  if (values.platform !== undefined) result.platformName = values.platform;
  if (values.aoi !== undefined)
    result.aoi =
      values.aoi.trim().startsWith('{') || /^[A-Za-z]+\s*\(/.test(values.aoi.trim())
        ? values.aoi
        : { file: values.aoi };
  const start = parseDate(values.start, '--start');
  const end = parseDate(values.end, '--end');
  if (start !== undefined) result.startDate = start;
  if (end !== undefined) result.endDate = end;
  const cloudMin = parseNumber(values['cloud-min'], '--cloud-min');
  const cloudMax = parseNumber(values['cloud-max'], '--cloud-max');
  const maxItems = parseNumber(values['max-items'], '--max-items', true);
  if (cloudMin !== undefined) result.cloudMin = cloudMin;
  if (cloudMax !== undefined) result.cloudMax = cloudMax;
  if (maxItems !== undefined) result.maxItems = maxItems;
  return result;
}

/** The provider (or all of them) the options name. */
function searcher(
  values: Values,
  credentials: Credentials,
): { scenes(query: SceneQuery): AsyncIterable<Scene>; close(): Promise<void> } {
  const provider = values.provider;
  if (provider === undefined || provider === '') throw new UsageError('--provider is required');
  if (provider.toLowerCase() === 'all') {
    const aggregate = new AggregateSensorApi(credentials);
    if (aggregate.apis.length === 0)
      throw new UsageError('No provider has credentials: see "Credentials" below');
    return aggregate;
  }
  return createInstance(provider, credentials);
}

const pad = (text: string, width: number) =>
  text.length >= width ? text : text + ' '.repeat(width - text.length);
const megabytes = (bytes: number | undefined) =>
  bytes === undefined ? '?' : `${(bytes / 1e6).toFixed(1)} MB`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return (
    rows
      .map((row) =>
        row
          .map((cell, column) => pad(cell, widths[column]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** Runs the command line; resolves with the exit status. */
export async function runSensorDownload(
  argv: string[],
  io: SensorCliIo = defaultIo,
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { command, values } = parsed;
  if (values.help === true) {
    io.out(USAGE);
    return 0;
  }
  let api: ReturnType<typeof searcher> | undefined;
  try {
    if (command === 'providers') {
      const rows = [['provider', 'credentials', 'platforms']];
      for (const [name, entry] of Object.entries(SENSOR_REGISTRY))
        rows.push([
          name,
          entry.required.join(', ') || '(optional)',
          entry.platformNames().join(', '),
        ]);
      io.out(table(rows));
      return 0;
    }
    if (command !== 'search' && command !== 'get')
      throw new UsageError(
        command === undefined ? 'A command is required' : `Unknown command "${command}"`,
      );
    const search = query(values);
    if (io.signal !== undefined) search.signal = io.signal;
    if (command === 'get' && (values.outdir === undefined || values.outdir === ''))
      throw new UsageError('get: -o/--outdir is required');
    api = searcher(values, loadCredentials(io.env, values.config));
    const scenes = api.scenes(search);
    if (command === 'search') return await printSearch(io, scenes, values.json === true);
    return await download(io, scenes, values);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof DownloadCancelled) {
      io.err('Cancelled.\n');
      return 130;
    }
    io.err(
      `${isGeoworksError(error) || error instanceof Error ? (error as Error).message : String(error)}\n`,
    );
    return isGeoworksError(error) && error.kind === 'invalid-input' ? 2 : 1;
  } finally {
    await api?.close();
  }
}

async function printSearch(
  io: SensorCliIo,
  scenes: AsyncIterable<Scene>,
  json: boolean,
): Promise<number> {
  const found: Scene[] = [];
  for await (const scene of scenes) found.push(scene);
  if (json) {
    io.out(
      `${JSON.stringify(
        found.map((scene) => scene.toJSON()),
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  const rows = [['scene', 'provider', 'platform', 'acquired', 'cloud %', 'size']];
  for (const scene of found) {
    rows.push([
      scene.sceneId,
      scene.provider,
      scene.platformName,
      scene.acqDate.toISOString().slice(0, 19).replace('T', ' '),
      scene.cloudCoverPercentage === null ? '-' : scene.cloudCoverPercentage.toFixed(1),
      megabytes(scene.size),
    ]);
  }
  io.out(table(rows));
  io.out(`${found.length} scene(s)\n`);
  return 0;
}

async function download(
  io: SensorCliIo,
  scenes: AsyncIterable<Scene>,
  values: Values,
): Promise<number> {
  const bulk = new BulkDownloader(scenes);
  const bars =
    io.isTty && io.terminal !== undefined
      ? new cliProgress.MultiBar(
          {
            format: ' {bar} {percentage}% | {scene} | {value}/{total} MB',
            hideCursor: true,
            clearOnComplete: false,
            stream: io.terminal,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  const sceneBars = new Map<string, cliProgress.SingleBar>();
  const lastLine = new Map<string, number>();
  bulk.on('activating', (scene) =>
    io.err(`${scene.sceneId}: waiting for ${scene.provider} to prepare it\n`),
  );
  bulk.on('progress', (progress) => {
    const total = progress.sceneTotal ?? progress.total;
    const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
    if (bars !== undefined) {
      let bar = sceneBars.get(progress.sceneId);
      if (bar === undefined)
        sceneBars.set(
          progress.sceneId,
          (bar = bars.create(mb(total ?? 0), 0, { scene: progress.sceneId })),
        );
      bar.setTotal(mb(total ?? progress.sceneBytes));
      bar.update(mb(progress.sceneBytes), { scene: progress.sceneId });
      return;
    }
    // Without a terminal: a line per scene every 10 %.
    const tenth = total === undefined ? 0 : Math.floor((10 * progress.sceneBytes) / total);
    if ((lastLine.get(progress.sceneId) ?? -1) < tenth) {
      lastLine.set(progress.sceneId, tenth);
      io.err(`${progress.sceneId}: ${megabytes(progress.sceneBytes)} of ${megabytes(total)}\n`);
    }
  });
  let summary: BulkSummary;
  try {
    const concurrency = parseNumber(values.concurrency, '--concurrency', true);
    const wait = parseNumber(values['activation-wait'], '--activation-wait');
    summary = await bulk.downloadAll(values.outdir!, {
      overwrite: values.overwrite === true,
      extract: values.extract === true,
      skipError: values['fail-fast'] !== true,
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(wait === undefined ? {} : { activationWaitMs: wait * 1000 }),
      ...(io.signal === undefined ? {} : { signal: io.signal }),
    });
  } finally {
    bars?.stop();
  }
  const rows = [['scene', 'status', 'size', 'detail']];
  for (const result of summary.results) {
    rows.push([
      result.sceneId,
      result.skipped.length === result.outFiles.length && result.outFiles.length > 0
        ? 'kept'
        : 'done',
      megabytes(result.bytes),
      result.outFiles.join(', '),
    ]);
  }
  for (const failure of summary.failed)
    rows.push([failure.sceneId, 'FAILED', '-', failure.error.message]);
  if (values.json === true) {
    io.out(
      `${JSON.stringify(
        {
          results: summary.results.map((result) => ({
            sceneId: result.sceneId,
            files: result.outFiles,
            archives: result.archives,
            bytes: result.bytes,
          })),
          failed: summary.failed,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    io.out(table(rows));
    io.out(
      `${summary.results.length} downloaded, ${summary.failed.length} failed, ${megabytes(summary.bytes)} in ${summary.seconds.toFixed(1)} s\n`,
    );
  }
  return summary.failed.length > 0 ? 1 : 0;
}

// Run only as a program (also through the bin symlink), not when imported.
const invoked = process.argv[1] === undefined ? undefined : realpathSync(process.argv[1]);
if (invoked === fileURLToPath(import.meta.url)) {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.exitCode = await runSensorDownload(process.argv.slice(2), {
    ...defaultIo,
    signal: controller.signal,
  });
}
