import { AbortedError, InvalidInputError } from '@geoworks/errors';
import { sleep } from '@geoworks/http-client';
import type { NpyArray } from '@geoworks/npz';
import { readJson, readText, successOf } from './answers.js';
import { EngineUpstreamError, WaitTimeoutError } from './errors.js';
import { saveBody } from './files.js';
import { Transport, type Exchange, type RequestSpec } from './http.js';
import {
  checkId,
  checkTarget,
  count,
  engineTime,
  extractTarget,
  fileOf,
  messageOf,
  runForm,
} from './inputs.js';
import {
  BadShape,
  isRecord,
  toCalculation,
  toCalculationInfo,
  toCalculations,
  toInteger,
  toLogRows,
  toOutputs,
  toStrings,
  toValidation,
} from './normalize.js';
import { Session } from './session.js';
import {
  isFinalStatus,
  type Calculation,
  type CalculationInfo,
  type CalcEngineClientOptions,
  type CallOptions,
  type DownloadOptions,
  type ExtractQuery,
  type ListOptions,
  type LogOptions,
  type LogRow,
  type Output,
  type RunInput,
  type SavedFile,
  type SaveOptions,
  type Validation,
  type WaitOptions,
} from './types.js';

export const DEFAULT_URL = 'http://localhost:8800';
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_POLL_MS = 2_000;

/**
 * A client of the OpenQuake engine server REST API (`/v1/calc/...`, `/accounts/...`), for a
 * real OpenQuake server as much as for the geoworks calc-server.
 */
export class CalcEngineClient {
  /** The server's base URL. */
  readonly url: string;
  private readonly transport: Transport;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly session: Session;

  constructor(options: CalcEngineClientOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidInputError('CalcEngineClient options must be an object');
    }
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new InvalidInputError(`Invalid server URL: ${String(options.url)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InvalidInputError(`The server URL must be http(s), not ${url.protocol}`);
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0 && timeoutMs <= 2 ** 31 - 1)) {
      throw new InvalidInputError('timeoutMs must be a positive number of milliseconds');
    }
    const retries = options.retries ?? 3;
    if (!(Number.isInteger(retries) && retries >= 0 && retries <= 20)) {
      throw new InvalidInputError('retries must be an integer from 0 to 20');
    }
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') {
      throw new InvalidInputError('No fetch implementation: pass options.fetch');
    }
    if (options.password !== undefined && options.username === undefined) {
      throw new InvalidInputError('A password was given without a username');
    }
    this.sleep = options.sleep ?? sleep;
    this.transport = new Transport({
      url: url.toString(),
      fetch: fetchImpl,
      timeoutMs,
      retries,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 250,
      retryMaxDelayMs: options.retryMaxDelayMs ?? 10_000,
      headers: options.headers ?? {},
      sleep: this.sleep,
    });
    this.url = this.transport.base.toString();
    this.session = new Session(this.transport, options.username, options.password);
  }

  // ---------------------------------------------------------------- accounts

  /**
   * Logs in (`POST /accounts/ajax_login/`) and keeps the session cookie (and the CSRF token,
   * sent back as `X-CSRFToken`) for later calls. Called automatically before the first call
   * when the client has a username. A wrong password gives EngineForbiddenError
   * (`Invalid login`, 403); a server without authentication has no such route (404).
   */
  async login(options: CallOptions = {}): Promise<void> {
    await this.session.login(options);
  }

  /** Logs out (`POST /accounts/ajax_logout/`) and forgets the session. */
  async logout(options: CallOptions = {}): Promise<void> {
    await this.session.logout(options);
  }

  private async send<T>(
    spec: RequestSpec,
    read: (exchange: Exchange) => Promise<T>,
    options: CallOptions,
  ): Promise<T> {
    await this.session.ensure(options);
    return this.transport.request(spec, read, options);
  }

  private get<T>(
    path: string,
    read: (exchange: Exchange) => Promise<T>,
    options: CallOptions,
    query?: URLSearchParams,
  ): Promise<T> {
    return this.send({ method: 'GET', path, query }, read, options);
  }

  // ---------------------------------------------------------------- calculations

  /** `GET /v1/calc/list`: calculations, newest first (deleted ones are not listed). */
  async list(options: ListOptions = {}): Promise<Calculation[]> {
    const query = new URLSearchParams();
    if (options.calculationMode !== undefined) {
      query.set('calculation_mode', options.calculationMode);
    }
    if (options.isRunning !== undefined) query.set('is_running', String(options.isRunning));
    if (options.startTime !== undefined) query.set('start_time', engineTime(options.startTime));
    if (options.limit !== undefined) query.set('limit', String(count(options.limit, 'limit')));
    if (options.offset !== undefined) query.set('offset', String(count(options.offset, 'offset')));
    if (options.orderBy !== undefined) query.set('order_by', options.orderBy);
    if (options.orderDir !== undefined) query.set('order_dir', options.orderDir);
    return this.get('v1/calc/list', async (e) => toCalculations(await readJson(e)), options, query);
  }

  /** `GET /v1/calc/:id/status`: one calculation as in `list()`; EngineNotFoundError if unknown. */
  async status(id: number, options: CallOptions = {}): Promise<Calculation> {
    checkId(id);
    return this.get(`v1/calc/${id}/status`, async (e) => toCalculation(await readJson(e)), options);
  }

  /** `GET /v1/calc/:id`: owner, status, start and stop times. */
  async info(id: number, options: CallOptions = {}): Promise<CalculationInfo> {
    checkId(id);
    return this.get(`v1/calc/${id}`, async (e) => toCalculationInfo(await readJson(e)), options);
  }

  /**
   * `POST /v1/calc/run`: starts a calculation from a job.ini and its inputs, or from a job.zip,
   * and resolves with the new job id. When the server fails to start it (500
   * `{"traceback": [...], "job_id": N}`), throws a JobRunError carrying both. Never retried.
   */
  async run(input: RunInput, options: CallOptions = {}): Promise<number> {
    const form = await runForm(input);
    return this.send(
      { method: 'POST', path: 'v1/calc/run', body: () => form },
      async (exchange) => {
        const body = await readJson(exchange);
        if (isRecord(body) && body.job_id !== undefined) return toInteger(body.job_id, 'job_id');
        // Old engines redirect to /v1/calc/:id.
        const redirected = /\/v1\/calc\/(\d+)\/?$/.exec(new URL(exchange.response.url).pathname);
        if (exchange.response.redirected && redirected?.[1] !== undefined) {
          return Number(redirected[1]);
        }
        throw new BadShape('expected {"status": "created", "job_id": N}');
      },
      options,
    );
  }

  /** `POST /v1/calc/validate_zip`: whether a job.zip is valid, with the server's reason. */
  async validateZip(
    archive: string | Uint8Array | { name: string; content: Uint8Array | Blob },
    options: CallOptions = {},
  ): Promise<Validation> {
    const file = await fileOf(archive, 'job.zip', 'archive');
    return this.send(
      {
        method: 'POST',
        path: 'v1/calc/validate_zip',
        body: () => {
          const form = new FormData();
          form.append('archive', file.blob, file.name);
          return form;
        },
      },
      async (e) => toValidation(await readJson(e)),
      options,
    );
  }

  /**
   * Polls the job until it is complete, failed or aborted and resolves with its final status.
   * With `onLog`, new log rows are fetched after each status (`log/<n>:` from the first row
   * not yet seen) so each row is delivered exactly once, in order. `signal` stops waiting
   * (AbortedError) without touching the job.
   */
  async wait(id: number, options: WaitOptions = {}): Promise<Calculation> {
    checkId(id);
    const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    if (!(Number.isFinite(pollMs) && pollMs >= 0)) {
      throw new InvalidInputError('pollMs must be a non-negative number of milliseconds');
    }
    const started = Date.now();
    const deadline = options.timeoutMs === undefined ? undefined : started + options.timeoutMs;
    const call: CallOptions = { signal: options.signal };
    let cursor = count(options.logStart ?? 0, 'logStart');
    let lastStatus: string | undefined;
    for (;;) {
      const calculation = await this.status(id, call);
      if (calculation.status !== lastStatus) {
        lastStatus = calculation.status;
        await options.onStatus?.(calculation);
      }
      if (options.onLog !== undefined) {
        const rows = await this.logs(id, { ...call, start: cursor });
        if (rows.length > 0) {
          cursor += rows.length;
          await options.onLog(rows);
        }
      }
      if (isFinalStatus(calculation.status)) return calculation;
      let delay = pollMs;
      if (deadline !== undefined) {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new WaitTimeoutError(id, options.timeoutMs ?? 0, calculation.status);
        }
        delay = Math.min(delay, left);
      }
      try {
        await this.sleep(delay, options.signal);
      } catch {
        throw new AbortedError(`Stopped waiting for job ${id}`, {
          code: 'WAIT_ABORTED',
          cause: options.signal?.reason,
          details: { jobId: id, lastStatus: calculation.status },
        });
      }
    }
  }

  /**
   * `GET /v1/calc/:id/log/<start>:<stop>`: log rows from `start` (inclusive, 0 by default) to
   * `stop` (exclusive, the end by default). An unknown job has an empty log.
   */
  async logs(id: number, options: LogOptions = {}): Promise<LogRow[]> {
    checkId(id);
    const start = options.start === undefined ? 0 : count(options.start, 'start');
    const stop = options.stop === undefined ? '' : String(count(options.stop, 'stop'));
    if (stop === String(0)) return []; // the server reads an empty or 0 stop as "to the end"
    return this.get(
      `v1/calc/${id}/log/${start}:${stop}`,
      async (e) => toLogRows(await readJson(e), start),
      options,
    );
  }

  /** `GET /v1/calc/:id/log/size`: the number of log rows so far. */
  async logSize(id: number, options: CallOptions = {}): Promise<number> {
    checkId(id);
    return this.get(
      `v1/calc/${id}/log/size`,
      async (e) => toInteger(await readJson(e), 'the log size'),
      options,
    );
  }

  /** `GET /v1/calc/:id/traceback`: the error's traceback lines, `[]` when there was none. */
  async traceback(id: number, options: CallOptions = {}): Promise<string[]> {
    checkId(id);
    return this.get(
      `v1/calc/${id}/traceback`,
      async (e) => toStrings(await readJson(e), 'the traceback'),
      options,
    );
  }

  /**
   * `GET /v1/calc/:id/results`: the outputs. The server answers 404 (EngineNotFoundError) both
   * for an unknown job and for a job without outputs (yet).
   */
  async results(id: number, options: CallOptions = {}): Promise<Output[]> {
    checkId(id);
    return this.get(`v1/calc/${id}/results`, async (e) => toOutputs(await readJson(e)), options);
  }

  /**
   * `GET /v1/calc/result/:id?export_type=`: streams one output to a file, a directory (named
   * as the server's Content-Disposition says, e.g. `output-3-hcurves.csv`) or a Writable.
   * Several files come as one zip. 404 `Nothing to export for export_type=X`.
   */
  async download(resultId: number, options: DownloadOptions): Promise<SavedFile> {
    checkId(resultId, 'resultId');
    if (typeof options?.exportType !== 'string' || options.exportType === '') {
      throw new InvalidInputError('download() needs an exportType, such as "csv"');
    }
    checkTarget(options);
    const query = new URLSearchParams({ export_type: options.exportType });
    return this.send(
      { method: 'GET', path: `v1/calc/result/${resultId}`, query, stream: true },
      (e) => saveBody(e, options, `output-${resultId}.${options.exportType}`),
      options,
    );
  }

  /**
   * `GET /v1/calc/:id/extract/<what>?<query>`: an object of the job's result store as the
   * arrays of a .npz (the main one under `array`, attributes beside it). `what` may carry its
   * own query (`hcurves?kind=mean&imt=PGA`); `query` is added to it.
   */
  async extract(
    id: number,
    what: string,
    query?: ExtractQuery,
    options: CallOptions = {},
  ): Promise<Record<string, NpyArray>> {
    checkId(id);
    const { path, params } = extractTarget(id, what, query);
    return this.get(
      path,
      async (exchange) => {
        const bytes = new Uint8Array(await exchange.response.arrayBuffer());
        const { readNpz } = await import('@geoworks/npz');
        try {
          return await readNpz(bytes);
        } catch (error) {
          throw new EngineUpstreamError(
            exchange.info(`The server sent an unreadable .npz: ${messageOf(error)}`),
          );
        }
      },
      options,
      params,
    );
  }

  /** Streams the .npz of `extract()` to a file or a Writable, as the server sent it. */
  async extractFile(
    id: number,
    what: string,
    options: SaveOptions & { query?: ExtractQuery },
  ): Promise<SavedFile> {
    checkId(id);
    checkTarget(options);
    const { path, params } = extractTarget(id, what, options.query);
    const name = `${what.split('?')[0]?.replace(/\//g, '-') ?? 'extract'}.npz`;
    return this.send(
      { method: 'GET', path, query: params, stream: true },
      (e) => saveBody(e, options, name),
      options,
    );
  }

  /** The job's parameters: `extract/oqparam`, then its `json` entry parsed. */
  async extractParams(id: number, options: CallOptions = {}): Promise<Record<string, unknown>> {
    const entries = await this.extract(id, 'oqparam', undefined, options);
    const entry = entries.json;
    const problem = (message: string) =>
      new EngineUpstreamError({
        status: 200,
        method: 'GET',
        url: this.transport.urlFor(`v1/calc/${id}/extract/oqparam`),
        serverMessage: message,
      });
    if (entry === undefined) throw problem('extract/oqparam has no "json" entry');
    const { jsonFromNpy } = await import('@geoworks/npz');
    let params: unknown;
    try {
      params = jsonFromNpy(entry);
    } catch (error) {
      throw problem(`extract/oqparam has an unreadable "json" entry: ${messageOf(error)}`);
    }
    if (!isRecord(params)) throw problem('extract/oqparam "json" is not an object');
    return params;
  }

  /** `GET /v1/calc/:id/datastore`: streams the job's whole result store (`calc_N.hdf5`). */
  async datastore(id: number, options: SaveOptions): Promise<SavedFile> {
    checkId(id);
    checkTarget(options);
    return this.send(
      { method: 'GET', path: `v1/calc/${id}/datastore`, stream: true },
      (e) => saveBody(e, options, `calc_${id}.hdf5`),
      options,
    );
  }

  /**
   * `POST /v1/calc/:id/abort`: resolves with the server's message (`Killing job N`). The
   * server's refusals, even with status 200, are thrown: `Unknown job N` as
   * EngineNotFoundError, `Job N is not running` as EngineConflictError, `User U has no
   * permission to abort job N` (403) as EngineForbiddenError. Never retried.
   */
  async abort(id: number, options: CallOptions = {}): Promise<string> {
    checkId(id);
    return this.send(
      { method: 'POST', path: `v1/calc/${id}/abort` },
      async (e) => successOf(e, await readJson(e)),
      options,
    );
  }

  /**
   * `POST /v1/calc/:id/remove`: deletes the job (not while other jobs have it as parent, and
   * only its owner may). Refusals are thrown with the server's message. Never retried.
   */
  async remove(id: number, options: CallOptions = {}): Promise<void> {
    checkId(id);
    await this.send(
      { method: 'POST', path: `v1/calc/${id}/remove` },
      async (e) => successOf(e, await readJson(e)),
      options,
    );
  }

  // ---------------------------------------------------------------- server

  /** `GET /v1/engine_version`, e.g. `3.21.0`. */
  async engineVersion(options: CallOptions = {}): Promise<string> {
    return this.get('v1/engine_version', async (e) => (await readText(e)).trim(), options);
  }

  /** `GET /v1/engine_latest_version`: the newest released version, or null when unknown. */
  async engineLatestVersion(options: CallOptions = {}): Promise<string | null> {
    return this.get(
      'v1/engine_latest_version',
      async (e) => {
        const text = (await readText(e)).trim();
        return text === '' || text === 'None' ? null : text;
      },
      options,
    );
  }

  /** `GET /v1/ini_defaults`: `{ parameter: default }` for the job.ini parameters. */
  async iniDefaults(options: CallOptions = {}): Promise<Record<string, unknown>> {
    return this.get(
      'v1/ini_defaults',
      async (e) => {
        const body = await readJson(e);
        if (!isRecord(body)) throw new BadShape('expected an object of defaults');
        return body;
      },
      options,
    );
  }

  /** `GET /v1/available_gsims`: the names of the ground-shaking intensity models. */
  async availableGsims(options: CallOptions = {}): Promise<string[]> {
    return this.get(
      'v1/available_gsims',
      async (e) => toStrings(await readJson(e), 'the GSIMs'),
      options,
    );
  }

  /** `POST /v1/valid/`: whether an NRML text is valid, with the error and its line. */
  async validateXml(xmlText: string, options: CallOptions = {}): Promise<Validation> {
    if (typeof xmlText !== 'string') throw new InvalidInputError('xmlText must be a string');
    return this.send(
      {
        method: 'POST',
        path: 'v1/valid/',
        body: () => new URLSearchParams({ xml_text: xmlText }),
      },
      async (e) => toValidation(await readJson(e)),
      options,
    );
  }

  /**
   * `POST /v1/on_same_fs`: whether the server sees `filename` with this checksum (Adler-32 of
   * its first 32 bytes; see `sameFsChecksum`), i.e. shares the file system with the caller.
   */
  async onSameFs(filename: string, checksum: number, options: CallOptions = {}): Promise<boolean> {
    if (typeof filename !== 'string' || filename === '') {
      throw new InvalidInputError('filename must be a non-empty string');
    }
    if (!(Number.isSafeInteger(checksum) && checksum >= 0)) {
      throw new InvalidInputError('checksum must be a non-negative integer');
    }
    return this.send(
      {
        method: 'POST',
        path: 'v1/on_same_fs',
        body: () => new URLSearchParams({ filename, checksum: String(checksum) }),
      },
      async (e) => {
        const body = await readJson(e);
        if (!isRecord(body) || typeof body.success !== 'boolean') {
          throw new BadShape('expected {"success": true|false}');
        }
        return body.success;
      },
      options,
    );
  }
}
