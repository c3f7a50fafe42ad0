// The whole lifecycle through @geoworks/calc-engine-client, as its users drive a server.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CalcEngineClient, JobRunError } from '@geoworks/calc-engine-client';
import { gridFiles, gridIni, startServer, zipOf, type Server } from './helpers.js';

let server: Server;
let client: CalcEngineClient;
const out = mkdtempSync(join(tmpdir(), 'calc-client-'));

beforeAll(async () => {
  ({ server } = await startServer());
  client = new CalcEngineClient({ url: server.url });
});
afterAll(async () => {
  await server.stop();
});

describe('calc-engine-client against calc-server', () => {
  it('runs an intersection from a zip, follows its log, downloads every export, extracts, removes', async () => {
    const archive = join(out, 'job.zip');
    writeFileSync(archive, await zipOf({ 'job.ini': gridIni, ...gridFiles }));
    const id = await client.run({ archive });
    const seen: string[] = [];
    const final = await client.wait(id, {
      pollMs: 50,
      onLog: (rows) => {
        seen.push(...rows.map((row) => row.message));
      },
    });
    expect(final.status).toBe('complete');
    expect(seen).toEqual((await client.logs(id)).map((row) => row.message));
    expect(new Set(seen).size).toBe(seen.length);
    expect(await client.logSize(id)).toBe(seen.length);
    expect(await client.traceback(id)).toEqual([]);

    const [output] = await client.results(id);
    for (const exportType of output!.outtypes) {
      const saved = await client.download(output!.id, { exportType, to: out });
      expect(saved.path).toBe(join(out, `output-${output!.id}-intersections.${exportType}`));
      expect(statSync(saved.path!).size).toBe(saved.bytes);
      expect(saved.bytes).toBeGreaterThan(100);
    }
    expect(readFileSync(join(out, `output-${output!.id}-intersections.csv`), 'utf8')).toMatch(
      /^id,from_label,to_label,measure\n0,grid cell 0,single,/,
    );
    const params = (await client.extractParams(id)) as Record<string, unknown>;
    expect(params).toMatchObject({
      calculation_mode: 'intersection',
      description: 'Grid x square',
    });
    const table = await client.extract(id, 'intersections');
    expect(table.array?.shape).toEqual([4]);

    await client.remove(id);
    await expect(client.status(id)).rejects.toThrow();
    expect((await client.list()).map((job) => job.id)).not.toContain(id);
  });

  it('surfaces a run that cannot start as a JobRunError with the traceback', async () => {
    const archive = join(out, 'broken.zip');
    writeFileSync(archive, await zipOf({ 'readme.txt': 'no ini' }));
    const error = await client.run({ archive }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JobRunError);
    expect((error as JobRunError).traceback[0]).toBe('There are no .ini files in the archive');
    expect((await client.status((error as JobRunError).jobId!)).status).toBe('failed');
  });

  it('aborts a long job and sees it aborted', async () => {
    const archive = join(out, 'slow.zip');
    writeFileSync(
      archive,
      await zipOf({
        'job.ini': '[a]\ndescription = Slow\ncalculation_mode = slow\nseconds = 60\n',
      }),
    );
    const id = await client.run({ archive });
    for (
      let i = 0;
      !(await client.logs(id)).some((row) => row.message === 'slow mode starts waiting');
      i++
    ) {
      if (i > 400) throw new Error('the slow job did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The job would wait 60 s, past the test's timeout; the server reports it aborted as soon
    // as the abort call returns.
    await client.abort(id);
    expect((await client.status(id)).status).toBe('aborted');
    await expect(client.abort(id)).rejects.toThrow(`Job ${id} is not running`);
  });

  it('answers the informational calls', async () => {
    expect(await client.engineVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(await client.engineLatestVersion()).toBeNull();
    expect(await client.availableGsims()).toEqual([]);
    expect(await client.iniDefaults()).toMatchObject({ calculation_mode: '' });
  });
});
