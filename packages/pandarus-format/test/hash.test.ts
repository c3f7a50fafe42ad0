import { describe, expect, it } from 'vitest';
import { pandarusFixture } from '@geoworks/test-fixtures';
import { sha256File } from '../src/index.js';

describe('sha256File', () => {
  it("reproduces pandarus's test_io reference hash", async () => {
    expect(await sha256File(pandarusFixture('testfile.hash'))).toBe(
      'd2adeda32326a6576b73f9f387d75798d5bd6f0b4d385d36684fdb7d205a0ab0',
    );
  });
});
