// The server's limits, not the job's: job.ini ranges checked at submit, worker counts capped.
import { describe, expect, it } from 'vitest';
import { gridFiles, gridIni, postArchive, serverForFile, waitStatus, zipOf } from './helpers.js';

// Two calculations at once sharing 3 workers: one job may use 1 (3 / 2, rounded down).
const running = serverForFile({
  CALC_SERVER_CONCURRENCY: '2',
  CALC_SERVER_MAX_WORKERS_PER_JOB: '2',
  CALC_SERVER_MAX_WORKERS: '3',
});

const withCpus = async (cpus: string) =>
  postArchive(
    `${running.base}/v1/calc/run`,
    await zipOf({ 'job.ini': gridIni.replace('cpus = 0', `cpus = ${cpus}`), ...gridFiles }),
  );

describe('calc-server limits', () => {
  it('refuses at submit a cpus beyond the share of workers the server gives one job', async () => {
    for (const cpus of ['2', '5000', '99999999', '-4']) {
      const response = await withCpus(cpus);
      expect([cpus, response.status, await response.json()]).toEqual([
        cpus,
        500,
        {
          traceback: [
            `job.ini: cpus must be an integer from 0 to 1 (this server runs at most 1 worker process per job), not "${cpus}"`,
          ],
          job_id: expect.any(Number),
        },
      ]);
    }
  });

  it('runs a job within the limit', async () => {
    const response = await withCpus('1');
    const { job_id: id } = (await response.json()) as { job_id: number };
    expect(await waitStatus(running.base, id)).toBe('complete');
  });
});
