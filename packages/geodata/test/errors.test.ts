import { describe, expect, it } from 'vitest';
import { withoutPaths } from '../src/index.js';

describe('withoutPaths', () => {
  it('cuts absolute paths in messages to their last segment', () => {
    expect(
      withoutPaths("`/srv/data/uploads/ab12.x.txt' not recognized as a supported file format."),
    ).toBe("`ab12.x.txt' not recognized as a supported file format.");
    expect(withoutPaths("ENOENT: no such file or directory, open '/srv/data/x.json'")).toBe(
      "ENOENT: no such file or directory, open 'x.json'",
    );
    expect(withoutPaths('/etc/passwd: denied (/a/b/c.tif) path=/d/e.gpkg')).toBe(
      'passwd: denied (c.tif) path=e.gpkg',
    );
  });

  it('leaves URLs, relative paths and single segments alone', () => {
    for (const text of [
      'see http://example.org/a/b/c',
      'in data/uploads/x.gpkg',
      'No route for POST /upload',
    ])
      expect(withoutPaths(text)).toBe(text);
  });
});
