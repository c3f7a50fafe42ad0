import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonFromNpy, readNpz } from '@geoworks/npz';
import { pandarusFixture } from '@geoworks/test-fixtures';
import { BUILT_IN_MODES, CalcEngine, JobSubmitError } from '../src/index.js';
import { slowMode } from './fixtures/slow-mode.js';
import { intersectionIni, jobZip, waitForJob } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'calc-engine-'));
let engine: CalcEngine;

beforeAll(async () => {
  engine = await CalcEngine.open({
    dataDir: join(dir, 'data'),
    modes: [...BUILT_IN_MODES, slowMode],
    concurrency: 2,
    abortGraceMs: 500,
  });
});
afterAll(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

const gridFiles = {
  'grid.geojson': { path: pandarusFixture('grid.geojson') },
  'square.geojson': { path: pandarusFixture('square.geojson') },
};

async function submitExpectingFailure(archive: string, on = engine): Promise<JobSubmitError> {
  try {
    await on.submit({ owner: 'tester', archive });
  } catch (error) {
    if (error instanceof JobSubmitError) return error;
    throw error;
  }
  throw new Error('the submission did not fail');
}

describe('CalcEngine', () => {
  it('runs an intersection from a job.zip in its own process, with log, outputs, exports, extracts and datastore', async () => {
    const archive = await jobZip(dir, 'job.zip', { 'job.ini': intersectionIni(), ...gridFiles });
    const { jobId } = await engine.submit({ owner: 'tester', archive });
    expect(await waitForJob(engine, jobId)).toBe('complete');
    const job = engine.job(jobId);
    expect(job).toMatchObject({
      description: 'Grid x square',
      calculationMode: 'intersection',
      owner: 'tester',
      parentId: null,
    });
    expect(job.stopTime).not.toBeNull();
    expect(job.sizeMb).toBeGreaterThan(0);

    const log = await engine.logs(jobId, 0, null);
    expect(log.length).toBeGreaterThanOrEqual(3);
    expect(log[0]!.message).toMatch(/^job \d+: intersection starting \(pid \d+\)$/);
    expect(log[0]!.level).toBe('INFO');
    const pid = Number(/pid (\d+)/.exec(log[0]!.message)![1]);
    expect(pid).not.toBe(process.pid);
    expect(await engine.logSize(jobId)).toBe(log.length);
    expect((await engine.logs(jobId, 1, 2)).map((row) => row.message)).toEqual([log[1]!.message]);
    expect(await engine.traceback(jobId)).toEqual([]);

    const [output] = engine.results(jobId);
    expect(output).toMatchObject({ name: 'Intersections', key: 'intersections' });
    expect(output!.exportTypes.sort()).toEqual(['csv', 'geojson', 'gpkg', 'json']);
    const csv = readFileSync(engine.exportFiles(output!.id, 'csv').files[0]!, 'utf8')
      .trim()
      .split('\n');
    expect(csv[0]).toBe('id,from_label,to_label,measure');
    expect(csv.slice(1).map((line) => line.split(',').slice(0, 3).join(','))).toEqual([
      '0,grid cell 0,single',
      '1,grid cell 1,single',
      '2,grid cell 2,single',
      '3,grid cell 3,single',
    ]);
    expect(Math.abs(Number(csv[1]!.split(',')[3]) / 3097719886.0413523 - 1)).toBeLessThan(1e-6);
    expect(() => engine.exportFiles(output!.id, 'xml')).toThrow(
      'Nothing to export for export_type=xml',
    );

    const params = await readNpz(await engine.extract(jobId, 'oqparam', new URLSearchParams()));
    expect(jsonFromNpy(params.json!)).toMatchObject({
      calculation_mode: 'intersection',
      description: 'Grid x square',
      first_field: 'name',
      cpus: 0,
    });
    const table = await readNpz(
      await engine.extract(jobId, 'intersections', new URLSearchParams()),
    );
    const records = table.array!.data as Record<string, unknown>[];
    expect(records.map((record) => record.from_label)).toEqual([
      'grid cell 0',
      'grid cell 1',
      'grid cell 2',
      'grid cell 3',
    ]);
    expect(Math.abs((records[1]!.measure as number) / 3097248058.207055 - 1)).toBeLessThan(1e-6);
    await expect(engine.extract(jobId, 'nonsense', new URLSearchParams())).rejects.toThrow(
      'Cannot extract "nonsense"',
    );
    expect(existsSync(engine.datastorePath(jobId))).toBe(true);
  });

  it('runs remaining areas on a parent intersection, and refuses to remove a parent', async () => {
    const outside = await jobZip(dir, 'outside.zip', {
      'job.ini': intersectionIni()
        .replace('grid.geojson', 'outside.geojson')
        .replace('square.geojson', 'grid.geojson'),
      'outside.geojson': { path: pandarusFixture('outside.geojson') },
      'grid.geojson': { path: pandarusFixture('grid.geojson') },
    });
    const parent = await engine.submit({ owner: 'tester', archive: outside });
    expect(await waitForJob(engine, parent.jobId)).toBe('complete');
    const child = await engine.submit({
      owner: 'tester',
      archive: await jobZip(dir, 'remaining.zip', {
        'remaining.ini': '[general]\ndescription = Remaining\ncalculation_mode = remaining_areas\n',
      }),
      parentId: parent.jobId,
    });
    expect(await waitForJob(engine, child.jobId)).toBe('complete');
    expect(engine.job(child.jobId).parentId).toBe(parent.jobId);
    const remaining = await readNpz(
      await engine.extract(child.jobId, 'remaining', new URLSearchParams()),
    );
    const [row] = remaining.array!.data as { label: string; remaining: number }[];
    expect(row!.label).toBe('by-myself');
    expect(Math.abs(row!.remaining / 6191048105.59 - 1)).toBeLessThan(1e-6);

    await expect(engine.remove(parent.jobId)).rejects.toThrow(
      `Job ${parent.jobId} cannot be removed: job ${child.jobId} uses it as parent`,
    );
    expect(await engine.remove(child.jobId)).toEqual({ success: String(child.jobId) });
    expect(await engine.remove(parent.jobId)).toEqual({ success: String(parent.jobId) });
    expect(() => engine.job(parent.jobId)).toThrow(`Unknown job ${parent.jobId}`);
    expect(engine.list({}).map((job) => job.id)).not.toContain(parent.jobId);
    expect(existsSync(join(dir, 'data', `calc_${parent.jobId}`))).toBe(false);
  });

  it('runs raster statistics', async () => {
    const archive = await jobZip(dir, 'raster.zip', {
      'job.ini':
        '[a]\ndescription = Zonal\ncalculation_mode = raster_stats\nvector_file = grid.geojson\nvector_field = name\nraster_file = range.tif\nrule = coverage\n',
      'grid.geojson': { path: pandarusFixture('grid.geojson') },
      'range.tif': { path: pandarusFixture('range.tif') },
    });
    const { jobId } = await engine.submit({ owner: 'tester', archive });
    expect(await waitForJob(engine, jobId)).toBe('complete');
    const table = await readNpz(await engine.extract(jobId, 'zonal_stats', new URLSearchParams()));
    const means = (table.array!.data as { mean: number }[]).map((row) => row.mean);
    [38.29999923706055, 8.300000190734863, 40.70000076293945, 10.699999809265137].forEach(
      (mean, i) => expect(Math.abs(means[i]! / mean - 1)).toBeLessThan(1e-6),
    );
  });

  it('fails a job that cannot start, with the reason as its traceback', async () => {
    const cases: [Record<string, string | { path: string }>, string][] = [
      [{ 'readme.txt': 'no ini here' }, 'There are no .ini files in the archive'],
      [{ 'job.ini': intersectionIni() }, 'No such file: grid.geojson (first_file)'],
      [
        { 'job.ini': '[a]\ndescription = x\ncalculation_mode = classical\n' },
        'job.ini: calculation_mode "classical" is unknown; known: intersection, remaining_areas, raster_stats, slow',
      ],
      [
        { 'job.ini': '[a]\ndescription =\ncalculation_mode = slow\n' },
        'job.ini: description must not be empty',
      ],
      [
        { 'job.ini': intersectionIni('colour = blue'), ...gridFiles },
        'job.ini: unknown parameter "colour" for calculation_mode intersection',
      ],
      [
        { 'job.ini': '[a]\ndescription = x\ncalculation_mode = remaining_areas\n' },
        'calculation_mode remaining_areas needs hazard_job_id: a intersection job',
      ],
      ...['5000', '99999999', '-4', '1.5'].map(
        (cpus): [Record<string, string | { path: string }>, string] => [
          { 'job.ini': intersectionIni().replace('cpus = 0', `cpus = ${cpus}`), ...gridFiles },
          `job.ini: cpus must be an integer from 0 to 4 (this server runs at most 4 worker processes per job), not "${cpus}"`,
        ],
      ),
      [
        {
          'job.ini': `[a]\ndescription = x\ncalculation_mode = raster_stats\nvector_file = g.geojson\nvector_field = name\nraster_file = r.tif\nband = 0\n`,
          'g.geojson': gridFiles['grid.geojson'],
          'r.tif': { path: pandarusFixture('range.tif') },
        },
        'job.ini: band must be an integer from 1, not "0"',
      ],
      [
        {
          'job.ini': `[a]\ndescription = x\ncalculation_mode = raster_stats\nvector_file = g.geojson\nvector_field = name\nraster_file = r.tif\nstats = mean nonsense\n`,
          'g.geojson': gridFiles['grid.geojson'],
          'r.tif': { path: pandarusFixture('range.tif') },
        },
        'job.ini: stats: unknown statistic "nonsense"; known: ',
      ],
    ];
    for (const [files, message] of cases) {
      const failure = await submitExpectingFailure(
        await jobZip(dir, `bad-${Math.random()}.zip`, files),
      );
      expect(failure.traceback[0]).toContain(message);
      expect(engine.job(failure.jobId).status).toBe('failed');
      expect((await engine.traceback(failure.jobId))[0]).toContain(message);
    }
  });

  it('aborts a running job: SIGINT to its process, status aborted when abort() returns', async () => {
    const archive = await jobZip(dir, 'slow.zip', {
      'job.ini': '[a]\ndescription = Slow\ncalculation_mode = slow\nseconds = 60\n',
    });
    const { jobId } = await engine.submit({ owner: 'tester', archive });
    const deadline = Date.now() + 20_000;
    while (
      (await engine.logs(jobId, 0, null)).every((row) => row.message !== 'slow mode starts waiting')
    ) {
      if (Date.now() > deadline) throw new Error('the slow job did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The job would wait 60 s, past the test's timeout: only the abort can end it.
    expect(await engine.abort(jobId)).toEqual({ success: `Killing job ${jobId}` });
    expect(engine.job(jobId).status).toBe('aborted');
    expect(await engine.abort(jobId)).toEqual({ error: `Job ${jobId} is not running` });
    expect(await engine.abort(999_999)).toEqual({ error: 'Unknown job 999999' });
  });

  it('keeps no folder of a job that failed, before or while running, or was aborted', async () => {
    const refused = await submitExpectingFailure(
      await jobZip(dir, 'half.zip', {
        'job.ini': intersectionIni(),
        'grid.geojson': gridFiles['grid.geojson'],
      }),
    );
    expect(refused.traceback).toEqual(['No such file: square.geojson (second_file)']);
    const { jobId: failed } = await engine.submit({
      owner: 'tester',
      archive: await jobZip(dir, 'no-field.zip', {
        'job.ini': intersectionIni().replace('first_field = name', 'first_field = nosuch'),
        ...gridFiles,
      }),
    });
    expect(await waitForJob(engine, failed)).toBe('failed');
    const { jobId: aborted } = await engine.submit({
      owner: 'tester',
      archive: await jobZip(dir, 'slow-abort.zip', {
        'job.ini': '[a]\ndescription = Slow\ncalculation_mode = slow\nseconds = 60\n',
      }),
    });
    expect(await engine.abort(aborted)).toEqual({ success: `Killing job ${aborted}` });
    expect(await waitForJob(engine, aborted)).toBe('aborted');
    await engine.whenIdle();
    for (const id of [refused.jobId, failed, aborted]) {
      expect([id, existsSync(join(dir, 'data', `calc_${id}`))]).toEqual([id, false]);
    }
    // What the status pages show stays.
    expect(await engine.traceback(failed)).toEqual([
      'MissingFieldError: grid.geojson has no field "nosuch"; its fields are: name',
    ]);
    expect(await engine.traceback(refused.jobId)).toEqual([
      'No such file: square.geojson (second_file)',
    ]);
  });

  it('removes at start-up the folders that ended jobs left behind, and only those', async () => {
    const dataDir = join(dir, 'restarted');
    const first = await CalcEngine.open({ dataDir, modes: BUILT_IN_MODES });
    const { jobId: complete } = await first.submit({
      owner: 'tester',
      archive: await jobZip(dir, 'kept.zip', { 'job.ini': intersectionIni(), ...gridFiles }),
    });
    expect(await waitForJob(first, complete)).toBe('complete');
    const refused = await submitExpectingFailure(await jobZip(dir, 'no-ini.zip', {}), first);
    await first.whenIdle();
    await first.close();
    // What a crash between the failure and the removal would leave.
    mkdirSync(join(dataDir, `calc_${refused.jobId}`));
    writeFileSync(join(dataDir, `calc_${refused.jobId}`, 'job.ini'), '[a]\n');
    const reopened = await CalcEngine.open({ dataDir, modes: BUILT_IN_MODES });
    try {
      expect(existsSync(join(dataDir, `calc_${refused.jobId}`))).toBe(false);
      expect(existsSync(reopened.datastore(complete))).toBe(true);
    } finally {
      await reopened.close();
    }
  });

  it('refuses worker limits that are not counts, before opening anything', async () => {
    const dataDir = join(dir, 'bad-limits');
    await expect(
      CalcEngine.open({ dataDir, modes: BUILT_IN_MODES, maxWorkers: -1 }),
    ).rejects.toThrow('CalcEngine: maxWorkers must be an integer >= 0');
    await expect(
      CalcEngine.open({ dataDir, modes: BUILT_IN_MODES, maxWorkersPerJob: 1.5 }),
    ).rejects.toThrow('CalcEngine: maxWorkersPerJob must be an integer >= 0');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('validates archives without keeping anything, and lists ini defaults', async () => {
    const good = await jobZip(dir, 'valid.zip', { 'job.ini': intersectionIni(), ...gridFiles });
    expect(await engine.validateArchive(good)).toEqual({
      valid: true,
      error_msg: null,
      error_line: null,
    });
    const bad = await jobZip(dir, 'invalid.zip', { 'job.ini': intersectionIni() });
    expect(await engine.validateArchive(bad)).toEqual({
      valid: false,
      error_msg: 'No such file: grid.geojson (first_file)',
      error_line: null,
    });
    expect(engine.iniDefaults()).toMatchObject({
      description: '',
      calculation_mode: '',
      cpus: 1,
      band: 1,
      rule: 'centre',
      seconds: 30,
    });
  });
});
