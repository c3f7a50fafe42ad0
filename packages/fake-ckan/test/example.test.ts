import { readFileSync } from 'node:fs';
import { exampleBlock, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it("prints CKAN's answer, the fault, the recorded request and the generated rows' count", async () => {
    const { stdout } = await runExample(example);
    expect(stdout).toBe(
      '[\n' +
        '  {\n' +
        '    _id: 1,\n' +
        "    name: 'Pica pica',\n" +
        '    count: 2,\n' +
        "    seen: '2021-06-30T23:59:59',\n" +
        "    details: { colour: 'black' }\n" +
        '  }\n' +
        ']\n' +
        '_id:int name:text count:int4 seen:timestamp details:json\n' +
        '2 /api/3/action/datastore_search?offset=1\n' +
        '503 2\n' +
        "{ resource_id: 'birds', filters: { count: [ '1', '2' ] }, limit: 1 }\n" +
        '10000\n',
    );
  });
});
