// Conformance of each route with OpenQuake's engine server, over real HTTP.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonFromNpy, readNpz } from '@geoworks/npz';
import { adler32 } from '@geoworks/calc-engine-client';
import {
  gridFiles,
  gridIni,
  postArchive,
  startServer,
  waitStatus,
  zipOf,
  type Server,
} from './helpers.js';

let server: Server;
let dataDir: string;
let base: string;

beforeAll(async () => {
  ({ server, dataDir } = await startServer());
  base = server.url.replace(/\/$/, '');
});
afterAll(async () => {
  await server.stop();
});

/** Posts the grid x square job and waits for it to complete; its id. */
async function runGridJob(): Promise<number> {
  const response = await postArchive(
    `${base}/v1/calc/run`,
    await zipOf({ 'job.ini': gridIni, ...gridFiles }),
  );
  expect(response.status).toBe(200);
  const { job_id } = (await response.json()) as { job_id: number };
  expect(await waitStatus(base, job_id)).toBe('complete');
  return job_id;
}

// The completed job the read-only tests look at: made by whichever of them runs first, so each
// can run alone or in any order.
let gridJobId: Promise<number> | undefined;
const gridJob = () => (gridJobId ??= runGridJob());

const getJson = async (path: string) => {
  const response = await fetch(`${base}${path}`);
  return {
    status: response.status,
    body: (await response.json()) as unknown,
    headers: response.headers,
  };
};

/** Polls the job's log until a row says `message` (the job's process is then running). */
async function waitForLog(id: number, message: string): Promise<void> {
  for (let i = 0; ; i++) {
    const rows = (await getJson(`/v1/calc/${id}/log/:`)).body as string[][];
    if (rows.some((row) => row[3] === message)) return;
    if (i > 400) throw new Error(`job ${id} never logged "${message}"`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('calc-server, the OpenQuake engine server API', () => {
  it('answers 404 for an unknown job and an empty list at first, with CORS headers', async () => {
    // A server of its own: "at first" whatever the other tests ran.
    const fresh = await startServer();
    try {
      const root = fresh.server.url.replace(/\/$/, '');
      const unknown = await fetch(`${root}/v1/calc/0`, {
        headers: { origin: 'http://elsewhere.example' },
      });
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('access-control-allow-origin')).toBe('*');
      expect(await unknown.json()).toEqual({ error: 'Unknown job 0' });
      expect(await (await fetch(`${root}/v1/calc/list`)).json()).toEqual([]);
      expect((await fetch(`${root}/v1/calc/abc`)).status).toBe(404);
    } finally {
      await fresh.server.stop();
    }
  });

  it('runs a job.zip and follows it to completion', async () => {
    const response = await postArchive(
      `${base}/v1/calc/run`,
      await zipOf({ 'job.ini': gridIni, ...gridFiles }),
    );
    expect(response.status).toBe(200);
    const created = (await response.json()) as { status: string; job_id: number };
    expect(created.status).toBe('created');
    const jobId = created.job_id;
    expect(await waitStatus(base, jobId)).toBe('complete');

    // Other tests' jobs may be listed too: this one is described as OpenQuake does.
    const list = ((await getJson('/v1/calc/list')).body as { id: number }[]).filter(
      (job) => job.id === jobId,
    );
    expect(list).toEqual([
      {
        id: jobId,
        owner: 'geoworks',
        calculation_mode: 'intersection',
        status: 'complete',
        is_running: false,
        description: 'Grid x square',
        url: `${base}/v1/calc/${jobId}`,
        parent_id: null,
        abortable: false,
        size_mb: expect.any(Number),
        start_time: expect.stringMatching(/^\d{4}-\d\d-\d\d, \d\d:\d\d:\d\d UTC$/),
      },
    ]);
    expect((await getJson(`/v1/calc/${jobId}/status`)).body).toEqual(list[0]);
    expect((await getJson(`/v1/calc/${jobId}`)).body).toEqual({
      user_name: 'geoworks',
      status: 'complete',
      start_time: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      stop_time: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      is_running: false,
    });
  });

  it('filters and pages the list', async () => {
    const jobId = await gridJob();
    const ids = async (query: string) =>
      ((await getJson(`/v1/calc/list${query}`)).body as { id: number }[]).map((job) => job.id);
    const all = await ids('');
    expect(all).toContain(jobId);
    // No test runs a raster_stats job, and each waits for its own jobs to end.
    expect(await ids('?calculation_mode=raster_stats')).toEqual([]);
    expect(await ids('?calculation_mode=intersection')).toContain(jobId);
    expect(await ids('?is_running=true')).toEqual([]);
    expect(await ids('?is_running=false')).toEqual(all);
    expect(await ids('?start_time=2999-01-01T00:00:00Z')).toEqual([]);
    expect(await ids('?limit=0')).toEqual([]);
    expect(await ids('?limit=1')).toEqual(all.slice(0, 1));
    expect(await ids(`?offset=${all.length}`)).toEqual([]);
    expect((await getJson('/v1/calc/list?limit=x')).status).toBe(400);
    expect((await getJson('/v1/calc/list?start_time=yesterday')).status).toBe(400);
  });

  it('serves log slices, the log size and an empty traceback', async () => {
    const jobId = await gridJob();
    const { body: all } = await getJson(`/v1/calc/${jobId}/log/:`);
    const rows = all as [string, string, string, string][];
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows[0]![0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d\d$/);
    expect(rows[0]![1]).toBe('INFO');
    expect(rows[0]![2]).toMatch(/^pid-\d+$/);
    expect(rows[0]![3]).toMatch(/intersection starting/);
    expect((await getJson(`/v1/calc/${jobId}/log/size`)).body).toBe(rows.length);
    expect((await getJson(`/v1/calc/${jobId}/log/0:`)).body).toEqual(rows);
    expect((await getJson(`/v1/calc/${jobId}/log/1:2`)).body).toEqual([rows[1]]);
    expect((await getJson(`/v1/calc/${jobId}/log/:1`)).body).toEqual([rows[0]]);
    expect((await getJson('/v1/calc/424242/log/:')).body).toEqual([]);
    expect((await getJson(`/v1/calc/${jobId}/log/a:b`)).status).toBe(400);
    expect((await getJson(`/v1/calc/${jobId}/traceback`)).body).toEqual([]);
  });

  it('lists results and downloads every export, with HEAD too', async () => {
    const jobId = await gridJob();
    const { body } = await getJson(`/v1/calc/${jobId}/results`);
    const results = body as {
      id: number;
      name: string;
      type: string;
      outtypes: string[];
      url: string;
      size_mb: number;
    }[];
    expect(results).toEqual([
      {
        id: expect.any(Number),
        name: 'Intersections',
        type: 'intersections',
        outtypes: ['json', 'csv', 'geojson', 'gpkg'],
        url: `${base}/v1/calc/result/${results[0]!.id}`,
        size_mb: expect.any(Number),
      },
    ]);
    expect((await getJson(`/v1/calc/${jobId}/result/list`)).body).toEqual(results);
    for (const type of results[0]!.outtypes) {
      const response = await fetch(`${results[0]!.url}?export_type=${type}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-disposition')).toBe(
        `attachment; filename=output-${results[0]!.id}-intersections.${type}`,
      );
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(100);
      const head = await fetch(`${results[0]!.url}?export_type=${type}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(Number(head.headers.get('content-length'))).toBeGreaterThan(100);
    }
    const csv = await (await fetch(`${results[0]!.url}?export_type=csv`)).text();
    expect(csv.split('\n')[0]).toBe('id,from_label,to_label,measure');
    const missing = await fetch(`${results[0]!.url}?export_type=xml`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'Nothing to export for export_type=xml' });
    expect((await fetch(`${base}/v1/calc/result/999999?export_type=csv`)).status).toBe(404);
  });

  it('extracts npz files numpy can read, and the datastore', async () => {
    const jobId = await gridJob();
    const oqparam = await fetch(`${base}/v1/calc/${jobId}/extract/oqparam`);
    expect(oqparam.status).toBe(200);
    const npz = await readNpz(new Uint8Array(await oqparam.arrayBuffer()));
    expect(jsonFromNpy(npz.json!)).toMatchObject({
      calculation_mode: 'intersection',
      first_file: expect.stringMatching(/grid\.geojson$/),
    });
    const table = await readNpz(
      new Uint8Array(
        await (await fetch(`${base}/v1/calc/${jobId}/extract/intersections`)).arrayBuffer(),
      ),
    );
    expect((table.array!.data as { to_label: string }[]).map((row) => row.to_label)).toEqual([
      'single',
      'single',
      'single',
      'single',
    ]);
    expect((await fetch(`${base}/v1/calc/${jobId}/extract/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/v1/calc/999999/extract/oqparam`)).status).toBe(404);
    const datastore = await fetch(`${base}/v1/calc/${jobId}/datastore`);
    expect(datastore.status).toBe(200);
    expect(datastore.headers.get('content-disposition')).toBe(
      `attachment; filename=calc_${jobId}.gpkg`,
    );
    const bytes = Buffer.from(await datastore.arrayBuffer());
    expect(bytes.subarray(0, 15).toString()).toBe('SQLite format 3');
  });

  it('serves a datastore only for a complete job', async () => {
    const failed = await postArchive(`${base}/v1/calc/run`, await zipOf({ 'a.csv': 'a\n' }));
    const { job_id: failedId } = (await failed.json()) as { job_id: number };
    expect(await getJson(`/v1/calc/${failedId}/datastore`)).toMatchObject({
      status: 404,
      body: { error: `Job ${failedId} has no datastore: it is failed, not complete` },
    });
    const slow = await postArchive(
      `${base}/v1/calc/run`,
      await zipOf({
        'job.ini': '[a]\ndescription = Slow\ncalculation_mode = slow\nseconds = 60\n',
      }),
    );
    const { job_id: slowId } = (await slow.json()) as { job_id: number };
    await waitForLog(slowId, 'slow mode starts waiting');
    const answer = await getJson(`/v1/calc/${slowId}/datastore`);
    await fetch(`${base}/v1/calc/${slowId}/abort`, { method: 'POST' });
    expect(answer).toMatchObject({
      status: 404,
      body: { error: `Job ${slowId} has no datastore: it is executing, not complete` },
    });
  });

  it('runs from files posted one by one, with job_ini naming the ini', async () => {
    const form = new FormData();
    form.append('job_config', new Blob([gridIni]), 'mine.ini');
    form.append('other', new Blob(['[x]\ndescription = not this\n']), 'other.ini');
    for (const name of ['grid.geojson', 'square.geojson'] as const) {
      form.append(
        name,
        new Blob([(await import('node:fs')).readFileSync(gridFiles[name].path)]),
        name,
      );
    }
    form.append('job_ini', 'mine.ini');
    const response = await fetch(`${base}/v1/calc/run`, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    const { job_id } = (await response.json()) as { job_id: number };
    expect(await waitStatus(base, job_id)).toBe('complete');
  });

  it('answers 500 with the traceback and a failed job when a run cannot start', async () => {
    const noIni = await postArchive(`${base}/v1/calc/run`, await zipOf({ 'data.csv': 'a,b\n' }));
    expect(noIni.status).toBe(500);
    const body = (await noIni.json()) as { traceback: string[]; job_id: number };
    expect(body.traceback[0]).toBe('There are no .ini files in the archive');
    expect((await getJson(`/v1/calc/${body.job_id}/status`)).body).toMatchObject({
      status: 'failed',
      is_running: false,
    });
    expect(((await getJson(`/v1/calc/${body.job_id}/traceback`)).body as string[])[0]).toBe(
      'There are no .ini files in the archive',
    );
    const missing = await postArchive(`${base}/v1/calc/run`, await zipOf({ 'job.ini': gridIni }));
    expect(missing.status).toBe(500);
    expect(((await missing.json()) as { traceback: string[] }).traceback[0]).toBe(
      'No such file: grid.geojson (first_file)',
    );
    const notZip = await postArchive(`${base}/v1/calc/run`, Buffer.from('not a zip'));
    expect(notZip.status).toBe(500);
    expect(((await notZip.json()) as { traceback: string[] }).traceback[0]).toMatch(
      /^The archive is not a valid zip file/,
    );
  });

  it('validates job.zips and XML', async () => {
    const good = await postArchive(
      `${base}/v1/calc/validate_zip`,
      await zipOf({ 'job.ini': gridIni, ...gridFiles }),
    );
    expect(await good.json()).toEqual({ valid: true, error_msg: null, error_line: null });
    const bad = await postArchive(
      `${base}/v1/calc/validate_zip`,
      await zipOf({ 'job.ini': gridIni }),
    );
    expect(await bad.json()).toEqual({
      valid: false,
      error_msg: 'No such file: grid.geojson (first_file)',
      error_line: null,
    });
    const none = await fetch(`${base}/v1/calc/validate_zip`, {
      method: 'POST',
      body: new FormData(),
    });
    expect(none.status).toBe(400);
    expect(await none.text()).toBe('Missing archive file');
    const noXml = await fetch(`${base}/v1/valid/`, {
      method: 'POST',
      body: new URLSearchParams({}),
    });
    expect(noXml.status).toBe(400);
    expect(await noXml.text()).toBe('Please provide the "xml_text" parameter');
    const xml = await fetch(`${base}/v1/valid/`, {
      method: 'POST',
      body: new URLSearchParams({
        xml_text: '<nrml xmlns="http://openquake.org/xmlns/nrml/0.5">\n<a>\n</nrml>',
      }),
    });
    expect(await xml.json()).toMatchObject({ valid: false, error_line: 3 });
  });

  it('aborts a running job at once and refuses to abort others', async () => {
    const started = await postArchive(
      `${base}/v1/calc/run`,
      await zipOf({
        'job.ini': '[a]\ndescription = Slow\ncalculation_mode = slow\nseconds = 60\n',
      }),
    );
    const { job_id } = (await started.json()) as { job_id: number };
    await waitForLog(job_id, 'slow mode starts waiting');
    // The job would wait 60 s, past the test's timeout: only the abort can end it.
    const abort = await fetch(`${base}/v1/calc/${job_id}/abort`, { method: 'POST' });
    expect(await abort.json()).toEqual({ success: `Killing job ${job_id}` });
    expect((await getJson(`/v1/calc/${job_id}/status`)).body).toMatchObject({
      status: 'aborted',
      is_running: false,
    });
    const again = await fetch(`${base}/v1/calc/${job_id}/abort`, { method: 'POST' });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ error: `Job ${job_id} is not running` });
    expect(await (await fetch(`${base}/v1/calc/999999/abort`, { method: 'POST' })).json()).toEqual({
      error: 'Unknown job 999999',
    });
  });

  it('removes jobs, refusing while another job uses one as parent', async () => {
    const jobId = await gridJob();
    const child = await postArchive(
      `${base}/v1/calc/run`,
      await zipOf({ 'job.ini': '[a]\ndescription = Rest\ncalculation_mode = remaining_areas\n' }),
      { hazard_job_id: String(jobId) },
    );
    const { job_id: childId } = (await child.json()) as { job_id: number };
    expect(await waitStatus(base, childId)).toBe('complete');
    expect((await getJson(`/v1/calc/${childId}/status`)).body).toMatchObject({ parent_id: jobId });
    const refused = await fetch(`${base}/v1/calc/${jobId}/remove`, { method: 'POST' });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      error: `Job ${jobId} cannot be removed: job ${childId} uses it as parent`,
    });
    expect(
      await (await fetch(`${base}/v1/calc/${childId}/remove`, { method: 'POST' })).json(),
    ).toEqual({ success: String(childId) });
    expect((await fetch(`${base}/v1/calc/${childId}`)).status).toBe(404);
    expect(
      ((await getJson('/v1/calc/list')).body as { id: number }[]).map((job) => job.id),
    ).not.toContain(childId);
  });

  it('answers the informational routes', async () => {
    expect(await (await fetch(`${base}/v1/engine_version`)).text()).toMatch(/^\d+\.\d+\.\d+/);
    expect(await (await fetch(`${base}/v1/engine_latest_version`)).text()).toBe('None');
    expect((await getJson('/v1/available_gsims')).body).toEqual([]);
    const { body } = await getJson('/v1/ini_defaults');
    expect(body).toMatchObject({
      description: '',
      calculation_mode: '',
      base_path: '.',
      cpus: 1,
      rule: 'centre',
    });
    expect(JSON.stringify(body)).not.toMatch(/NaN/);
    const file = join(dataDir, 'probe.bin');
    writeFileSync(file, Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'));
    const checksum = adler32(Buffer.from('0123456789abcdefghijklmnopqrstuv'));
    const same = async (filename: string, sum: number) =>
      (await (
        await fetch(`${base}/v1/on_same_fs`, {
          method: 'POST',
          body: new URLSearchParams({ filename, checksum: String(sum) }),
        })
      ).json()) as { success: boolean };
    expect(await same(file, checksum)).toEqual({ success: true });
    expect(await same(file, checksum + 1)).toEqual({ success: false });
    expect(await same('/etc/passwd', checksum)).toEqual({ success: false });
    const openapi = (await getJson('/openapi.json')).body as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(['/v1/calc/list', '/v1/calc/{id}/log/{start}:{stop}', '/v1/calc/run']),
    );
  });
});

describe('application modes', () => {
  it('READ_ONLY answers 404 on the write routes and serves the rest', async () => {
    const { server: readOnly } = await startServer({ CALC_SERVER_APPLICATION_MODE: 'READ_ONLY' });
    try {
      const url = readOnly.url.replace(/\/$/, '');
      expect(
        (await postArchive(`${url}/v1/calc/run`, await zipOf({ 'job.ini': gridIni }))).status,
      ).toBe(404);
      expect(
        (await postArchive(`${url}/v1/calc/validate_zip`, await zipOf({ 'job.ini': gridIni })))
          .status,
      ).toBe(404);
      expect((await fetch(`${url}/v1/calc/1/abort`, { method: 'POST' })).status).toBe(404);
      expect((await fetch(`${url}/v1/calc/1/remove`, { method: 'POST' })).status).toBe(404);
      expect((await fetch(`${url}/v1/calc/list`)).status).toBe(200);
    } finally {
      await readOnly.stop();
    }
  });
});
