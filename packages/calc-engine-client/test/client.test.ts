import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError, NotFoundError, UpstreamError } from '@geoworks/errors';
import { describe, expect, it } from 'vitest';
import {
  EngineConflictError,
  EngineForbiddenError,
  EngineInvalidInputError,
  EngineNotFoundError,
  EngineUpstreamError,
  JobRunError,
  sameFsChecksum,
} from '../src/index.js';
import {
  clientOf,
  fakeEngine,
  INPUTS,
  JOB_INI,
  jobIni,
  temporaryDir,
  until,
} from './helpers/setup.js';
import { makeZip } from './helpers/zip.js';

/** Rejects with an error of `Class`; resolves with it for more assertions. */
async function rejection<T extends Error>(
  promise: Promise<unknown>,
  Class: abstract new (...args: never[]) => T,
): Promise<T> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Class);
  return error as T;
}

describe('calculations', () => {
  it('lists calculations newest first, normalising the engine shapes', async () => {
    const engine = await fakeEngine();
    engine.addJob({ status: 'complete', calculationMode: 'classical', description: 'first' });
    engine.addJob({
      status: 'executing',
      calculationMode: 'event_based',
      description: 'second',
      parentId: 1,
      sizeMb: 2.5,
      startTime: new Date('2024-08-01T12:00:00Z'),
    });
    const client = clientOf(engine);

    const all = await client.list();
    expect(all.map((calc) => calc.id)).toEqual([2, 1]);
    const [second] = all;
    expect(second).toMatchObject({
      id: 2,
      status: 'executing',
      calculationMode: 'event_based',
      description: 'second',
      owner: 'openquake',
      isRunning: true,
      abortable: true,
      parentId: 1,
      sizeMb: 2.5,
      startTimeText: '2024-08-01, 12:00:00 UTC',
      url: `${engine.url.replace('127.0.0.1', '127.0.0.1')}/v1/calc/2`,
    });
    expect(second?.startTime?.toISOString()).toBe('2024-08-01T12:00:00.000Z');
    expect(second?.raw.start_time).toBe('2024-08-01, 12:00:00 UTC');

    expect((await client.list({ calculationMode: 'classical' })).map((c) => c.id)).toEqual([1]);
    expect((await client.list({ isRunning: true })).map((c) => c.id)).toEqual([2]);
    expect((await client.list({ isRunning: false })).map((c) => c.id)).toEqual([1]);
    expect((await client.list({ limit: 1 })).map((c) => c.id)).toEqual([2]);
    expect((await client.list({ limit: 1, offset: 1 })).map((c) => c.id)).toEqual([1]);
    const lastQuery = engine.requests.filter((r) => r.path === '/v1/calc/list').pop();
    expect(lastQuery?.url).toBe('/v1/calc/list?limit=1&offset=1');
    await client.list({ startTime: new Date('2024-08-01T12:00:00.500Z') });
    expect(engine.requests.at(-1)?.url).toBe('/v1/calc/list?start_time=2024-08-01+12%3A00%3A00');
  });

  it('refuses bad list options before sending anything', async () => {
    const engine = await fakeEngine();
    const client = clientOf(engine);
    await rejection(client.list({ limit: -1 }), InvalidInputError);
    await rejection(client.status(-3), InvalidInputError);
    await rejection(client.status(1.5), InvalidInputError);
    expect(engine.requests).toHaveLength(0);
  });

  it('gives the status of one job, 404 for an unknown or deleted one', async () => {
    const engine = await fakeEngine();
    engine.addJob({ status: 'complete' });
    engine.addJob({ status: 'deleted' });
    const client = clientOf(engine);
    expect(await client.status(1)).toMatchObject({ id: 1, status: 'complete', isRunning: false });
    const error = await rejection(client.status(0), EngineNotFoundError);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.status).toBe(404);
    expect(error.method).toBe('GET');
    expect(error.url).toBe(`${engine.url}/v1/calc/0/status`);
    expect(error.serverMessage).toBe(
      'Not Found The requested resource was not found on this server.',
    );
    await rejection(client.status(2), EngineNotFoundError);
  });

  it('gives the info of a job, with is_running as 0/1 and Python times', async () => {
    const engine = await fakeEngine();
    engine.addJob({
      status: 'failed',
      userName: 'michele',
      startTime: new Date('2017-06-05T12:01:26Z'),
      stopTime: new Date('2017-06-05T12:01:28.575Z'),
    });
    engine.addJob({ status: 'executing' });
    const client = clientOf(engine);
    const info = await client.info(1);
    expect(info).toMatchObject({
      userName: 'michele',
      status: 'failed',
      isRunning: false,
      startTimeText: '2017-06-05 12:01:26',
      stopTimeText: '2017-06-05 12:01:28.575000',
    });
    expect(info.raw.is_running).toBe(0);
    expect(info.startTime?.toISOString()).toBe('2017-06-05T12:01:26.000Z');
    expect(info.stopTime?.toISOString()).toBe('2017-06-05T12:01:28.575Z');
    expect((await client.info(2)).isRunning).toBe(true);
    await rejection(client.info(0), EngineNotFoundError);
  });
});

describe('run', () => {
  it('runs a job.ini with its inputs as multipart files', async () => {
    const engine = await fakeEngine();
    const dir = temporaryDir();
    writeFileSync(join(dir, 'job.ini'), JOB_INI);
    for (const [name, content] of Object.entries(INPUTS)) writeFileSync(join(dir, name), content);
    const client = clientOf(engine);

    const id = await client.run({
      jobIni: join(dir, 'job.ini'),
      inputs: Object.keys(INPUTS).map((name) => join(dir, name)),
    });
    expect(id).toBe(1);
    const job = engine.jobs.get(1);
    expect(Object.keys(job?.files ?? {}).sort()).toEqual([
      'gmpe_logic_tree.xml',
      'job.ini',
      'source_model_logic_tree.xml',
    ]);
    expect(job?.description).toBe('Classical PSHA demo');
    expect(job?.calculationMode).toBe('classical');
    const request = engine.requests.find((r) => r.path === '/v1/calc/run');
    expect(request?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
  });

  it('runs files given by content, and an archive given as a path or bytes', async () => {
    const engine = await fakeEngine();
    const client = clientOf(engine);
    const fromContent = await client.run({
      jobIni: { name: 'job.ini', content: JOB_INI },
      inputs: Object.entries(INPUTS).map(([name, content]) => ({ name, content })),
    });
    const archive = makeZip({ 'job.ini': JOB_INI, ...INPUTS }, { deflate: true });
    const fromBytes = await client.run({ archive });
    const dir = temporaryDir();
    writeFileSync(join(dir, 'job.zip'), archive);
    const fromPath = await client.run({ archive: join(dir, 'job.zip'), hazardJobId: fromBytes });
    expect([fromContent, fromBytes, fromPath]).toEqual([1, 2, 3]);
    expect(engine.jobs.get(3)?.parentId).toBe(2);
    expect(engine.jobs.get(3)?.params.hazard_calculation_id).toBe(2);
  });

  it('names the ini inside an archive with jobIni', async () => {
    const engine = await fakeEngine();
    const client = clientOf(engine);
    const archive = makeZip({
      'job_hazard.ini': jobIni('Hazard part'),
      'job_risk.ini': jobIni('Risk part'),
      ...INPUTS,
    });
    const id = await client.run({ archive, jobIni: 'job_risk.ini' });
    expect(engine.jobs.get(id)?.description).toBe('Risk part');
  });

  it('surfaces the 500 {traceback, job_id} as a JobRunError carrying both', async () => {
    const engine = await fakeEngine();
    const client = clientOf(engine);
    const error = await rejection(
      client.run({ archive: makeZip({ 'README.txt': 'no ini here' }) }),
      JobRunError,
    );
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.status).toBe(500);
    expect(error.jobId).toBe(1);
    expect(error.traceback.at(-1)).toBe(
      'openquake.baselib.InvalidFile: There are no .ini files in the archive',
    );
    expect(error.message).toContain('Job 1 failed before starting');
    expect(error.message).toContain('There are no .ini files in the archive');
    expect(engine.jobs.get(1)?.status).toBe('failed');
    expect(await client.traceback(1)).toEqual(error.traceback);

    const missing = await rejection(
      client.run({ jobIni: { name: 'job.ini', content: JOB_INI } }),
      JobRunError,
    );
    expect(missing.jobId).toBe(2);
    expect(missing.traceback.at(-1)).toMatch(/No such file: source_model_logic_tree.xml/);
  });

  it('checks its input before sending', async () => {
    const engine = await fakeEngine();
    const client = clientOf(engine);
    await rejection(client.run({ jobIni: '/does/not/exist/job.ini' }), InvalidInputError);
    await rejection(client.run({} as never), InvalidInputError);
    await rejection(
      client.run({
        jobIni: { name: 'job.ini', content: JOB_INI },
        inputs: [
          { name: 'a/x.xml', content: '1' },
          { name: 'b/x.xml', content: '2' },
        ],
      }),
      InvalidInputError,
    );
    expect(engine.requests).toHaveLength(0);
  });

  it('validates a job.zip', async () => {
    const engine = await fakeEngine();
    const client = clientOf(engine);
    expect(await client.validateZip(makeZip({ 'job.ini': JOB_INI, ...INPUTS }))).toEqual({
      valid: true,
      errorMsg: null,
      errorLine: null,
    });
    expect(await client.validateZip(makeZip({ 'other.txt': 'x' }))).toEqual({
      valid: false,
      errorMsg: 'openquake.baselib.InvalidFile: There are no .ini files in the archive',
      errorLine: null,
    });
  });

  it('gets 404 for write routes on a read-only server', async () => {
    const engine = await fakeEngine({ mode: 'READ_ONLY' });
    engine.addJob({ status: 'executing' });
    const client = clientOf(engine);
    await rejection(client.run({ archive: makeZip({ 'job.ini': JOB_INI }) }), EngineNotFoundError);
    await rejection(client.abort(1), EngineNotFoundError);
    await rejection(client.remove(1), EngineNotFoundError);
    expect((await client.status(1)).status).toBe('executing');
  });
});

describe('logs, traceback and results', () => {
  it('reads log slices, the log size and the traceback', async () => {
    const engine = await fakeEngine();
    engine.addJob({ status: 'complete' });
    for (const message of ['one', 'two', 'three', 'four']) engine.log(1, 'INFO', message);
    const client = clientOf(engine);

    const all = await client.logs(1);
    expect(all.map((row) => [row.index, row.message])).toEqual([
      [0, 'one'],
      [1, 'two'],
      [2, 'three'],
      [3, 'four'],
    ]);
    expect(all[0]).toMatchObject({ level: 'INFO', process: 'MainProcess' });
    expect(all[0]?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d\d$/);
    expect((await client.logs(1, { start: 1, stop: 3 })).map((r) => [r.index, r.message])).toEqual([
      [1, 'two'],
      [2, 'three'],
    ]);
    expect((await client.logs(1, { start: 2 })).map((r) => r.message)).toEqual(['three', 'four']);
    expect(await client.logs(1, { stop: 0 })).toEqual([]);
    expect(await client.logs(99)).toEqual([]);
    expect(await client.logSize(1)).toBe(4);
    expect(await client.logSize(99)).toBe(0);
    expect(await client.traceback(1)).toEqual([]);
    await rejection(client.traceback(99), EngineNotFoundError);
  });

  it('lists results, 404 when there are none', async () => {
    const engine = await fakeEngine();
    engine.addJob({ status: 'complete' });
    engine.addJob({ status: 'executing' });
    engine.addOutput(1, {
      displayName: 'Hazard Curves',
      dsKey: 'hcurves',
      sizeMb: 0.027,
      exports: { csv: [{ name: 'hc.csv', content: 'a,b\n' }], xml: [] },
    });
    const client = clientOf(engine);
    expect(await client.results(1)).toMatchObject([
      {
        id: 1,
        name: 'Hazard Curves',
        type: 'hcurves',
        outtypes: ['csv', 'xml'],
        url: `${engine.url}/v1/calc/result/1`,
        sizeMb: 0.027,
      },
    ]);
    await rejection(client.results(2), EngineNotFoundError);
    await rejection(client.results(3), EngineNotFoundError);
  });
});

describe('abort and remove', () => {
  it('aborts a running job', async () => {
    const engine = await fakeEngine({ tickMs: 10 });
    const client = clientOf(engine);
    const id = await client.run({
      jobIni: { name: 'job.ini', content: jobIni('hang until aborted') },
      inputs: Object.entries(INPUTS).map(([name, content]) => ({ name, content })),
    });
    await until(() => engine.jobs.get(id)?.status === 'executing');
    expect(await client.abort(id)).toBe(`Killing job ${id}`);
    expect((await client.status(id)).status).toBe('aborted');
  });

  it('throws the {"error"} refusals of abort, although they come with 200', async () => {
    const engine = await fakeEngine();
    engine.addJob({ status: 'complete' });
    const client = clientOf(engine);
    const unknown = await rejection(client.abort(42), EngineNotFoundError);
    expect(unknown.status).toBe(200);
    expect(unknown.serverMessage).toBe('Unknown job 42');
    const notRunning = await rejection(client.abort(1), EngineConflictError);
    expect(notRunning.status).toBe(200);
    expect(notRunning.serverMessage).toBe('Job 1 is not running');
    expect(notRunning.message).toContain('Job 1 is not running');
  });

  it('removes a job, which then leaves the list', async () => {
    const engine = await fakeEngine();
    engine.addJob({ status: 'complete' });
    engine.addJob({ status: 'complete' });
    const client = clientOf(engine);
    await client.remove(1);
    expect((await client.list()).map((calc) => calc.id)).toEqual([2]);
    await rejection(client.status(1), EngineNotFoundError);
  });

  it('throws the 403 refusals of remove with the server message', async () => {
    const engine = await fakeEngine();
    engine.addJob({ status: 'complete' });
    engine.addJob({ status: 'complete', parentId: 1 });
    const client = clientOf(engine);
    const dependent = await rejection(client.remove(1), EngineForbiddenError);
    expect(dependent.status).toBe(403);
    expect(dependent.serverMessage).toBe(
      'Cannot delete calculation 1: there are calculations dependent from it: [2]',
    );
    const unknown = await rejection(client.remove(9), EngineForbiddenError);
    expect(unknown.serverMessage).toBe('Cannot delete calculation 9: ID does not exist');
  });

  it('sends abort and remove only once even when the server answers 503', async () => {
    const engine = await fakeEngine();
    engine.addJob({ status: 'executing', pid: 5 });
    engine.faults.push(
      { path: '/v1/calc/1/abort', status: 503, times: 5 },
      { path: '/v1/calc/1/remove', status: 503, times: 5 },
    );
    const client = clientOf(engine, { retries: 3 });
    await rejection(client.abort(1), EngineUpstreamError);
    await rejection(client.remove(1), EngineUpstreamError);
    expect(engine.count('/v1/calc/1/abort')).toBe(1);
    expect(engine.count('/v1/calc/1/remove')).toBe(1);
  });
});

describe('server information', () => {
  it('reads versions, defaults and GSIMs', async () => {
    const engine = await fakeEngine({ engineVersion: '3.22.1' });
    const client = clientOf(engine);
    expect(await client.engineVersion()).toBe('3.22.1');
    expect(await client.engineLatestVersion()).toBeNull();
    expect(await client.iniDefaults()).toMatchObject({ truncation_level: 99, base_path: '.' });
    expect(await client.availableGsims()).toContain('BooreEtAl2014');
  });

  it('validates NRML text', async () => {
    const engine = await fakeEngine();
    const client = clientOf(engine);
    expect(await client.validateXml('<?xml version="1.0"?>\n<nrml><x/></nrml>')).toEqual({
      valid: true,
      errorMsg: null,
      errorLine: null,
    });
    expect(await client.validateXml('<nrml>\n<x>\n')).toEqual({
      valid: false,
      errorMsg: 'syntax error: line 3, column 0',
      errorLine: 3,
    });
  });

  it('maps the 400 of a missing xml_text to EngineInvalidInputError', async () => {
    const engine = await fakeEngine();
    const client = clientOf(engine);
    // Sent without the parameter, as another client might: straight through fetch.
    const response = await fetch(`${engine.url}/v1/valid/`, { method: 'POST' });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('Please provide the "xml_text" parameter');
    engine.faults.push({
      path: '/v1/valid/',
      status: 400,
      body: 'Please provide the "xml_text" parameter',
    });
    const error = await rejection(client.validateXml('<nrml/>'), EngineInvalidInputError);
    expect(error.serverMessage).toBe('Please provide the "xml_text" parameter');
    expect(error.status).toBe(400);
    expect(error.method).toBe('POST');
  });

  it('checks whether the server shares the file system', async () => {
    const engine = await fakeEngine();
    const client = clientOf(engine);
    const file = join(temporaryDir(), 'shared.bin');
    writeFileSync(file, 'Wikipedia, the free encyclopedia, and more than 32 bytes');
    const checksum = await sameFsChecksum(file);
    expect(await client.onSameFs(file, checksum)).toBe(true);
    expect(await client.onSameFs(file, checksum + 1)).toBe(false);
    expect(await client.onSameFs('/no/such/file', checksum)).toBe(false);
  });

  it('reports a non-JSON answer where JSON was promised as an upstream error', async () => {
    const engine = await fakeEngine();
    engine.faults.push({ path: '/v1/calc/list', status: 200, body: '<html>proxy page</html>' });
    const client = clientOf(engine);
    const error = await rejection(client.list(), EngineUpstreamError);
    expect(error.serverMessage).toContain('Expected JSON, got text/html: <html>proxy page</html>');
  });
});
