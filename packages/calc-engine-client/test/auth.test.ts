import { ForbiddenError, InvalidInputError } from '@geoworks/errors';
import { describe, expect, it } from 'vitest';
import { CalcEngineClient, EngineForbiddenError } from '../src/index.js';
import { clientOf, fakeEngine, INPUTS, JOB_INI } from './helpers/setup.js';
import { makeZip } from './helpers/zip.js';

const users = {
  alice: { password: 'secret-a' },
  bob: { password: 'secret-b' },
  carol: { password: 'secret-c', active: false },
  root: { password: 'secret-r', superuser: true },
};

describe('sessions on a locked-down server', () => {
  it('is refused (403) without logging in', async () => {
    const engine = await fakeEngine({ lockdown: true, users });
    const client = clientOf(engine);
    const error = await client.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineForbiddenError);
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as EngineForbiddenError).serverMessage).toBe('403 Forbidden');
  });

  it('logs in with ajax_login and sends the session cookie afterwards', async () => {
    const engine = await fakeEngine({ lockdown: true, users });
    engine.addJob({ status: 'complete', userName: 'alice' });
    engine.addJob({ status: 'complete', userName: 'bob' });
    const client = clientOf(engine, { username: 'alice', password: 'secret-a' });
    await client.login();
    const login = engine.requests.find((request) => request.path === '/accounts/ajax_login/');
    expect(login?.method).toBe('POST');
    expect(login?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect((await client.list()).map((calc) => calc.id)).toEqual([1]);
    expect(engine.requests.at(-1)?.headers.cookie).toMatch(/sessionid=[0-9a-f]{32}/);
  });

  it('logs in by itself before the first call when it has a username', async () => {
    const engine = await fakeEngine({ lockdown: true, users });
    const client = clientOf(engine, { username: 'bob', password: 'secret-b' });
    await Promise.all([client.list(), client.engineVersion(), client.availableGsims()]);
    expect(engine.count('/accounts/ajax_login/')).toBe(1);
  });

  it('sends the CSRF token back as X-CSRFToken on POSTs', async () => {
    const engine = await fakeEngine({ lockdown: true, users, csrf: true });
    const client = clientOf(engine, { username: 'alice', password: 'secret-a' });
    const id = await client.run({ archive: makeZip({ 'job.ini': JOB_INI, ...INPUTS }) });
    expect(engine.jobs.get(id)?.userName).toBe('alice');
    const run = engine.requests.find((request) => request.path === '/v1/calc/run');
    expect(run?.headers['x-csrftoken']).toMatch(/^[0-9a-f]{32}$/);
    expect(run?.headers.cookie).toContain(`csrftoken=${String(run?.headers['x-csrftoken'])}`);
  });

  it('throws the 403 of a wrong password or a disabled account with the server text', async () => {
    const engine = await fakeEngine({ lockdown: true, users });
    const wrong = clientOf(engine, { username: 'alice', password: 'nope' });
    const error = await wrong.login().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineForbiddenError);
    expect((error as EngineForbiddenError).serverMessage).toBe('Invalid login');
    expect((error as EngineForbiddenError).url).toBe(`${engine.url}/accounts/ajax_login/`);
    // The lazy login fails the same way, and is tried again at the next call.
    await expect(wrong.list()).rejects.toThrow(/Invalid login/);
    await expect(wrong.list()).rejects.toThrow(/Invalid login/);
    expect(engine.count('/accounts/ajax_login/')).toBe(3);
    const disabled = clientOf(engine, { username: 'carol', password: 'secret-c' });
    await expect(disabled.login()).rejects.toThrow(/Disabled account/);
  });

  it('logs out: the session is gone and the server refuses again', async () => {
    const engine = await fakeEngine({ lockdown: true, users });
    const client = clientOf(engine, { username: 'alice', password: 'secret-a' });
    await client.list();
    await client.logout();
    const anonymous = new CalcEngineClient({ url: engine.url });
    await expect(anonymous.list()).rejects.toBeInstanceOf(EngineForbiddenError);
    // The next call of a client with credentials logs in again.
    await client.list();
    expect(engine.count('/accounts/ajax_login/')).toBe(2);
  });

  it('lets only the owner (or a superuser) abort or remove a job', async () => {
    const engine = await fakeEngine({ lockdown: true, users });
    engine.addJob({ status: 'executing', userName: 'alice', pid: 7 });
    engine.addJob({ status: 'complete', userName: 'alice' });
    const bob = clientOf(engine, { username: 'bob', password: 'secret-b' });
    const root = clientOf(engine, { username: 'root', password: 'secret-r' });
    const abort = await bob.abort(1).catch((e: unknown) => e);
    expect(abort).toBeInstanceOf(EngineForbiddenError);
    expect((abort as EngineForbiddenError).serverMessage).toBe(
      'User bob has no permission to abort job 1',
    );
    const remove = await bob.remove(2).catch((e: unknown) => e);
    expect((remove as EngineForbiddenError).serverMessage).toBe(
      'Cannot delete calculation 2: it belongs to alice and you are bob',
    );
    await expect(bob.info(2)).rejects.toBeInstanceOf(EngineForbiddenError);
    expect(await root.abort(1)).toBe('Killing job 1');
    await root.remove(2);
  });

  it('goes on without a session when the server has no authentication', async () => {
    const engine = await fakeEngine();
    engine.addJob({ status: 'complete' });
    const client = clientOf(engine, { username: 'alice', password: 'secret-a' });
    expect((await client.list()).map((calc) => calc.id)).toEqual([1]);
    expect(engine.count('/accounts/ajax_login/')).toBe(1);
    await client.status(1);
    expect(engine.count('/accounts/ajax_login/')).toBe(1);
    // An explicit login() still reports the missing route.
    await expect(client.login()).rejects.toThrow(/Not Found/);
  });

  it('needs a username to log in', async () => {
    const engine = await fakeEngine();
    await expect(clientOf(engine).login()).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('reports being sent to a login page as an unauthorised error', async () => {
    const client = new CalcEngineClient({
      url: 'http://engine.example',
      fetch: async () => {
        const response = new Response('<html>login</html>', {
          headers: { 'content-type': 'text/html' },
        });
        Object.defineProperty(response, 'redirected', { value: true });
        Object.defineProperty(response, 'url', {
          value: 'http://engine.example/accounts/login/?next=/v1/calc/list',
        });
        return response;
      },
    });
    await expect(client.list()).rejects.toThrow(/Redirected to the login page/);
  });
});
