// LOCKDOWN: one visibility rule on every per-job route, and sessions that cannot be read.
import { beforeAll, describe, expect, it } from 'vitest';
import { callEveryRoute } from '@geoworks/test-fixtures';
import { gridFiles, gridIni, postArchive, serverForFile, waitStatus, zipOf } from './helpers.js';

const running = serverForFile({ CALC_SERVER_LOCKDOWN: 'true' });
const cookies: Record<string, string> = {};
let jobId: number;

beforeAll(async () => {
  const { server, base } = running;
  for (const [username, group] of [
    ['ann', 'lab'],
    ['bob', 'lab'],
    ['carl', 'other'],
  ] as const) {
    const password = `${username}-password`;
    await server.accounts.createUser({
      username,
      email: `${username}@example.org`,
      password,
      groups: [group],
    });
    const login = await fetch(`${base}/accounts/ajax_login/`, {
      method: 'POST',
      body: new URLSearchParams({ username, password }),
    });
    cookies[username] = login.headers.get('set-cookie')!.split(';')[0]!;
  }
  const run = await postArchive(
    `${base}/v1/calc/run`,
    await zipOf({ 'job.ini': gridIni, ...gridFiles }),
    {},
    cookies.ann,
  );
  jobId = ((await run.json()) as { job_id: number }).job_id;
  expect(await waitStatus(base, jobId, cookies.ann)).toBe('complete');
  const results = await fetch(`${base}/v1/calc/${jobId}/results`, {
    headers: { cookie: cookies.ann! },
  });
  // The first job of a fresh server, with one output: both ids are the same.
  expect(((await results.json()) as { id: number }[]).map((output) => output.id)).toEqual([jobId]);
});

/** Every route about one job: `{id}` is the job (its one output has the same id, checked). */
const perJob = (route: string) => route.includes('/v1/calc/') && route.includes('{id}');
const asUser = (user: string, only: (route: string) => boolean) =>
  callEveryRoute(running.base, {
    headers: { cookie: cookies[user]! },
    query: '?export_type=csv',
    pathValues: { id: String(jobId), what: 'oqparam', start: '0', stop: '' },
    only,
  });

describe('LOCKDOWN visibility', () => {
  it('refuses every per-job route to a user of another group, as GET /v1/calc/N does', async () => {
    const answers = await asUser('carl', perJob);
    expect(answers.length).toBeGreaterThanOrEqual(10);
    expect(answers).toEqual(
      answers.map(({ route }) => {
        const action = route.endsWith('/abort')
          ? 'abort'
          : route.endsWith('/remove')
            ? 'remove'
            : 'see';
        return {
          route,
          status: 403,
          body: JSON.stringify({
            error: `User carl has no permission to ${action} job ${jobId}`,
          }),
        };
      }),
    );
  });

  it('serves every per-job read to a member of the same group', async () => {
    const answers = await asUser('bob', (route) => perJob(route) && route.startsWith('GET '));
    expect(answers.length).toBeGreaterThanOrEqual(8);
    expect(answers.map(({ route, status }) => [route, status])).toEqual(
      answers.map(({ route }) => [route, 200]),
    );
  });

  it('answers a non-owner aborting a finished job as for a job they cannot see', async () => {
    for (const user of ['bob', 'carl']) {
      const abort = await fetch(`${running.base}/v1/calc/${jobId}/abort`, {
        method: 'POST',
        headers: { cookie: cookies[user]! },
      });
      expect([user, abort.status, await abort.json()]).toEqual([
        user,
        403,
        { error: `User ${user} has no permission to abort job ${jobId}` },
      ]);
    }
    const own = await fetch(`${running.base}/v1/calc/${jobId}/abort`, {
      method: 'POST',
      headers: { cookie: cookies.ann! },
    });
    expect(await own.json()).toEqual({ error: `Job ${jobId} is not running` });
  });

  it('refuses a parent (hazard_job_id) its submitter may not see', async () => {
    const refused = await postArchive(
      `${running.base}/v1/calc/run`,
      await zipOf({ 'job.ini': '[a]\ndescription = Rest\ncalculation_mode = remaining_areas\n' }),
      { hazard_job_id: String(jobId) },
      cookies.carl,
    );
    expect(refused.status).toBe(500);
    expect(((await refused.json()) as { traceback: string[] }).traceback[0]).toBe(
      `User carl has no permission to see job ${jobId}`,
    );
  });

  it('answers 403 to a session cookie that is not valid percent-encoding, on every /v1 route', async () => {
    for (const cookie of ['sessionid=%ZZ', 'sessionid=%E0%A4%A']) {
      const answers = await callEveryRoute(running.base, {
        headers: { cookie },
        only: (route) => route.includes(' /v1/'),
      });
      expect(answers.length).toBeGreaterThan(15);
      const body = JSON.stringify({
        error: 'Authentication required: log in at /accounts/ajax_login/',
      });
      expect(answers).toEqual(answers.map(({ route }) => ({ route, status: 403, body })));
      const logout = await fetch(`${running.base}/accounts/ajax_logout/`, {
        method: 'POST',
        headers: { cookie },
      });
      expect([logout.status, await logout.text()]).toEqual([200, 'Successful logout']);
    }
  });
});
