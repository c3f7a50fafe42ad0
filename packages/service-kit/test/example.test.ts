import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { exampleBlock } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';
import { temporaryDir } from './helpers/server.js';

const example = fileURLToPath(new URL('./fixtures/example-service.ts', import.meta.url));
const readme = new URL('../README.md', import.meta.url);

describe('the README example', () => {
  it('is the example service, word for word', () => {
    expect(readFileSync(readme, 'utf8')).toContain(
      exampleBlock(new URL('./fixtures/example-service.ts', import.meta.url)),
    );
  });

  it('runs: uploads, reads back, documents itself, answers errors, stops on SIGTERM', async () => {
    const dataDir = temporaryDir('example');
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const child = spawn(
      process.execPath,
      ['--import', tsx, '--conditions=@geoworks/source', example],
      {
        env: { ...process.env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info', NODE_ENV: 'test' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const lines: Record<string, unknown>[] = [];
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const complete = buffered.split('\n');
        buffered = complete.pop() ?? '';
        for (const line of complete) {
          const entry = JSON.parse(line) as Record<string, unknown>;
          lines.push(entry);
          if (entry.msg === 'listening') resolve(entry.url as string);
        }
      });
      void exited.then((code) => reject(new Error(`example exited with ${code}`)));
    });

    const content = 'GPKG fake geopackage';
    const form = new FormData();
    form.append('file', new Blob([content]), 'rivers.gpkg');
    const created = await fetch(`${url}datasets`, { method: 'POST', body: form });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(id).toBe(createHash('sha256').update(content).digest('hex'));
    // Moved out of the upload folder by the handler; nothing else is left there.
    expect(readdirSync(dataDir).sort()).toEqual([
      expect.stringMatching(/^[0-9a-f]{16}-rivers\.gpkg$/),
      'incoming',
    ]);
    expect(readdirSync(join(dataDir, 'incoming'))).toEqual([]);

    expect(await (await fetch(`${url}datasets/${id}`)).json()).toEqual({
      name: 'rivers.gpkg',
      size: content.length,
      sha256: id,
    });
    const missing = await fetch(`${url}datasets/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      error: { code: 'NOT_FOUND', message: 'No dataset nope' },
    });
    const document = (await (await fetch(`${url}openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(document.paths)).toEqual(['/datasets', '/datasets/{id}', '/openapi.json']);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines.find((line) => line.msg === 'closing')).toMatchObject({ datasets: 1 });
    expect(lines.filter((line) => line.msg === 'request completed')).toHaveLength(4);
  });
});
