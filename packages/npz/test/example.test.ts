import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleBlock, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';
import { readNpz } from '../src/index.js';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it('writes extract.npz and prints the arrays it reads back', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'npz-example-'));
    try {
      const { stdout } = await runExample(example, { cwd });
      expect(stdout).toBe(
        '{\n' +
          "  dtype: '<f8',\n" +
          '  shape: [ 2, 3 ],\n' +
          '  data: Float64Array(6) [ 0.1, 0.2, 0.3, 0.4, 0.5, 0.6 ]\n' +
          '}\n' +
          "[('lon', '<f8'), ('lat', '<f8'), ('value', '<f4'), ('name', '<U8')]\n" +
          "{ lon: -70.5, lat: -33.25, value: 1.5, name: 'Santiago' }\n" +
          "{ calculation_mode: 'scenario' }\n",
      );
      // The entries numpy.load lists, in the order written.
      expect(Object.keys(await readNpz(join(cwd, 'extract.npz')))).toEqual([
        'hazard',
        'sites',
        'json',
      ]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
