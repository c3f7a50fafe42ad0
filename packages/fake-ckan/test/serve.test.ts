import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { generateRows, SERVE_MODULE } from '../src/index.js';

it('serves generated rows from a process of its own (for benchmarks)', async () => {
  // The script is TypeScript here: node needs tsx's loader, and sibling packages' sources.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = fork(
    fileURLToPath(SERVE_MODULE),
    ['--rows', '1000', '--columns', '6', '--seed', '9', '--backend', 'solr', '--json'],
    {
      execArgv: ['--import', tsx, '--conditions=@geoworks/source'],
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  );
  try {
    const [ready] = (await once(child, 'message')) as [
      { type: string; apiUrl: string; resource: { id: string; total: number } },
    ];
    expect(ready.type).toBe('ready');
    expect(ready.resource).toMatchObject({ id: 'generated', total: 1000 });
    const response = await fetch(ready.apiUrl, {
      method: 'POST',
      body: JSON.stringify({ resource_id: 'generated', cursor: '*', limit: 2 }),
    });
    const body = (await response.json()) as { result: { records: unknown[]; _backend: string } };
    const rows = generateRows(1000, 6, 9);
    expect(body.result.records).toEqual([0, 1].map((i) => ({ _id: i + 1, ...rows.row(i) })));
    expect(body.result._backend).toBe('solr');
  } finally {
    const exited = once(child, 'exit');
    child.disconnect();
    await exited;
  }
});
