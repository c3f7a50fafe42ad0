import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleBlock, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';
import { fakeEngine, INPUTS, JOB_INI, temporaryDir } from './helpers/setup.js';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it('runs a job, prints each log row once and downloads the CSV output', async () => {
    // The fake OpenQuake server writes five log rows, then completes with two outputs.
    const engine = await fakeEngine();
    const cwd = temporaryDir('calc-engine-client-example');
    writeFileSync(join(cwd, 'job.ini'), JOB_INI);
    for (const [name, content] of Object.entries(INPUTS)) writeFileSync(join(cwd, name), content);

    const { stdout } = await runExample(example, { cwd, args: [engine.url] });
    expect(stdout).toBe(
      'engine 3.21.0\n' +
        'INFO Step 1 of job 1\n' +
        'INFO Step 2 of job 1\n' +
        'INFO Step 3 of job 1\n' +
        'INFO Step 4 of job 1\n' +
        'INFO Step 5 of job 1\n' +
        'INFO Calculation 1 finished correctly in 0.1 seconds\n' +
        'complete\n' +
        'Hazard Curves output-1-hazard_curve-mean-PGA_1.csv 28\n',
    );
    expect(Object.keys(engine.jobs.get(1)!.files).sort()).toEqual([
      'gmpe_logic_tree.xml',
      'job.ini',
      'source_model_logic_tree.xml',
    ]);
    expect(readFileSync(join(cwd, 'outputs', 'output-1-hazard_curve-mean-PGA_1.csv'), 'utf8')).toBe(
      'lon,lat,poe-0.1\n0.0,0.0,0.5\n',
    );
  });
});
