import { describe, expect, it } from 'vitest';
import { eventually } from '../src/index.js';

describe('eventually', () => {
  it('gives what the probe resolves with once it stops throwing', async () => {
    let calls = 0;
    const value = await eventually(async () => {
      calls++;
      if (calls < 3) throw new Error(`not yet (${calls})`);
      return 'ready';
    });
    expect(value).toBe('ready');
    expect(calls).toBe(3);
  });

  it('throws the last error once the time is up', async () => {
    let calls = 0;
    await expect(
      eventually(
        async () => {
          calls++;
          throw new Error(`failure ${calls}`);
        },
        { timeoutMs: 0 },
      ),
    ).rejects.toThrow('failure 1');
  });
});
