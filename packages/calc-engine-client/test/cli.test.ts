import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { textIo } from '@geoworks/cli';
import { calcEngine } from '../src/cli.js';
import { fakeEngine, INPUTS, jobIni, runCliProcess, temporaryDir, until } from './helpers/setup.js';
import { makeZip } from './helpers/zip.js';

const LOG_LINE = /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d\d\] [A-Z]+ MainProcess: .+$/;

/** job.ini and its inputs in a temporary directory; returns their paths. */
function jobFiles(description: string): string[] {
  const dir = temporaryDir('calc-engine-job');
  writeFileSync(join(dir, 'job.ini'), jobIni(description));
  for (const [name, content] of Object.entries(INPUTS)) writeFileSync(join(dir, name), content);
  return [join(dir, 'job.ini'), ...Object.keys(INPUTS).map((name) => join(dir, name))];
}

/** The CLI in this process, for the commands that need no signals. */
async function cli(args: string[], env: Record<string, string> = {}) {
  const io = textIo({ env });
  const code = await calcEngine.run(args, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

describe('calc-engine run --wait (child process)', () => {
  it('prints the log live and exits 0 when the job completes', async () => {
    const engine = await fakeEngine({ rows: 4, tickMs: 20 });
    const result = await runCliProcess([
      '--url',
      engine.url,
      'run',
      ...jobFiles('Classical demo'),
      '--wait',
      '--poll-ms',
      '30',
    ]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    for (const line of lines) expect(line).toMatch(LOG_LINE);
    expect(lines.map((line) => line.replace(/^\[[^\]]+\] /, ''))).toEqual([
      'INFO MainProcess: Step 1 of job 1',
      'INFO MainProcess: Step 2 of job 1',
      'INFO MainProcess: Step 3 of job 1',
      'INFO MainProcess: Step 4 of job 1',
      'INFO MainProcess: Calculation 1 finished correctly in 0.1 seconds',
    ]);
    expect(result.stderr).toContain('Job 1 created');
    expect(result.stderr).toContain('Job 1 complete');
  });

  it('exits 1 and prints the traceback when the job fails', async () => {
    const engine = await fakeEngine({ rows: 2, tickMs: 20 });
    const dir = temporaryDir();
    writeFileSync(
      join(dir, 'job.zip'),
      makeZip({ 'job.ini': jobIni('This will fail'), ...INPUTS }),
    );
    const result = await runCliProcess(
      ['run', '--archive', join(dir, 'job.zip'), '--wait', '--poll-ms', '30'],
      { env: { CALC_ENGINE_URL: engine.url } },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/CRITICAL MainProcess: Traceback/);
    expect(result.stderr).toContain('Job 1 failed');
    expect(result.stderr).toContain('ValueError: fake failure in job 1');
  });

  it('exits 130 when the job is aborted', async () => {
    const engine = await fakeEngine({ tickMs: 20 });
    const result = await runCliProcess(
      ['--url', engine.url, 'run', ...jobFiles('hang'), '--wait', '--poll-ms', '30'],
      {
        onStdout: (soFar) => {
          const job = engine.jobs.get(1);
          if (soFar.includes('Step 2') && job?.status === 'executing') {
            void fetch(`${engine.url}/v1/calc/1/abort`, { method: 'POST' });
          }
        },
      },
    );
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('Job 1 aborted');
    expect(result.stdout).toMatch(/WARNING MainProcess: Aborting job 1/);
  });

  it('stops waiting on Ctrl-C without aborting the job', async () => {
    const engine = await fakeEngine({ tickMs: 20 });
    let interrupted = false;
    const result = await runCliProcess(
      ['--url', engine.url, 'run', ...jobFiles('hang'), '--wait', '--poll-ms', '30'],
      {
        onStdout: (soFar, child) => {
          if (!interrupted && soFar.includes('Step 1')) {
            interrupted = true;
            child.kill('SIGINT');
          }
        },
      },
    );
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('job 1 keeps running');
    expect(engine.jobs.get(1)?.status).toBe('executing');
    expect(engine.count('/v1/calc/1/abort')).toBe(0);
  });

  it('aborts the job on Ctrl-C with --abort-on-interrupt', async () => {
    const engine = await fakeEngine({ tickMs: 20 });
    let interrupted = false;
    const result = await runCliProcess(
      [
        '--url',
        engine.url,
        'run',
        ...jobFiles('hang'),
        '--wait',
        '--abort-on-interrupt',
        '--poll-ms',
        '30',
      ],
      {
        onStdout: (soFar, child) => {
          if (!interrupted && soFar.includes('Step 1')) {
            interrupted = true;
            child.kill('SIGINT');
          }
        },
      },
    );
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('Interrupted: Killing job 1');
    expect(engine.jobs.get(1)?.status).toBe('aborted');
  });

  it('prints the job id without --wait, and the traceback of a run that cannot start', async () => {
    const engine = await fakeEngine();
    const started = await runCliProcess(['--url', engine.url, 'run', ...jobFiles('Demo')]);
    expect(started).toMatchObject({ code: 0, stdout: '1\n' });
    const [ini] = jobFiles('Demo');
    const broken = await runCliProcess(['--url', engine.url, 'run', ini ?? '']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('Job 2 failed before starting');
    expect(broken.stderr).toContain('No such file: source_model_logic_tree.xml');
  });
});

describe('calc-engine list (child process)', () => {
  it('prints a table, or the server JSON with --json', async () => {
    const engine = await fakeEngine();
    engine.addJob({
      status: 'complete',
      calculationMode: 'classical',
      description: 'Hazard Italy',
      startTime: new Date('2024-08-01T12:00:00Z'),
      sizeMb: 1.5,
    });
    engine.addJob({
      status: 'executing',
      calculationMode: 'scenario_risk',
      description: 'Risk Rome',
      startTime: new Date('2024-08-02T08:30:00Z'),
      parentId: 1,
    });
    const table = await runCliProcess(['--url', engine.url, 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toBe(
      [
        'ID  STATUS     MODE           OWNER      STARTED                   SIZE_MB  DESCRIPTION',
        '2   executing  scenario_risk  openquake  2024-08-02, 08:30:00 UTC  -        Risk Rome',
        '1   complete   classical      openquake  2024-08-01, 12:00:00 UTC  1.50     Hazard Italy',
        '',
      ].join('\n'),
    );
    const running = await runCliProcess(['--url', engine.url, 'list', '--running', '--json']);
    expect(running.code).toBe(0);
    const items = JSON.parse(running.stdout) as Record<string, unknown>[];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ id: 2, is_running: true, parent_id: 1, owner: 'openquake' });
    expect(engine.requests.at(-1)?.url).toBe('/v1/calc/list?is_running=true');
  });

  it('takes the server from the config file when neither flag nor env gives it', async () => {
    const engine = await fakeEngine({ lockdown: true, users: { ann: { password: 'pw' } } });
    engine.addJob({ status: 'complete', userName: 'ann', description: 'Mine' });
    const dir = temporaryDir();
    const config = join(dir, 'engine.json');
    writeFileSync(config, JSON.stringify({ url: engine.url, user: 'ann', password: 'pw' }));
    const result = await runCliProcess(['--config', config, 'list', '--mode', 'classical']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Mine');
    // The default place: $XDG_CONFIG_HOME/geoworks/calc-engine.json
    const home = temporaryDir();
    mkdirSync(join(home, 'geoworks'), { recursive: true });
    writeFileSync(
      join(home, 'geoworks', 'calc-engine.json'),
      JSON.stringify({ url: engine.url, username: 'ann', password: 'wrong' }),
    );
    const wrong = await runCliProcess(['list'], { env: { XDG_CONFIG_HOME: home } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('Invalid login');
    // The environment wins over the file.
    const fixed = await runCliProcess(['list'], {
      env: { XDG_CONFIG_HOME: home, CALC_ENGINE_PASSWORD: 'pw' },
    });
    expect(fixed.code).toBe(0);
  });
});

describe('calc-engine commands (in process)', () => {
  it('exits 2 with the usage for usage errors', async () => {
    for (const args of [
      [],
      ['frobnicate'],
      ['list', '--bogus'],
      ['status'],
      ['status', 'abc'],
      ['list', '--follow'],
      ['run'],
      ['run', '--archive', 'a.zip', 'job.ini'],
      ['download', '3'],
      ['list', '--limit', '-4'],
    ]) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('Usage: calc-engine');
    }
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: calc-engine');
  });

  it('shows status, logs, results and the version', async () => {
    const engine = await fakeEngine({ engineVersion: '3.21.2' });
    engine.addJob({ status: 'complete', description: 'Demo', sizeMb: 2 });
    engine.log(1, 'INFO', 'first');
    engine.log(1, 'WARNING', 'second');
    engine.addOutput(1, {
      displayName: 'Hazard Curves',
      dsKey: 'hcurves',
      sizeMb: 0.25,
      exports: { csv: [{ name: 'hc.csv', content: 'a\n' }], xml: [] },
    });
    const url = engine.url;
    const status = await cli(['--url', url, 'status', '1']);
    expect(status.stdout).toContain('status:      complete');
    expect(status.stdout).toContain('description: Demo');
    expect(JSON.parse((await cli(['--url', url, 'status', '1', '--json'])).stdout)).toMatchObject({
      id: 1,
      status: 'complete',
    });
    const logs = await cli(['--url', url, 'logs', '1']);
    expect(
      logs.stdout
        .trim()
        .split('\n')
        .map((line) => line.replace(/^\[[^\]]+\] /, '')),
    ).toEqual(['INFO MainProcess: first', 'WARNING MainProcess: second']);
    const followed = await cli(['--url', url, 'logs', '1', '--follow']);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toBe(logs.stdout);
    expect((await cli(['--url', url, 'results', '1'])).stdout).toBe(
      'ID  NAME           TYPE     FORMATS  SIZE_MB\n1   Hazard Curves  hcurves  csv,xml  0.25\n',
    );
    expect((await cli(['--url', url, 'version'])).stdout).toBe('3.21.2\n');
    const missing = await cli(['--url', url, 'status', '9']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^calc-engine: Not Found .*\/v1\/calc\/9\/status -> 404\)\n$/);
  });

  it('downloads, extracts, aborts and removes', async () => {
    const engine = await fakeEngine();
    engine.addJob({ status: 'complete', params: { description: 'Demo' } });
    engine.addJob({ status: 'executing', pid: 3 });
    engine.addOutput(1, {
      displayName: 'Hazard Curves',
      dsKey: 'hcurves',
      sizeMb: 0.25,
      exports: { csv: [{ name: 'hc.csv', content: 'lon,lat\n' }] },
    });
    const url = engine.url;
    const dir = temporaryDir();
    const downloaded = await cli(['--url', url, 'download', '1', '--type', 'csv', '-o', dir]);
    expect(downloaded).toMatchObject({ code: 0, stdout: `${join(dir, 'output-1-hc.csv')}\n` });
    expect(readFileSync(join(dir, 'output-1-hc.csv'), 'utf8')).toBe('lon,lat\n');

    const extracted = await cli(['--url', url, 'extract', '1', 'hcurves?kind=mean']);
    expect(extracted.code).toBe(0);
    expect(extracted.stdout).toContain('array: <f8 (2, 1, 3)');
    expect(extracted.stdout).toContain('investigation_time: <f8 ()');
    const params = await cli(['--url', url, 'extract', '1', 'oqparam']);
    expect(params.stdout).toBe('json: {\n  "description": "Demo"\n}\n');
    const npz = join(dir, 'oqparam.npz');
    expect((await cli(['--url', url, 'extract', '1', 'oqparam', '-o', npz])).stdout).toBe(
      `${npz}\n`,
    );
    expect(readFileSync(npz).subarray(0, 2).toString()).toBe('PK');

    expect(await cli(['--url', url, 'abort', '2'])).toMatchObject({
      code: 0,
      stdout: 'Killing job 2\n',
    });
    const again = await cli(['--url', url, 'abort', '2']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Job 2 is not running');
    expect(await cli(['--url', url, 'remove', '1'])).toMatchObject({
      code: 0,
      stdout: 'Removed job 1\n',
    });
    await until(() => engine.jobs.get(1)?.status === 'deleted');
    const listed = await cli(['--url', url, 'list']);
    expect(listed.stdout).not.toMatch(/^1 /m);
  });

  it('says so when there are no calculations', async () => {
    const engine = await fakeEngine();
    expect((await cli(['list'], { CALC_ENGINE_URL: engine.url })).stdout).toBe('No calculations\n');
  });

  it('prints its help and version, and exits 2 for settings or inputs it cannot use', async () => {
    const help = await cli(['--help']);
    expect(help.stdout).toMatch(
      /^ {2}--url, CALC_ENGINE_URL +The engine server \(default: http:\/\/localhost:8800\)$/m,
    );
    expect(help.stdout).toMatch(/ else ~\/\.config\/geoworks\/calc-engine\.json if it exists/);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(await cli(['status', '1', '--version'])).toEqual({
      code: 0,
      stdout: `${pkg.version}\n`,
      stderr: '',
    });
    expect(await cli(['list'], { CALC_ENGINE_URL: 'ftp://engine' })).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'calc-engine: Invalid configuration (1 problem):\n  CALC_ENGINE_URL="ftp://engine": expected an absolute URL starting with http: or https:\n',
    });
    const engine = await fakeEngine();
    const missing = join(temporaryDir(), 'none.ini');
    const unreadable = await cli(['--url', engine.url, 'run', missing]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toBe(
      `calc-engine: Cannot read the job.ini ${missing}: Unable to open file as blob\n`,
    );
    expect(engine.count('/v1/calc/run')).toBe(0);
  });

  it('stops waiting at Ctrl-C and exits 130, the job left running', async () => {
    const engine = await fakeEngine({ tickMs: 20 });
    const io = textIo();
    const running = calcEngine.run(
      ['--url', engine.url, 'run', ...jobFiles('hang'), '--wait', '--poll-ms', '30'],
      io,
    );
    await until(() => io.stdout.text.includes('Step 1'));
    expect(io.interrupt()).toBe(true);
    expect(await running).toBe(130);
    expect(io.stderr.text).toBe(
      'Job 1 created\nInterrupted: stopped waiting; job 1 keeps running (calc-engine abort 1 stops it)\n',
    );
    expect(engine.jobs.get(1)?.status).toBe('executing');
  });
});
