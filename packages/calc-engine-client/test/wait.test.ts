import { AbortedError } from '@geoworks/errors';
import { describe, expect, it } from 'vitest';
import { EngineNotFoundError, WaitTimeoutError, type LogRow } from '../src/index.js';
import { clientOf, fakeEngine, INPUTS, jobIni, recordedSleeps, until } from './helpers/setup.js';

const inputs = Object.entries(INPUTS).map(([name, content]) => ({ name, content }));

describe('wait', () => {
  it('delivers every log row exactly once, in order, while the job runs', async () => {
    const engine = await fakeEngine({ rows: 30, tickMs: 15 });
    const client = clientOf(engine);
    const id = await client.run({ jobIni: { name: 'job.ini', content: jobIni('Demo') }, inputs });

    const batches: LogRow[][] = [];
    const statuses: string[] = [];
    const final = await client.wait(id, {
      pollMs: 25,
      onLog: (rows) => void batches.push(rows),
      onStatus: (calc) => void statuses.push(calc.status),
    });

    expect(final.status).toBe('complete');
    expect(final.isRunning).toBe(false);
    const delivered = batches.flat();
    const log = engine.jobs.get(id)?.logs ?? [];
    expect(delivered.map((row) => row.message)).toEqual(log.map((row) => row.message));
    expect(delivered.map((row) => row.index)).toEqual(log.map((_row, index) => index));
    expect(delivered.at(-1)?.message).toBe(`Calculation ${id} finished correctly in 0.1 seconds`);
    // Streamed while running: several batches, not one at the end.
    expect(batches.length).toBeGreaterThan(3);
    // Each poll asks only for what it has not seen: log/<n>: with n growing.
    const starts = engine.requests
      .filter((request) => request.path.startsWith(`/v1/calc/${id}/log/`))
      .map((request) => Number(/\/log\/(\d+):$/.exec(request.path)?.[1]));
    expect(starts[0]).toBe(0);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(statuses.at(-1)).toBe('complete');
    expect(statuses).toContain('executing');
  });

  it('returns the failed status of a failing job (its traceback is then available)', async () => {
    const engine = await fakeEngine({ rows: 3, tickMs: 10 });
    const client = clientOf(engine);
    const id = await client.run({
      jobIni: { name: 'job.ini', content: jobIni('This one will fail') },
      inputs,
    });
    const rows: LogRow[] = [];
    const final = await client.wait(id, { pollMs: 20, onLog: (batch) => void rows.push(...batch) });
    expect(final.status).toBe('failed');
    expect(rows.at(-1)?.level).toBe('CRITICAL');
    const traceback = await client.traceback(id);
    expect(traceback[0]).toBe('Traceback (most recent call last):');
    expect(traceback.at(-1)).toBe(`ValueError: fake failure in job ${id}`);
  });

  it('returns the aborted status when the job is aborted meanwhile', async () => {
    const engine = await fakeEngine({ tickMs: 10 });
    const client = clientOf(engine);
    const id = await client.run({ jobIni: { name: 'job.ini', content: jobIni('hang') }, inputs });
    const waiting = client.wait(id, { pollMs: 20 });
    // Aborted once the wait has seen the job running.
    await until(() => engine.count(`/v1/calc/${id}/status`) >= 1);
    await client.abort(id);
    expect((await waiting).status).toBe('aborted');
  });

  it('stops waiting when its signal aborts, leaving the job running', async () => {
    const engine = await fakeEngine({ tickMs: 10 });
    // The pause between polls is held: only the signal can end it, not the 1 s passing.
    const sleeps = recordedSleeps(() => true);
    const client = clientOf(engine, { sleep: sleeps.sleep });
    const id = await client.run({ jobIni: { name: 'job.ini', content: jobIni('hang') }, inputs });
    const controller = new AbortController();
    const rows: LogRow[] = [];
    const waiting = client.wait(id, {
      pollMs: 1000,
      signal: controller.signal,
      onLog: (batch) => void rows.push(...batch),
    });
    // Each request armed its 60 s timeout (held, disarmed when it ended); then the poll pause.
    await until(() => sleeps.asked.includes(1000));
    expect(sleeps.asked.filter((ms) => ms !== 60_000)).toEqual([1000]);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
    expect(engine.jobs.get(id)?.status).toBe('executing');
    expect(engine.count(`/v1/calc/${id}/abort`)).toBe(0);
  });

  it('rejects at once with an already aborted signal', async () => {
    const engine = await fakeEngine();
    engine.addJob({ status: 'executing' });
    const client = clientOf(engine);
    await expect(client.wait(1, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      AbortedError,
    );
    expect(engine.requests).toHaveLength(0);
  });

  it('gives up after its timeoutMs with a WaitTimeoutError', async () => {
    const engine = await fakeEngine();
    engine.addJob({ status: 'executing' });
    const client = clientOf(engine);
    const error = await client.wait(1, { pollMs: 20, timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as WaitTimeoutError).lastStatus).toBe('executing');
    expect((error as Error).message).toBe('Job 1 is still executing after 100 ms');
  });

  it('returns at once for a finished job and throws for an unknown one', async () => {
    const engine = await fakeEngine();
    engine.addJob({ status: 'complete' });
    engine.log(1, 'INFO', 'done');
    const client = clientOf(engine);
    const rows: LogRow[] = [];
    const final = await client.wait(1, { onLog: (batch) => void rows.push(...batch) });
    expect(final.status).toBe('complete');
    expect(rows.map((row) => row.message)).toEqual(['done']);
    await expect(client.wait(7)).rejects.toBeInstanceOf(EngineNotFoundError);
  });
});
