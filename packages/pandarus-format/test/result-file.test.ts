import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isGeoworksError } from '@geoworks/errors';
import { datasetMetadata, readResultFile, timestamp, writeResultFile } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pandarus-format-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const outDir = () => mkdtempSync(join(dir, 'out-'));

describe('writeResultFile', () => {
  it('writes {"data": [...rows], "metadata": {...}} as pandarus does', async () => {
    const out = outDir();
    const path = await writeResultFile(
      join(out, 'r.json'),
      [
        ['grid cell 0', 'single', 3097719886.0413523],
        [1, 'grid cell 2', 2],
      ],
      { when: '2017-03-18T10:24:43.543932' },
    );
    expect(path).toBe(join(out, 'r.json'));
    expect(readFileSync(path, 'utf8')).toBe(
      '{"data": [["grid cell 0","single",3097719886.0413523], [1,"grid cell 2",2]], ' +
        '"metadata": {"when":"2017-03-18T10:24:43.543932"}}',
    );
  });

  it('bzip2-compresses with .bz2 appended, and reads either form back', async () => {
    const out = outDir();
    const rows = Array.from({ length: 5000 }, (_, i) => [`cell ${i}`, { mean: i / 3 }]);
    const path = await writeResultFile(join(out, 'r.json'), rows, { n: 5000 }, { compress: true });
    expect(path).toBe(join(out, 'r.json.bz2'));
    expect(readFileSync(path).subarray(0, 3).toString()).toBe('BZh');
    expect(await readResultFile(path)).toEqual({ data: rows, metadata: { n: 5000 } });
    const plain = await writeResultFile(join(out, 'p.json'), rows, { n: 5000 });
    expect(await readResultFile(plain)).toEqual(await readResultFile(path));
  });

  it('streams rows from an async iterable, in batches larger than one write', async () => {
    const out = outDir();
    async function* rows() {
      for (let i = 0; i < 20_000; i++) yield [i, 'x'.repeat(20)];
    }
    const { data } = await readResultFile<{ data: unknown[][] }>(
      await writeResultFile(join(out, 'big.json'), rows(), {}),
    );
    expect(data).toHaveLength(20_000);
    expect(data[19_999]).toEqual([19_999, 'x'.repeat(20)]);
  });

  it('makes the folder when missing', async () => {
    const path = await writeResultFile(join(outDir(), 'a', 'b', 'r.json'), [], {});
    expect(await readResultFile(path)).toEqual({ data: [], metadata: {} });
  });

  it('leaves nothing behind when the rows fail', async () => {
    const out = outDir();
    function* rows() {
      yield [1];
      throw new Error('the rows broke');
    }
    await expect(writeResultFile(join(out, 'r.json'), rows(), {})).rejects.toThrow(
      'the rows broke',
    );
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('readResultFile', () => {
  it('refuses a file that is not JSON, naming it without its folders', async () => {
    const path = join(outDir(), 'broken.json');
    writeFileSync(path, '{"data": [');
    const error = await readResultFile(path).catch((caught: unknown) => caught);
    expect(isGeoworksError(error) && [error.kind, error.code]).toEqual([
      'invalid-input',
      'BAD_RESULT_FILE',
    ]);
    expect((error as Error).message).toMatch(/^broken\.json is not valid JSON: /);
  });
});

describe('datasetMetadata', () => {
  it('records a dataset as pandarus does: sha256, filename, field, absolute path, in order', () => {
    const metadata = datasetMetadata({ path: 'data/grid.geojson', field: 'name' }, 'ab12');
    expect(Object.entries(metadata)).toEqual([
      ['sha256', 'ab12'],
      ['filename', 'grid.geojson'],
      ['field', 'name'],
      ['path', resolve('data/grid.geojson')],
    ]);
  });

  it('adds the layer when one was chosen and leaves out a missing field', () => {
    expect(
      Object.keys(datasetMetadata({ path: '/d/x.gpkg', field: 'id', layer: 'cells' }, 'c')),
    ).toEqual(['sha256', 'filename', 'field', 'path', 'layer']);
    expect(datasetMetadata({ path: '/d/range.tif' }, 'c')).toEqual({
      sha256: 'c',
      filename: 'range.tif',
      path: '/d/range.tif',
    });
  });
});

describe('timestamp', () => {
  it('is ISO 8601 in UTC', () => {
    expect(timestamp(new Date(Date.UTC(2017, 2, 18, 10, 24, 43, 543)))).toBe(
      '2017-03-18T10:24:43.543Z',
    );
  });
});
