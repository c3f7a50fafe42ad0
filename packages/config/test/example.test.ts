import { readFileSync } from 'node:fs';
import { exampleBlock, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it('reads a service and a tool, lists the problems and prints the table', async () => {
    const { stdout } = await runExample(example);
    expect(stdout).toBe(
      [
        '9000 /srv/geo/demo/demo.sqlite 30000',
        '7000 /tmp/mine.sqlite 5000',
        'Invalid configuration (2 problems):',
        '  DEMO_PORT="http": expected an integer from 0 to 65535',
        '  DEMO_TIMEOUT="30": expected a duration like 1500ms, 30s or 5m',
        '| Variable | Type | Default | Description |',
        '| --- | --- | --- | --- |',
        '| `DEMO_PORT` | integer from 0 to 65535 | `8080` | Port |',
        '| `DEMO_DB` | path | `$GEOWORKS_DATA_DIR/demo/demo.sqlite` | The database |',
        '| `DEMO_TIMEOUT` | duration | `30s` | Longest wait |',
        '',
      ].join('\n'),
    );
  });
});
