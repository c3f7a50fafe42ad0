// Query and path parameters: checked against the routes' declarations before any handler.
import { describe, expect, it } from 'vitest';
import { callEveryRoute } from '@geoworks/test-fixtures';
import { postArchive, serverForFile, zipOf } from './helpers.js';

const running = serverForFile();

async function call(path: string, method = 'GET') {
  const response = await fetch(`${running.base}${path}`, { method });
  return { status: response.status, body: (await response.json()) as unknown };
}

/** A job that exists (it failed at once: its archive has no job.ini). */
async function failedJob(): Promise<number> {
  const response = await postArchive(
    `${running.base}/v1/calc/run`,
    await zipOf({ 'data.csv': 'a\n' }),
  );
  return ((await response.json()) as { job_id: number }).job_id;
}

describe('calc-server parameters', () => {
  it('refuses a query parameter given twice on every route, with 400 naming it', async () => {
    const answers = await callEveryRoute(running.base, { query: '?dup=1&dup=2' });
    expect(answers.length).toBeGreaterThan(20);
    const body = JSON.stringify({ error: 'Query parameter "dup" is given 2 times: give it once' });
    expect(answers).toEqual(answers.map(({ route }) => ({ route, status: 400, body })));
  });

  it('answers 400 for repeated or out-of-range list filters', async () => {
    expect(await call('/v1/calc/list?calculation_mode=1&calculation_mode=2')).toEqual({
      status: 400,
      body: { error: 'Query parameter "calculation_mode" is given 2 times: give it once' },
    });
    expect(await call('/v1/calc/list?is_running=true&is_running=false')).toEqual({
      status: 400,
      body: { error: 'Query parameter "is_running" is given 2 times: give it once' },
    });
    expect(await call('/v1/calc/list?offset=99999999999999999999999999')).toEqual({
      status: 400,
      body: {
        error:
          'Query parameter "offset" must be an integer from 0 to 9007199254740991, not "99999999999999999999999999"',
      },
    });
    expect(await call('/v1/calc/list?limit=100001')).toEqual({
      status: 400,
      body: { error: 'Query parameter "limit" must be an integer from 0 to 100000, not "100001"' },
    });
    expect(await call('/v1/calc/list?is_running=maybe')).toEqual({
      status: 400,
      body: { error: 'Query parameter "is_running" must be true or false, not "maybe"' },
    });
    expect(await call('/v1/calc/list?limit=0&offset=0&is_running=0')).toEqual({
      status: 200,
      body: [],
    });
  });

  it('reads job and output ids as decimal integers only: anything else is 404', async () => {
    const id = await failedJob();
    expect((await call(`/v1/calc/${id}`)).status).toBe(200);
    for (const spelling of [`${id}e0`, `0x${id.toString(16)}`, `${id}.0`, `+${id}`, `%20${id}`]) {
      for (const path of [
        `/v1/calc/${spelling}`,
        `/v1/calc/${spelling}/status`,
        `/v1/calc/${spelling}/log/size`,
        `/v1/calc/${spelling}/log/0:`,
        `/v1/calc/${spelling}/traceback`,
        `/v1/calc/result/${spelling}?export_type=json`,
      ]) {
        expect([path, await call(path)]).toEqual([
          path,
          { status: 404, body: { error: `No route for GET ${path.split('?')[0]}` } },
        ]);
      }
      const abort = `/v1/calc/${spelling}/abort`;
      expect([abort, await call(abort, 'POST')]).toEqual([
        abort,
        { status: 404, body: { error: `No route for POST ${abort}` } },
      ]);
    }
  });

  it('refuses log slices beyond the integers it can read', async () => {
    const id = await failedJob();
    expect(await call(`/v1/calc/${id}/log/99999999999999999999999:`)).toEqual({
      status: 400,
      body: { error: 'The log slice must be <start>:<stop>, with optional bounds' },
    });
  });

  it('refuses a form field given twice, with 400 naming it', async () => {
    for (const [path, field, other] of [
      ['/accounts/ajax_login/', 'username', 'password'],
      ['/v1/on_same_fs', 'filename', 'checksum'],
      ['/reset_password/', 'email', 'other'],
    ] as const) {
      const response = await fetch(`${running.base}${path}`, {
        method: 'POST',
        body: `${field}=a&${field}=b&${other}=c`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect([path, response.status, await response.json()]).toEqual([
        path,
        400,
        { error: `Form field "${field}" is given 2 times: give it once` },
      ]);
    }
  });

  it('refuses a hazard_job_id that is not a decimal job id', async () => {
    const parent = await failedJob();
    const response = await postArchive(
      `${running.base}/v1/calc/run`,
      await zipOf({ 'job.ini': '[a]\ndescription = Rest\ncalculation_mode = remaining_areas\n' }),
      { hazard_job_id: `${parent}e0` },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: `hazard_job_id must be a job id (a decimal integer), not "${parent}e0"`,
    });
  });
});
