import { describe, expect, it } from 'vitest';
import { ProcessPool } from '../src/index.js';

const entry = new URL('./fixtures/pool-worker.ts', import.meta.url);
type Pool = ProcessPool<{ factor: number }, number, { value: number; pid: number }>;

describe('ProcessPool', () => {
  it('sets up every worker and spreads tasks over them, answering each task', async () => {
    const pool: Pool = ProcessPool.spawn(entry, 2);
    try {
      await pool.setup({ factor: 3 });
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => pool.run(i)));
      expect(results.map((result) => result.value)).toEqual(
        Array.from({ length: 40 }, (_, i) => i * 3),
      );
      expect(new Set(results.map((result) => result.pid)).size).toBe(2);
      expect(results.every((result) => result.pid !== process.pid)).toBe(true);
    } finally {
      pool.close();
    }
  });

  it('runs a task on the worker asked for', async () => {
    const pool: Pool = ProcessPool.spawn(entry, 2);
    try {
      await pool.setup({ factor: 2 });
      const first = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.run(i, 0)));
      const second = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.run(i, 1)));
      expect(new Set(first.map((result) => result.pid)).size).toBe(1);
      expect(new Set(second.map((result) => result.pid)).size).toBe(1);
      expect(first[0]!.pid).not.toBe(second[0]!.pid);
      expect(second.map((result) => result.value)).toEqual([0, 2, 4, 6, 8, 10]);
      await expect(pool.run(1, 2)).rejects.toThrow('No worker 2 in a pool of 2');
    } finally {
      pool.close();
    }
  });

  it('rejects a failing task with its error, and keeps serving the others', async () => {
    const pool: Pool = ProcessPool.spawn(entry, 1);
    try {
      await pool.setup({ factor: 2 });
      await expect(pool.run(-1)).rejects.toThrow('negative task');
      await expect(pool.run(-1)).rejects.toMatchObject({ kind: 'invalid-input' });
      expect((await pool.run(5)).value).toBe(10);
    } finally {
      pool.close();
    }
  });

  it('fails setup with the worker’s error, and every pending task when a worker dies', async () => {
    const bad: Pool = ProcessPool.spawn(entry, 1);
    await expect(bad.setup({ factor: 0 })).rejects.toThrow('factor must not be 0');
    bad.close();
    const pool: Pool = ProcessPool.spawn(entry, 1);
    try {
      await pool.setup({ factor: 1 });
      await expect(pool.run(-2)).rejects.toThrow('a worker process stopped (exit 3)');
      await expect(pool.run(1)).rejects.toThrow('a worker process stopped (exit 3)');
    } finally {
      pool.close();
    }
  });
});
