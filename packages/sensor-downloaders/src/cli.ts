#!/usr/bin/env node
// sensor-download: search and download scenes from the command line.
import cliProgress from 'cli-progress';
import {
  defineCli,
  packageVersion,
  UsageError,
  type CliIo,
  type OptionValues,
} from '@geoworks/cli';
import type { StringField } from '@geoworks/config';
import { AggregateSensorApi } from './aggregate.js';
import { BulkDownloader, type BulkSummary } from './bulk.js';
import { createInstance, SENSOR_NAMES, SENSOR_REGISTRY, type Credentials } from './registry.js';
import type { Scene, SceneQuery } from './search.js';

const USAGE = `Usage:
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
    -h, --help             this text
    --version              the version of sensor-download

Exit status: 0 done, 1 failed (or some scenes failed), 2 bad usage, 130 cancelled.`;

/**
 * The credentials as settings: each registry keyword (`copernicus_username`) from its upper-case
 * variable, else the config file's key of the same name.
 */
const CREDENTIALS: Readonly<Record<string, StringField & { optional: true }>> = Object.fromEntries(
  [
    ...new Set(
      Object.values(SENSOR_REGISTRY).flatMap((entry) => [
        ...entry.required.flatMap((key) => key.split('|')),
        ...entry.optional,
      ]),
    ),
  ].map((keyword) => [
    keyword,
    {
      env: keyword.toUpperCase(),
      type: 'string' as const,
      optional: true as const,
      secret: /password|token|key|totp/.test(keyword),
      description: `"${keyword}" in the config file`,
    },
  ]),
);

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

const OPTIONS = {
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
} as const;

type Values = OptionValues<typeof OPTIONS>;

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
      throw new UsageError('No provider has credentials: see "Settings" below');
    return aggregate;
  }
  return createInstance(provider, credentials);
}

const megabytes = (bytes: number | undefined) =>
  bytes === undefined ? '?' : `${(bytes / 1e6).toFixed(1)} MB`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return (
    rows
      .map((row) =>
        row
          .map((cell, column) => cell.padEnd(widths[column]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export const sensorDownload = defineCli({
  name: 'sensor-download',
  version: packageVersion(new URL('../package.json', import.meta.url)),
  usage: USAGE,
  options: OPTIONS,
  config: { schema: CREDENTIALS, file: { flag: 'config', env: 'SENSOR_DOWNLOAD_CONFIG' } },
  commands: {
    providers: {
      run({ io }) {
        const rows = [['provider', 'credentials', 'platforms']];
        for (const [name, entry] of Object.entries(SENSOR_REGISTRY))
          rows.push([
            name,
            entry.required.join(', ') || '(optional)',
            entry.platformNames().join(', '),
          ]);
        io.stdout.write(table(rows));
      },
    },
    search: {
      run: ({ values, settings, io, interruptible }) =>
        interruptible(async (signal) => {
          const api = searcher(values, settings);
          try {
            return await printSearch(
              io,
              api.scenes({ ...query(values), signal }),
              values.json === true,
            );
          } finally {
            await api.close();
          }
        }),
    },
    get: {
      run: ({ values, settings, io, interruptible }) =>
        interruptible(async (signal) => {
          const search = { ...query(values), signal };
          if (values.outdir === undefined || values.outdir === '')
            throw new UsageError('get: -o/--outdir is required');
          const api = searcher(values, settings);
          try {
            return await download(io, api.scenes(search), values, signal);
          } finally {
            await api.close();
          }
        }),
    },
  },
});

async function printSearch(
  io: CliIo,
  scenes: AsyncIterable<Scene>,
  json: boolean,
): Promise<number> {
  const found: Scene[] = [];
  for await (const scene of scenes) found.push(scene);
  if (json) {
    io.stdout.write(
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
  io.stdout.write(table(rows));
  io.stdout.write(`${found.length} scene(s)\n`);
  return 0;
}

async function download(
  io: CliIo,
  scenes: AsyncIterable<Scene>,
  values: Values,
  signal: AbortSignal,
): Promise<number> {
  const bulk = new BulkDownloader(scenes);
  // Bars move the cursor: only on a real terminal stream.
  const terminal = io.stderr as Partial<NodeJS.WriteStream>;
  const bars =
    terminal.isTTY === true && typeof terminal.cursorTo === 'function'
      ? new cliProgress.MultiBar(
          {
            format: ' {bar} {percentage}% | {scene} | {value}/{total} MB',
            hideCursor: true,
            clearOnComplete: false,
            stream: terminal as NodeJS.WriteStream,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  const sceneBars = new Map<string, cliProgress.SingleBar>();
  const lastLine = new Map<string, number>();
  bulk.on('activating', (scene) =>
    io.stderr.write(`${scene.sceneId}: waiting for ${scene.provider} to prepare it\n`),
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
      io.stderr.write(
        `${progress.sceneId}: ${megabytes(progress.sceneBytes)} of ${megabytes(total)}\n`,
      );
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
      signal,
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
    io.stdout.write(
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
    io.stdout.write(table(rows));
    io.stdout.write(
      `${summary.results.length} downloaded, ${summary.failed.length} failed, ${megabytes(summary.bytes)} in ${summary.seconds.toFixed(1)} s\n`,
    );
  }
  return summary.failed.length > 0 ? 1 : 0;
}

await sensorDownload.main(import.meta.url);
