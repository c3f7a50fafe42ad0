import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { npyFromJson, npyFromNumbers, writeNpz } from '@geoworks/npz';
import { adler32 } from '../../src/checksum.js';
import { makeZip, readZip } from './zip.js';

/**
 * A stand-in for a third-party OpenQuake engine server (webui, engine 3.21+), speaking its
 * wire format as /work/shared/specs/openquake-server.md describes it: the same routes, status
 * codes, bodies (`{"error": ...}` with 200 on abort, 500 `{traceback, job_id}` on run
 * failures, `[timestamp, level, process, message]` log rows, attachments named
 * `output-<id>-<name>`, .npz extracts with a `json` entry), Django's session cookie and 403
 * when locked down. Jobs "run" on timers: each writes `rows` log rows, `tickMs` apart, then
 * completes with outputs, or fails when its description contains "fail", or runs until
 * aborted when it contains "hang".
 *
 * For tests it also records every request, and injects faults (a status, a dropped
 * connection, a delay) on chosen routes.
 */

export interface FakeUser {
  password: string;
  superuser?: boolean;
  active?: boolean;
}

export interface FakeEngineOptions {
  /** Authentication on (the engine's LOCKDOWN): /v1 needs a session, owners only. */
  lockdown?: boolean;
  users?: Record<string, FakeUser>;
  /** Which write routes exist (APPLICATION_MODE). */
  mode?: 'PUBLIC' | 'READ_ONLY' | 'AELO';
  /** Check Django's CSRF token (X-CSRFToken = the csrftoken cookie) on POSTs. */
  csrf?: boolean;
  /** Log rows each simulated job writes, and the time between them. */
  rows?: number;
  tickMs?: number;
  engineVersion?: string;
  /** 0 (a free port) by default. */
  port?: number;
}

export interface FakeLogRow {
  timestamp: string;
  level: string;
  process: string;
  message: string;
}

export interface FakeExportFile {
  name: string;
  /** The content, or a large body generated in 64 KiB chunks of `fill`. */
  content: string | Buffer | { size: number; fill: number };
}

export interface FakeOutput {
  id: number;
  jobId: number;
  displayName: string;
  dsKey: string;
  sizeMb: number | null;
  exports: Record<string, FakeExportFile[]>;
}

export interface FakeJob {
  id: number;
  description: string;
  userName: string;
  calculationMode: string;
  parentId: number | null;
  status: string;
  startTime: Date;
  stopTime: Date | null;
  pid: number | null;
  sizeMb: number | null;
  params: Record<string, unknown>;
  logs: FakeLogRow[];
  files: Record<string, Buffer>;
  timer?: NodeJS.Timeout;
  hasDatastore: boolean;
}

export interface Fault {
  method?: string;
  /** The path (without query) it applies to: exact text or a pattern. */
  path: string | RegExp;
  /** Answer with this status (and `body`) instead of the real answer. */
  status?: number;
  body?: string;
  /** Drop the connection without answering. */
  destroy?: boolean;
  /** Answer 200 with a long body, send this many bytes of it, then stall until closed. */
  stallAfterBytes?: number;
  /** Wait this long before handling the request (normally or with the fault). */
  delayMs?: number;
  /** How many requests it applies to; 1 by default. */
  times?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  url: string;
  headers: IncomingMessage['headers'];
}

export interface FakeEngine {
  url: string;
  jobs: Map<number, FakeJob>;
  outputs: Map<number, FakeOutput>;
  requests: RecordedRequest[];
  faults: Fault[];
  /** Bytes of generated (large) attachments handed to sockets so far. */
  readonly bytesSent: number;
  /** Requests whose path matches, optionally of one method. */
  count(path: string | RegExp, method?: string): number;
  /** Adds a job directly, as if run earlier. */
  addJob(job: Partial<FakeJob> & { status: string }): FakeJob;
  addOutput(jobId: number, output: Omit<FakeOutput, 'id' | 'jobId'>): FakeOutput;
  log(jobId: number, level: string, message: string): void;
  close(): Promise<void>;
}

const DEFAULT_USER = 'openquake';

export async function startFakeEngine(options: FakeEngineOptions = {}): Promise<FakeEngine> {
  const settings = {
    lockdown: options.lockdown ?? false,
    users: options.users ?? {},
    mode: options.mode ?? 'PUBLIC',
    csrf: options.csrf ?? false,
    rows: options.rows ?? 5,
    tickMs: options.tickMs ?? 20,
    engineVersion: options.engineVersion ?? '3.21.0',
  };
  const jobs = new Map<number, FakeJob>();
  const outputs = new Map<number, FakeOutput>();
  const sessions = new Map<string, string>();
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const sockets = new Set<Socket>();
  let nextJobId = 1;
  let nextOutputId = 1;
  let bytesSent = 0;

  const now = () => new Date();
  const stamp = (date = now()) => date.toISOString().slice(0, 22);

  function log(jobId: number, level: string, message: string): void {
    jobs.get(jobId)?.logs.push({ timestamp: stamp(), level, process: 'MainProcess', message });
  }

  function addJob(partial: Partial<FakeJob> & { status: string }): FakeJob {
    const id = partial.id ?? nextJobId;
    nextJobId = Math.max(nextJobId, id + 1);
    const job: FakeJob = {
      id,
      description: 'A calculation',
      userName: DEFAULT_USER,
      calculationMode: 'classical',
      parentId: null,
      startTime: now(),
      stopTime: null,
      pid: null,
      sizeMb: null,
      params: {},
      logs: [],
      files: {},
      hasDatastore: partial.status === 'complete',
      ...partial,
    };
    jobs.set(id, job);
    return job;
  }

  function addOutput(jobId: number, output: Omit<FakeOutput, 'id' | 'jobId'>): FakeOutput {
    const created = { ...output, id: nextOutputId++, jobId };
    outputs.set(created.id, created);
    return created;
  }

  function finish(job: FakeJob, status: string): void {
    clearInterval(job.timer);
    job.timer = undefined;
    job.status = status;
    job.stopTime = now();
    job.pid = null;
  }

  /** The simulated calculation: rows of log, then the outcome its description asks for. */
  function start(job: FakeJob): void {
    job.status = 'submitted';
    job.pid = 40_000 + job.id;
    let written = 0;
    const outcome = /hang/i.test(job.description)
      ? 'hang'
      : /fail/i.test(job.description)
        ? 'failed'
        : 'complete';
    job.timer = setInterval(() => {
      job.status = 'executing';
      job.hasDatastore = true;
      if (outcome === 'hang' || written < settings.rows) {
        written += 1;
        log(job.id, 'INFO', `Step ${written} of job ${job.id}`);
        return;
      }
      if (outcome === 'failed') {
        log(
          job.id,
          'CRITICAL',
          [
            'Traceback (most recent call last):',
            '  File "/opt/openquake/engine/engine.py", line 270, in run_calc',
            '    calc.run(shutdown=True)',
            `ValueError: fake failure in job ${job.id}`,
          ].join('\n'),
        );
        finish(job, 'failed');
        return;
      }
      addOutput(job.id, {
        displayName: 'Hazard Curves',
        dsKey: 'hcurves',
        sizeMb: 0.02,
        exports: {
          csv: [{ name: 'hazard_curve-mean-PGA_1.csv', content: 'lon,lat,poe-0.1\n0.0,0.0,0.5\n' }],
          xml: [
            { name: 'hazard_curve-mean-PGA.xml', content: '<nrml/>\n' },
            { name: 'hazard_curve-mean-SA(0.1).xml', content: '<nrml/>\n' },
          ],
        },
      });
      addOutput(job.id, {
        displayName: 'Full Report',
        dsKey: 'fullreport',
        sizeMb: null,
        exports: { rst: [{ name: 'report_1.rst', content: 'Classical PSHA\n==============\n' }] },
      });
      log(job.id, 'INFO', `Calculation ${job.id} finished correctly in 0.1 seconds`);
      finish(job, 'complete');
    }, settings.tickMs);
  }

  // ---------------------------------------------------------------- responses

  function send(
    res: ServerResponse,
    status: number,
    body: string | Buffer,
    contentType: string,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, {
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(body)),
      ...headers,
    });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }
  const json = (res: ServerResponse, value: unknown, status = 200) =>
    send(res, status, JSON.stringify(value), 'application/json');
  const text = (res: ServerResponse, value: string, status = 200) =>
    send(res, status, value, 'text/plain');
  const notFound = (res: ServerResponse, message?: string) =>
    message === undefined
      ? send(
          res,
          404,
          '<!doctype html><html><head><title>Not Found</title></head><body><h1>Not Found</h1><p>The requested resource was not found on this server.</p></body></html>',
          'text/html; charset=utf-8',
        )
      : text(res, message, 404);
  const forbidden = (res: ServerResponse) =>
    send(res, 403, '<h1>403 Forbidden</h1>', 'text/html; charset=utf-8');

  async function attachment(
    res: ServerResponse,
    filename: string,
    contentType: string,
    content: FakeExportFile['content'],
  ): Promise<void> {
    const size =
      typeof content === 'string' || Buffer.isBuffer(content)
        ? Buffer.byteLength(content)
        : content.size;
    res.writeHead(200, {
      'content-type': contentType,
      'content-length': String(size),
      'content-disposition': `attachment; filename=${filename}`,
    });
    if (res.req.method === 'HEAD') {
      res.end();
      return;
    }
    if (typeof content === 'string' || Buffer.isBuffer(content)) {
      res.end(content);
      return;
    }
    const chunk = Buffer.alloc(64 * 1024, content.fill);
    let left = content.size;
    while (left > 0) {
      if (res.destroyed) return;
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      const flowing = res.write(piece);
      bytesSent += piece.length;
      if (!flowing) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
    res.end();
  }

  // ---------------------------------------------------------------- helpers

  function userOf(req: IncomingMessage): string | undefined {
    const session = cookiesOf(req).sessionid;
    return session === undefined ? undefined : sessions.get(session);
  }

  /** The user a request acts as: the session's, or everyone's default when auth is off. */
  function actingUser(req: IncomingMessage): string {
    return settings.lockdown ? (userOf(req) ?? '') : DEFAULT_USER;
  }

  function isSuperuser(user: string): boolean {
    return settings.users[user]?.superuser === true;
  }

  function mayRead(req: IncomingMessage, job: FakeJob): boolean {
    if (!settings.lockdown) return true;
    const user = actingUser(req);
    return user === job.userName || isSuperuser(user);
  }

  function listItem(req: IncomingMessage, job: FakeJob) {
    const host = req.headers.host ?? 'localhost';
    const running = job.status === 'submitted' || job.status === 'executing';
    return {
      id: job.id,
      owner: job.userName,
      calculation_mode: job.calculationMode,
      status: job.status,
      is_running: running,
      description: job.description,
      url: `http://${host}/v1/calc/${job.id}`,
      parent_id: job.parentId,
      abortable: running,
      size_mb: job.sizeMb,
      start_time: `${job.startTime.toISOString().slice(0, 10)}, ${job.startTime.toISOString().slice(11, 19)} UTC`,
    };
  }

  function pythonTime(date: Date | null, fraction: boolean): string | null {
    if (date === null) return null;
    const iso = date.toISOString();
    return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${iso.slice(20, 23)}000` : ''}`;
  }

  /** job.ini as the engine reads it: no interpolation, sections merged, a key twice is an error. */
  function parseIni(source: string): Record<string, string> {
    const params: Record<string, string> = {};
    for (const raw of source.split(/\r?\n/)) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) {
        continue;
      }
      const match = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
      if (match === null) throw new Error(`configparser.ParsingError: ${raw}`);
      const key = match[1] ?? '';
      if (key in params) throw new Error(`configparser.DuplicateOptionError: option '${key}'`);
      params[key] = match[2] ?? '';
    }
    return params;
  }

  /** The run's files by name, checked as the engine does before starting the job. */
  function prepare(files: Map<string, Buffer>, jobIniName: string | undefined) {
    const iniNames = [...files.keys()].filter((name) => name.endsWith('.ini'));
    const iniName = jobIniName ?? iniNames[0];
    if (iniName === undefined) {
      throw new Error('openquake.baselib.InvalidFile: There are no .ini files in the archive');
    }
    const ini = files.get(iniName);
    if (ini === undefined) throw new Error(`FileNotFoundError: No such file: ${iniName}`);
    const params = parseIni(ini.toString('utf8'));
    for (const [key, value] of Object.entries(params)) {
      if (!/(_file|_csv|_hdf5)$/.test(key)) continue;
      for (const name of value.split(/\s+/).filter(Boolean)) {
        if (!files.has(name)) throw new Error(`FileNotFoundError: No such file: ${name}`);
      }
    }
    if ((params.description ?? '').trim() === '') {
      throw new Error('ValueError: description: The description must not be empty');
    }
    if ((params.calculation_mode ?? '') === '') {
      throw new Error('ValueError: calculation_mode: Missing calculation_mode');
    }
    return params;
  }

  async function filesOf(form: FormData): Promise<Map<string, Buffer>> {
    const archive = form.get('archive');
    if (archive instanceof Blob) {
      const entries = readZip(new Uint8Array(await archive.arrayBuffer()));
      const files = new Map<string, Buffer>();
      for (const [name, content] of entries) {
        if (name.startsWith('__MACOSX') || name.endsWith('/')) continue;
        files.set(name, content);
      }
      return files;
    }
    // Django keeps one file per field name (request.FILES.values()).
    const files = new Map<string, Buffer>();
    const byField = new Map<string, File>();
    for (const [field, value] of form.entries()) {
      if (value instanceof File) byField.set(field, value);
    }
    for (const file of byField.values()) {
      files.set(file.name, Buffer.from(await file.arrayBuffer()));
    }
    return files;
  }

  // ---------------------------------------------------------------- routes

  type Handler = (
    req: IncomingMessage,
    res: ServerResponse,
    match: RegExpExecArray,
    url: URL,
  ) => void | Promise<void>;
  interface Route {
    methods: string[];
    pattern: RegExp;
    handler: Handler;
    write?: 'run' | 'admin';
    /** Routed only when authentication is on, as the engine's urls.py does. */
    accounts?: boolean;
  }

  const jobOf = (match: RegExpExecArray) => jobs.get(Number(match[1]));

  const routes: Route[] = [
    {
      methods: ['POST'],
      pattern: /^\/accounts\/ajax_login\/$/,
      accounts: true,
      handler: async (req, res) => {
        const form = await formOf(req);
        const username = String(form.get('username') ?? '');
        const password = String(form.get('password') ?? '');
        const user = settings.users[username];
        if (user === undefined || user.password !== password) {
          text(res, 'Invalid login', 403);
          return;
        }
        if (user.active === false) {
          text(res, 'Disabled account', 403);
          return;
        }
        const session = randomBytes(16).toString('hex');
        sessions.set(session, username);
        res.setHeader('set-cookie', [
          `sessionid=${session}; expires=${new Date(Date.now() + 1_209_600_000).toUTCString()}; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax`,
          `csrftoken=${randomBytes(16).toString('hex')}; expires=${new Date(Date.now() + 31_449_600_000).toUTCString()}; Max-Age=31449600; Path=/; SameSite=Lax`,
        ]);
        text(res, 'Successful login');
      },
    },
    {
      methods: ['POST'],
      pattern: /^\/accounts\/ajax_logout\/$/,
      accounts: true,
      handler: (req, res) => {
        const session = cookiesOf(req).sessionid;
        if (session !== undefined) sessions.delete(session);
        res.setHeader(
          'set-cookie',
          'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax',
        );
        text(res, 'Successful logout');
      },
    },
    {
      methods: ['GET'],
      pattern: /^\/v1\/calc\/list$/,
      handler: (req, res, _match, url) => {
        const query = url.searchParams;
        let selected = [...jobs.values()]
          .filter((job) => job.status !== 'deleted' && mayRead(req, job))
          .sort((a, b) => b.id - a.id);
        const mode = query.get('calculation_mode');
        if (mode !== null) selected = selected.filter((job) => job.calculationMode === mode);
        const running = query.get('is_running');
        if (running !== null) {
          const wanted = ['true', '1', 'yes', 'y', 't'].includes(running.toLowerCase());
          selected = selected.filter(
            (job) => (job.status === 'submitted' || job.status === 'executing') === wanted,
          );
        }
        const since = query.get('start_time');
        if (since !== null) {
          selected = selected.filter((job) => (pythonTime(job.startTime, true) ?? '') >= since);
        }
        const offset = Number(query.get('offset') ?? 0);
        const limit = Number(query.get('limit') ?? 100);
        selected = selected.slice(offset, limit > 0 ? offset + limit : undefined);
        json(
          res,
          selected.map((job) => listItem(req, job)),
        );
      },
    },
    {
      methods: ['GET'],
      pattern: /^\/v1\/calc\/(\d+)\/status$/,
      handler: (req, res, match) => {
        const job = jobOf(match);
        if (job === undefined || job.status === 'deleted' || !mayRead(req, job)) {
          notFound(res);
          return;
        }
        json(res, listItem(req, job));
      },
    },
    {
      methods: ['GET'],
      pattern: /^\/v1\/calc\/(\d+)$/,
      handler: (req, res, match) => {
        const job = jobOf(match);
        if (job === undefined) return notFound(res);
        if (!mayRead(req, job)) return forbidden(res);
        json(res, {
          user_name: job.userName,
          status: job.status,
          start_time: pythonTime(job.startTime, false),
          stop_time: pythonTime(job.stopTime, true),
          is_running: job.status === 'submitted' || job.status === 'executing' ? 1 : 0,
        });
      },
    },
    {
      methods: ['GET'],
      pattern: /^\/v1\/calc\/(\d+)\/log\/size$/,
      handler: (_req, res, match) => json(res, jobOf(match)?.logs.length ?? 0),
    },
    {
      methods: ['GET'],
      pattern: /^\/v1\/calc\/(\d+)\/log\/(\d*):(\d*)$/,
      handler: (_req, res, match) => {
        const rows = jobOf(match)?.logs ?? [];
        const start = Number(match[2] || 0);
        const stop = Number(match[3] || 0);
        const slice = rows.slice(start, stop === 0 ? undefined : stop);
        json(
          res,
          slice.map((row) => [row.timestamp, row.level, row.process, row.message]),
        );
      },
    },
    {
      methods: ['GET'],
      pattern: /^\/v1\/calc\/(\d+)\/traceback$/,
      handler: (_req, res, match) => {
        const job = jobOf(match);
        if (job === undefined) return notFound(res);
        const critical = job.logs.filter((row) => row.level === 'CRITICAL').pop();
        json(res, critical === undefined ? [] : critical.message.split('\n'));
      },
    },
    {
      methods: ['GET'],
      pattern: /^\/v1\/calc\/(\d+)\/(?:results|result\/list)$/,
      handler: (req, res, match) => {
        const job = jobOf(match);
        if (job === undefined) return notFound(res);
        if (!mayRead(req, job)) return forbidden(res);
        const mine = [...outputs.values()].filter((output) => output.jobId === job.id);
        if (mine.length === 0) return notFound(res);
        const host = req.headers.host ?? 'localhost';
        json(
          res,
          mine.map((output) => ({
            id: output.id,
            name: output.displayName,
            type: output.dsKey,
            outtypes: Object.keys(output.exports),
            url: `http://${host}/v1/calc/result/${output.id}`,
            size_mb: output.sizeMb,
          })),
        );
      },
    },
    {
      methods: ['GET', 'HEAD'],
      pattern: /^\/v1\/calc\/result\/(\d+)$/,
      handler: async (req, res, match, url) => {
        const output = outputs.get(Number(match[1]));
        const job = output === undefined ? undefined : jobs.get(output.jobId);
        if (output === undefined || job === undefined) return notFound(res);
        if (!mayRead(req, job)) return forbidden(res);
        const exportType = url.searchParams.get('export_type');
        const type = exportType ?? 'xml';
        const files = output.exports[type];
        if (files === undefined || files.length === 0) {
          return notFound(res, `Nothing to export for export_type=${exportType}, ${output.dsKey}`);
        }
        const contentType =
          type === 'xml'
            ? 'application/xml'
            : type === 'geojson'
              ? 'application/json'
              : 'application/octet-stream';
        if (files.length > 1) {
          const zip = makeZip(
            Object.fromEntries(
              files.map((file) => [
                file.name,
                typeof file.content === 'string' || Buffer.isBuffer(file.content)
                  ? file.content
                  : Buffer.alloc(file.content.size, file.content.fill),
              ]),
            ),
          );
          await attachment(
            res,
            `output-${output.id}-${output.dsKey}-${type}.zip`,
            'application/octet-stream',
            zip,
          );
          return;
        }
        const [file] = files as [FakeExportFile];
        await attachment(res, `output-${output.id}-${file.name}`, contentType, file.content);
      },
    },
    {
      methods: ['GET', 'HEAD'],
      pattern: /^\/v1\/calc\/(\d+)\/extract\/([-/_.\w]+)$/,
      handler: async (req, res, match, url) => {
        const job = jobOf(match);
        if (job === undefined) return notFound(res);
        if (!mayRead(req, job)) return forbidden(res);
        const what = match[2] ?? '';
        const fail = (message: string) =>
          text(
            res,
            `${message} in ${url.pathname}${url.search}\n  File "/opt/openquake/calculators/extract.py", line 170, in __call__\n`,
            500,
          );
        let npz: Buffer;
        if (what === 'oqparam') {
          npz = await writeNpz({ json: npyFromJson(job.params) });
        } else if (what === 'hcurves' && job.status === 'complete') {
          const kinds = url.searchParams.getAll('kind');
          npz = await writeNpz({
            array: npyFromNumbers([0.9, 0.5, 0.1, 0.8, 0.4, 0.05], { shape: [2, 1, 3] }),
            investigation_time: npyFromNumbers([50], { shape: [] }),
            json: npyFromJson({ kind: kinds, imt: url.searchParams.get('imt') }),
          });
        } else {
          return fail(`KeyError: '${what}'`);
        }
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': String(npz.length),
          'content-disposition': `attachment; filename=${what.replace(/\//g, '-')}abc123.npz`,
        });
        res.end(req.method === 'HEAD' ? undefined : npz);
      },
    },
    {
      methods: ['GET'],
      pattern: /^\/v1\/calc\/(\d+)\/datastore$/,
      handler: async (req, res, match) => {
        const job = jobOf(match);
        if (job === undefined || !job.hasDatastore) return notFound(res);
        if (!mayRead(req, job)) return forbidden(res);
        const content = Buffer.concat([
          Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]),
          Buffer.alloc(4096, job.id),
        ]);
        await attachment(res, `calc_${job.id}.hdf5`, 'application/x-hdf5', content);
      },
    },
    {
      methods: ['POST'],
      pattern: /^\/v1\/calc\/(\d+)\/abort$/,
      write: 'admin',
      handler: (req, res, match) => {
        const id = match[1];
        const job = jobOf(match);
        if (job === undefined) return json(res, { error: `Unknown job ${id}` });
        if (job.status !== 'submitted' && job.status !== 'executing') {
          return json(res, { error: `Job ${job.id} is not running` });
        }
        const user = actingUser(req);
        if (user !== job.userName && !isSuperuser(user)) {
          return json(res, { error: `User ${user} has no permission to abort job ${job.id}` }, 403);
        }
        if (job.pid === null) {
          return json(res, { error: `PID for job ${job.id} not found in the database` });
        }
        log(job.id, 'WARNING', `Aborting job ${job.id}, pid=${job.pid}`);
        finish(job, 'aborted');
        json(res, { success: `Killing job ${job.id}` });
      },
    },
    {
      methods: ['POST'],
      pattern: /^\/v1\/calc\/(\d+)\/remove$/,
      write: 'admin',
      handler: (req, res, match) => {
        const id = Number(match[1]);
        const job = jobOf(match);
        const dependent = [...jobs.values()]
          .filter((other) => other.parentId === id && other.status !== 'deleted')
          .map((other) => other.id);
        if (dependent.length > 0) {
          return json(
            res,
            {
              error: `Cannot delete calculation ${id}: there are calculations dependent from it: [${dependent.join(', ')}]`,
            },
            403,
          );
        }
        if (job === undefined) {
          return json(res, { error: `Cannot delete calculation ${id}: ID does not exist` }, 403);
        }
        const user = actingUser(req);
        if (user !== job.userName && !isSuperuser(user)) {
          return json(
            res,
            {
              error: `Cannot delete calculation ${id}: it belongs to ${job.userName} and you are ${user}`,
            },
            403,
          );
        }
        clearInterval(job.timer);
        job.status = 'deleted';
        json(res, { success: String(id) });
      },
    },
    {
      methods: ['POST'],
      pattern: /^\/v1\/calc\/run$/,
      write: 'run',
      handler: async (req, res) => {
        const form = await formOf(req);
        const hazard = form.get('hazard_job_id');
        const job = addJob({
          status: 'created',
          description: 'Calculation waiting to start',
          calculationMode: 'custom',
          userName: actingUser(req) || DEFAULT_USER,
          parentId: typeof hazard === 'string' && hazard !== '' ? Number(hazard) : null,
          hasDatastore: false,
        });
        try {
          const files = await filesOf(form);
          job.files = Object.fromEntries(files);
          const jobIni = form.get('job_ini');
          const params = prepare(files, typeof jobIni === 'string' ? jobIni : undefined);
          job.params = { ...params, hazard_calculation_id: job.parentId };
          job.description = params.description ?? '';
          job.calculationMode = params.calculation_mode ?? '';
        } catch (error) {
          const lines = [
            'Traceback (most recent call last):',
            '  File "/opt/openquake/server/views.py", line 620, in calc_run',
            '    job_id = submit_job(request.FILES, ini, username, hc_id)',
            (error as Error).message,
          ];
          log(job.id, 'CRITICAL', lines.join('\n'));
          finish(job, 'failed');
          return json(res, { traceback: lines, job_id: job.id }, 500);
        }
        start(job);
        json(res, { status: 'created', job_id: job.id });
      },
    },
    {
      methods: ['POST'],
      pattern: /^\/v1\/calc\/validate_zip$/,
      write: 'run',
      handler: async (req, res) => {
        const form = await formOf(req);
        if (!(form.get('archive') instanceof Blob)) return text(res, 'Missing archive file', 400);
        try {
          prepare(await filesOf(form), undefined);
          json(res, { valid: true, error_msg: null, error_line: null });
        } catch (error) {
          json(res, { valid: false, error_msg: (error as Error).message, error_line: null });
        }
      },
    },
    {
      methods: ['GET'],
      pattern: /^\/v1\/engine_version$/,
      handler: (_req, res) => text(res, settings.engineVersion),
    },
    {
      methods: ['GET'],
      pattern: /^\/v1\/engine_latest_version$/,
      handler: (_req, res) => text(res, 'None'),
    },
    {
      methods: ['GET'],
      pattern: /^\/v1\/available_gsims$/,
      handler: (_req, res) =>
        json(res, [
          'AbrahamsonEtAl2014',
          'BooreEtAl2014',
          'CampbellBozorgnia2014',
          'ChiouYoungs2014',
        ]),
    },
    {
      methods: ['GET'],
      pattern: /^\/v1\/ini_defaults$/,
      handler: (_req, res) =>
        json(res, {
          aggregate_by: [],
          area_source_discretization: null,
          asset_correlation: 0,
          base_path: '.',
          calculation_mode: '',
          investigation_time: null,
          truncation_level: 99,
        }),
    },
    {
      methods: ['POST'],
      pattern: /^\/v1\/valid\/$/,
      handler: async (req, res) => {
        const form = await formOf(req);
        const xml = form.get('xml_text');
        if (typeof xml !== 'string') {
          return text(res, 'Please provide the "xml_text" parameter', 400);
        }
        json(res, validateNrml(xml));
      },
    },
    {
      methods: ['POST'],
      pattern: /^\/v1\/on_same_fs$/,
      handler: async (req, res) => {
        const form = await formOf(req);
        const filename = String(form.get('filename') ?? '');
        const checksum = Number(form.get('checksum'));
        try {
          const data = (await readFile(filename)).subarray(0, 32);
          json(res, { success: adler32(data) === checksum });
        } catch {
          json(res, { success: false });
        }
      },
    },
  ];

  function modeAllows(route: Route): boolean {
    if (route.accounts === true && !settings.lockdown) return false;
    if (route.write === undefined) return true;
    if (settings.mode === 'READ_ONLY') return false;
    if (settings.mode === 'AELO') return route.write === 'admin';
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    requests.push({
      method,
      path: url.pathname,
      url: `${url.pathname}${url.search}`,
      headers: req.headers,
    });
    res.setHeader('access-control-allow-origin', '*');

    const fault = faults.find(
      (candidate) =>
        (candidate.times ?? 1) > 0 &&
        (candidate.method === undefined || candidate.method === method) &&
        (typeof candidate.path === 'string'
          ? candidate.path === url.pathname
          : candidate.path.test(url.pathname)),
    );
    if (fault !== undefined) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.delayMs !== undefined) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault.destroy === true) {
        req.socket.destroy();
        return;
      }
      if (fault.stallAfterBytes !== undefined) {
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': String(fault.stallAfterBytes * 10),
          'content-disposition': 'attachment; filename=stalled.bin',
        });
        res.write(Buffer.alloc(fault.stallAfterBytes, 0x30));
        return;
      }
      if (fault.status !== undefined) {
        send(res, fault.status, fault.body ?? `<h1>${fault.status}</h1>`, 'text/html');
        return;
      }
    }

    for (const route of routes) {
      const match = route.pattern.exec(url.pathname);
      if (match === null) continue;
      if (!modeAllows(route)) return notFound(res);
      if (!route.methods.includes(method)) {
        res.writeHead(405, { allow: route.methods.join(', '), 'content-length': '0' });
        res.end();
        return;
      }
      if (url.pathname.startsWith('/v1/')) {
        if (settings.lockdown && userOf(req) === undefined) return forbidden(res);
        if (settings.csrf && method === 'POST') {
          const token = cookiesOf(req).csrftoken;
          if (token === undefined || req.headers['x-csrftoken'] !== token) {
            return send(
              res,
              403,
              '<h1>Forbidden (403)</h1><p>CSRF verification failed. Request aborted.</p>',
              'text/html',
            );
          }
        }
      }
      await route.handler(req, res, match, url);
      return;
    }
    notFound(res);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) text(res, `Server Error: ${(error as Error).message}`, 500);
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    jobs,
    outputs,
    requests,
    faults,
    get bytesSent() {
      return bytesSent;
    },
    count: (path, method) =>
      requests.filter(
        (request) =>
          (method === undefined || request.method === method) &&
          (typeof path === 'string' ? request.path === path : path.test(request.path)),
      ).length,
    addJob,
    addOutput,
    log,
    close: async () => {
      for (const job of jobs.values()) clearInterval(job.timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function cookiesOf(req: IncomingMessage): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const equals = part.indexOf('=');
    if (equals > 0) cookies[part.slice(0, equals).trim()] = part.slice(equals + 1).trim();
  }
  return cookies;
}

/** A urlencoded or multipart body, parsed as Django would fill request.POST and FILES. */
async function formOf(req: IncomingMessage): Promise<FormData> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const contentType = req.headers['content-type'] ?? '';
  if (body.length === 0 || contentType === '') return new FormData();
  return new Response(body, { headers: { 'content-type': contentType } }).formData();
}

function validateNrml(xml: string): {
  valid: boolean;
  error_msg: string | null;
  error_line: number | null;
} {
  const trimmed = xml.replace(/^\s*<\?xml[^>]*\?>/, '').trim();
  const root = /^<([\w:.-]+)[^>]*?(\/>|>)/.exec(trimmed);
  const closed =
    root !== null && (root[2] === '/>' || new RegExp(`</${root[1]}>\\s*$`).test(trimmed));
  if (root === null || !closed) {
    const line = xml.split('\n').length;
    return {
      valid: false,
      error_msg: `syntax error: line ${line}, column 0`,
      error_line: line,
    };
  }
  if (root[1] !== 'nrml') {
    return {
      valid: false,
      error_msg: `Expected the root element <nrml>, got <${root[1]}>`,
      error_line: null,
    };
  }
  return { valid: true, error_msg: null, error_line: null };
}
