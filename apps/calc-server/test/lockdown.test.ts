// LOCKDOWN: logins, groups, owners, and the password reset by email.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOutbox } from '@geoworks/mailer';
import { postArchive, startServer, zipOf, type Server } from './helpers.js';

let server: Server;
let dataDir: string;
let base: string;

beforeAll(async () => {
  ({ server, dataDir } = await startServer({ CALC_SERVER_LOCKDOWN: 'true' }));
  base = server.url.replace(/\/$/, '');
  await server.accounts.createUser({
    username: 'ann',
    email: 'ann@example.org',
    password: 'ann-password',
    groups: ['lab'],
  });
  await server.accounts.createUser({
    username: 'bob',
    email: 'bob@example.org',
    password: 'bob-password',
    groups: ['lab'],
  });
  await server.accounts.createUser({
    username: 'carl',
    email: 'carl@example.org',
    password: 'carl-password',
    groups: ['other'],
  });
});
afterAll(async () => {
  await server.stop();
});

async function login(
  username: string,
  password: string,
): Promise<{ status: number; text: string; cookie: string | null }> {
  const response = await fetch(`${base}/accounts/ajax_login/`, {
    method: 'POST',
    body: new URLSearchParams({ username, password }),
  });
  const setCookie = response.headers.get('set-cookie');
  return {
    status: response.status,
    text: await response.text(),
    cookie: setCookie === null ? null : setCookie.split(';')[0]!,
  };
}

describe('lockdown', () => {
  it('refuses anonymous /v1 requests with 403 and bad logins with the original texts', async () => {
    expect((await fetch(`${base}/v1/calc/list`)).status).toBe(403);
    expect(await login('ann', 'wrong-password')).toMatchObject({
      status: 403,
      text: 'Invalid login',
      cookie: null,
    });
    expect(await login('nobody', 'whatever-password')).toMatchObject({
      status: 403,
      text: 'Invalid login',
    });
    await server.accounts.createUser({
      username: 'dora',
      email: 'dora@example.org',
      password: 'dora-password',
    });
    await server.accounts.deactivate('dora');
    expect(await login('dora', 'dora-password')).toMatchObject({
      status: 403,
      text: 'Disabled account',
    });
  });

  it('shows jobs to their group only, and lets only the owner abort or remove', async () => {
    const ann = await login('ann', 'ann-password');
    expect(ann).toMatchObject({ status: 200, text: 'Successful login' });
    expect(ann.cookie).toMatch(/^sessionid=/);
    const bob = (await login('bob', 'bob-password')).cookie!;
    const carl = (await login('carl', 'carl-password')).cookie!;
    const run = await postArchive(
      `${base}/v1/calc/run`,
      await zipOf({
        'job.ini': '[a]\ndescription = Ann waits\ncalculation_mode = slow\nseconds = 60\n',
      }),
      {},
      ann.cookie!,
    );
    const { job_id: id } = (await run.json()) as { job_id: number };
    const list = async (cookie: string) =>
      (
        (await (await fetch(`${base}/v1/calc/list`, { headers: { cookie } })).json()) as {
          id: number;
          owner: string;
        }[]
      ).map((job) => [job.id, job.owner]);
    expect(await list(ann.cookie!)).toEqual([[id, 'ann']]);
    expect(await list(bob)).toEqual([[id, 'ann']]);
    expect(await list(carl)).toEqual([]);
    expect((await fetch(`${base}/v1/calc/${id}`, { headers: { cookie: carl } })).status).toBe(403);
    const carlAbort = await fetch(`${base}/v1/calc/${id}/abort`, {
      method: 'POST',
      headers: { cookie: carl },
    });
    expect(carlAbort.status).toBe(403);
    expect(await carlAbort.json()).toEqual({
      error: `User carl has no permission to abort job ${id}`,
    });
    const bobAbort = await fetch(`${base}/v1/calc/${id}/abort`, {
      method: 'POST',
      headers: { cookie: bob },
    });
    expect(bobAbort.status).toBe(403);
    const annAbort = await fetch(`${base}/v1/calc/${id}/abort`, {
      method: 'POST',
      headers: { cookie: ann.cookie! },
    });
    expect(await annAbort.json()).toEqual({ success: `Killing job ${id}` });
    const bobRemove = await fetch(`${base}/v1/calc/${id}/remove`, {
      method: 'POST',
      headers: { cookie: bob },
    });
    expect(bobRemove.status).toBe(403);
    expect(await bobRemove.json()).toEqual({
      error: `User bob has no permission to remove job ${id}`,
    });

    const logout = await fetch(`${base}/accounts/ajax_logout/`, {
      method: 'POST',
      headers: { cookie: ann.cookie! },
    });
    expect(await logout.text()).toBe('Successful logout');
    expect((await fetch(`${base}/v1/calc/list`, { headers: { cookie: ann.cookie! } })).status).toBe(
      403,
    );
  });

  it('resets a password through the emailed link', async () => {
    const form = await fetch(`${base}/reset_password/`);
    expect(await form.text()).toContain('<form method="post">');
    const asked = await fetch(`${base}/reset_password/`, {
      method: 'POST',
      body: new URLSearchParams({ email: 'bob@example.org' }),
    });
    expect(asked.status).toBe(200);
    const unknown = await fetch(`${base}/reset_password/`, {
      method: 'POST',
      body: new URLSearchParams({ email: 'x@example.org' }),
    });
    expect(await unknown.text()).toBe(
      await (
        await fetch(`${base}/reset_password/`, {
          method: 'POST',
          body: new URLSearchParams({ email: 'y@example.org' }),
        })
      ).text(),
    );
    await server.accounts.whenIdle();
    const messages = await readOutbox(join(dataDir, 'outbox'));
    const mail = messages.find((message) =>
      message.to.some((address) => address.includes('bob@example.org')),
    );
    expect(mail).toBeDefined();
    const token = /\/reset_password\/([^/\s]+)\//.exec(mail!.text ?? '')![1]!;
    const reset = await fetch(`${base}/reset_password/${token}/`, {
      method: 'POST',
      body: new URLSearchParams({ password: 'bob-new-password' }),
    });
    expect(reset.status).toBe(200);
    expect(await login('bob', 'bob-password')).toMatchObject({ status: 403 });
    expect(await login('bob', 'bob-new-password')).toMatchObject({ status: 200 });
    const again = await fetch(`${base}/reset_password/${token}/`, {
      method: 'POST',
      body: new URLSearchParams({ password: 'bob-other-password' }),
    });
    expect(again.status).toBe(400);
  });
});
