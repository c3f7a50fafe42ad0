import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, get } from 'node:http';
import { createRequire } from 'node:module';
import { connect, createServer, type AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { handleShutdownSignals, listen } from '../src/index.js';
import { captureLogs, serve, sleep } from './helpers/server.js';

/** Resolves when a TCP connection to the port opens, rejects with its error otherwise. */
function tcpConnect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

/** A route that answers only once the test calls `release()`. */
function heldRoute() {
  let release!: () => void;
  let started!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const hasStarted = new Promise<void>((resolve) => (started = resolve));
  const events: string[] = [];
  const app = express();
  app.get('/held', async (_req, res) => {
    started();
    await released;
    res.on('finish', () => events.push('response finished'));
    res.send('held done');
  });
  app.get('/', (_req, res) => {
    res.send('hello');
  });
  return { app, release, hasStarted, events };
}

describe('listen', () => {
  it('listens on a free port and reports the real one', async () => {
    const handle = await serve(express().get('/', (_req, res) => void res.send('hi')));
    expect(handle.port).toBeGreaterThan(0);
    expect(handle.url).toBe(`http://127.0.0.1:${handle.port}/`);
    expect(await (await fetch(handle.url)).text()).toBe('hi');
  });

  it('binds every interface by default and gives a loopback URL', async () => {
    const handle = await listen(
      express().get('/', (_req, res) => void res.send('all')),
      {
        port: 0,
      },
    );
    try {
      // Every interface is '::' where the machine has IPv6, else '0.0.0.0': what a plain server
      // bound without a host gets here is the one answer.
      const plain = createServer();
      await new Promise<void>((resolve) => plain.listen(0, resolve));
      const everywhere = (plain.address() as AddressInfo).address;
      await new Promise((resolve) => plain.close(resolve));
      expect((handle.server.address() as AddressInfo).address).toBe(everywhere);
      expect(handle.url).toBe(`http://127.0.0.1:${handle.port}/`);
      expect(await (await fetch(handle.url)).text()).toBe('all');
    } finally {
      await handle.stop();
    }
  });

  it('sets how long a request may take to arrive', async () => {
    const handle = await listen(express(), {
      port: 0,
      host: '127.0.0.1',
      requestTimeoutMs: 3_600_000,
    });
    expect(handle.server.requestTimeout).toBe(3_600_000);
    await handle.stop();
  });

  it('rejects when the port is taken', async () => {
    const first = await serve(express());
    await expect(listen(express(), { port: first.port, host: '127.0.0.1' })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });
});

describe('stop', () => {
  it('lets an in-flight request finish, refusing new connections meanwhile', async () => {
    const { app, release, hasStarted, events } = heldRoute();
    const handle = await serve(app);
    handle.onStop(() => events.push('closer ran'));
    const pending = fetch(`${handle.url}held`);
    await hasStarted;

    let stopped = false;
    const stopping = handle.stop().then(() => (stopped = true));
    await expect(tcpConnect(handle.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // The held request is not released yet, so stop() cannot have finished; the order of
    // events below shows it waited for the response before running its closers.
    expect(stopped).toBe(false);

    release();
    const response = await pending;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('held done');
    // The client is told not to reuse the connection.
    expect(response.headers.get('connection')).toBe('close');
    await stopping;
    expect(events).toEqual(['response finished', 'closer ran']);
    await expect(fetch(handle.url)).rejects.toThrow();
  });

  it('does not wait for idle keep-alive connections', async () => {
    const { app } = heldRoute();
    // Neither the idle timeout nor the stop timeout could end the idle connection within the
    // test's time: only stop() closing it lets the test finish.
    const handle = await listen(app, { port: 0, host: '127.0.0.1', stopTimeoutMs: 3_600_000 });
    handle.server.keepAliveTimeout = 3_600_000;
    const agent = new Agent({ keepAlive: true });
    const body = await new Promise<string>((resolve, reject) => {
      get(handle.url, { agent }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(body).toBe('hello');
    // The connection stays open, idle, in the agent's pool.
    const [idle] = Object.values(agent.freeSockets).flat();
    expect(idle?.destroyed).toBe(false);
    const closed = new Promise((resolve) => idle!.once('close', resolve));

    await handle.stop();
    await closed;
    expect(idle!.destroyed).toBe(true);
    agent.destroy();
  });

  it('closes requests still running at the timeout', async () => {
    const { logger, lines } = captureLogs();
    const { app, hasStarted } = heldRoute();
    const handle = await listen(app, { port: 0, host: '127.0.0.1', logger, stopTimeoutMs: 200 });
    const pending = fetch(`${handle.url}held`);
    await hasStarted;
    // The held request is never released: only the stop timeout can end it.
    await handle.stop();
    await expect(pending).rejects.toThrow();
    expect(lines.find((line) => line.level === 40)).toMatchObject({
      msg: 'requests still running at the stop timeout; closing their connections',
      inFlight: 1,
      timeoutMs: 200,
    });
  });

  it('runs closers in reverse order, logging a failure and running the rest', async () => {
    const { logger, lines } = captureLogs();
    const handle = await listen(express(), { port: 0, host: '127.0.0.1', logger });
    const order: string[] = [];
    handle.onStop(() => order.push('queue'));
    handle.onStop(async () => {
      await sleep(10);
      order.push('database');
      throw new Error('database close failed');
    });
    handle.onStop(() => order.push('temporary files'));

    const error = (await handle.stop().catch((reason: unknown) => reason)) as AggregateError;
    expect(order).toEqual(['temporary files', 'database', 'queue']);
    expect(error).toBeInstanceOf(AggregateError);
    expect(error.message).toBe('1 shutdown step(s) failed');
    expect(error.errors.map((reason: Error) => reason.message)).toEqual(['database close failed']);
    const logged = lines.find((line) => line.level === 50);
    expect(logged?.msg).toBe('a shutdown step failed');
    expect((logged?.err as { message: string }).message).toBe('database close failed');
  });

  it('is idempotent', async () => {
    const handle = await listen(express(), { port: 0, host: '127.0.0.1' });
    let closes = 0;
    handle.onStop(() => closes++);
    const first = handle.stop();
    expect(handle.stop()).toBe(first);
    await first;
    await handle.stop();
    expect(closes).toBe(1);
  });
});

describe('handleShutdownSignals', () => {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const fixture = fileURLToPath(new URL('./fixtures/signal-server.ts', import.meta.url));

  /** Starts the fixture service; `waitFor` resolves when its output matches. */
  async function startService(slowDelayMs: number, options: { ipc?: boolean } = {}) {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', tsx, '--conditions=@geoworks/source', fixture, String(slowDelayMs)],
      { stdio: ['ignore', 'pipe', 'inherit', ...(options.ipc ? (['ipc'] as const) : [])] },
    );
    let output = '';
    const waiters: (() => void)[] = [];
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const waiter of waiters) waiter();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const waitFor = (pattern: RegExp) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match) resolve(match);
        };
        waiters.push(check);
        check();
        void exited.then(() => reject(new Error(`exited before ${pattern}; output: ${output}`)));
      });
    const [, url] = await waitFor(/listening (\S+)/);
    return { child, url: url!, waitFor, exited, output: () => output };
  }

  it('stops the service on SIGTERM, finishing the request in flight, and exits 0', async () => {
    const service = await startService(300);
    const pending = fetch(`${service.url}slow`);
    await service.waitFor(/slow request started/);
    service.child.kill('SIGTERM');
    const response = await pending;
    expect(await response.text()).toBe('slow done');
    expect(await service.exited).toBe(0);
    expect(service.output()).toContain('closer ran');
  });

  it('stops cleanly when the supervisor that started it closes the IPC channel', async () => {
    const service = await startService(300, { ipc: true });
    const pending = fetch(`${service.url}slow`);
    await service.waitFor(/slow request started/);
    service.child.disconnect();
    expect(await (await pending).text()).toBe('slow done');
    expect(await service.exited).toBe(0);
    expect(service.output()).toContain('closer ran');
  });

  it('exits 1 at once on a second signal', async () => {
    const service = await startService(10_000);
    const pending = fetch(`${service.url}slow`).catch((error: unknown) => error);
    await service.waitFor(/slow request started/);
    service.child.kill('SIGTERM');
    await service.waitFor(/got SIGTERM/);
    service.child.kill('SIGINT');
    // Exit 1 without the closers: not the clean stop the slow request (10 s) would have let
    // end with exit 0 after the closers.
    expect(await service.exited).toBe(1);
    expect(await pending).toBeInstanceOf(Error);
    expect(service.output()).not.toContain('closer ran');
  });

  it('returns a function that removes its handlers', () => {
    const before = process.listenerCount('SIGTERM');
    const remove = handleShutdownSignals([]);
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    expect(process.listenerCount('SIGINT')).toBeGreaterThan(0);
    remove();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});
