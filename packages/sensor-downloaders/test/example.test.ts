import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleBlock, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';
import { startCopernicusFake } from './fakes/copernicus.js';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', async () => {
    expect(await readFile(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it('runs against a local Copernicus: searches, downloads three scenes and logs out', async () => {
    const fake = await startCopernicusFake({ count: 80 });
    const cwd = await mkdtemp(join(tmpdir(), 'sensor-example-'));
    try {
      const { stdout } = await runExample(example, {
        cwd,
        env: {
          ...process.env,
          COPERNICUS_USERNAME: fake.username,
          COPERNICUS_PASSWORD: fake.password,
          COPERNICUS_CATALOGUE_URL: fake.catalogueUrl,
          COPERNICUS_IDENTITY_URL: fake.identityUrl,
        },
      });
      const lines = stdout.trim().split('\n');
      // The three earliest Sentinel-2 products of May 11-21 with at most 40 % cloud.
      const expected = fake.products
        .filter((product) => product.start >= '2019-05-11' && product.start < '2019-05-22')
        .filter(
          (product) =>
            Number(
              product.attributes.find((attribute) => attribute.Name === 'cloudCover')!.Value,
            ) <= 40,
        )
        .sort((a, b) => a.start.localeCompare(b.start))
        .slice(0, 3);
      expect(expected).toHaveLength(3);
      expect(lines.at(-1)).toBe('3 downloaded, 0 failed');
      expect(lines.slice(0, -1).sort()).toEqual(
        expected
          .map((product) => `${product.name.replace(/\.SAFE$/, '')} ${product.file.size}`)
          .sort(),
      );
      expect((await readdir(join(cwd, 'downloads'))).sort()).toEqual(
        expected.map((product) => `${product.name}.zip`).sort(),
      );
      expect(fake.state.sessions).toBe(0);
      expect(fake.state.passwordGrants).toBe(1);
    } finally {
      await fake.close();
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
