// tools/start.mjs, what `npm start` runs after the build, pointed at a small workspace of built
// apps in a temporary folder: it finds the services by their `./config` export, takes each
// port from the app's configSchema (its variable, else its default), starts them, and stops
// them on SIGTERM. The real apps' start is checked by hand: it needs the whole build.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../src/index.js';

const startScript = fileURLToPath(new URL('../../../tools/start.mjs', import.meta.url));

/** A built app whose main answers with its name and data directory on its schema's port. */
function app(root: string, name: string, portEnv: string, defaultPort: number): void {
  const files: Record<string, string> = {
    'package.json': JSON.stringify({
      name: `@geoworks/${name}`,
      type: 'module',
      main: 'dist/main.js',
      exports: { '.': './dist/main.js', './config': { default: './dist/config.js' } },
    }),
    'dist/config.js': `export const configSchema = {
  port: { env: '${portEnv}', type: 'integer', default: ${defaultPort}, description: 'Port' },
};\n`,
    'dist/main.js': `import { createServer } from 'node:http';
import { configSchema } from './config.js';
const port = Number(process.env[configSchema.port.env] || configSchema.port.default);
const body = JSON.stringify({ name: '${name}', dataDir: process.env.GEOWORKS_DATA_DIR });
const server = createServer((req, res) => res.end(body)).listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));\n`,
  };
  for (const [file, text] of Object.entries(files)) {
    const path = join(root, 'apps', name, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
}

/** Runs start.mjs on `root`; `onLine` sees each line of its output and may stop it. */
function start(root: string, env: Record<string, string>, onLine?: (line: string) => void) {
  const child = spawn(process.execPath, [startScript, root], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine?.(line);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    },
  );
  return { child, exited };
}

// Each run starts Node processes: allow for a slow, busy machine.
describe('tools/start.mjs', { timeout: 60_000 }, () => {
  it("starts each app on its schema's port, its variable winning, and stops them on SIGTERM", async () => {
    const root = mkdtempSync(join(tmpdir(), 'start-'));
    const [alphaPort, betaDefault, betaPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    app(root, 'alpha', 'ALPHA_PORT', alphaPort);
    app(root, 'beta', 'BETA_PORT', betaDefault);
    // A package without ./config is no service.
    mkdirSync(join(root, 'apps', 'tool'));
    writeFileSync(join(root, 'apps', 'tool', 'package.json'), '{"name": "@geoworks/tool"}');
    const dataDir = join(root, 'data');
    let answers: Promise<unknown[]> | undefined;
    const { child, exited } = start(
      root,
      { BETA_PORT: String(betaPort), GEOWORKS_DATA_DIR: dataDir },
      (line) => {
        if (line !== 'geoworks: services running (Ctrl-C stops them all)') return;
        answers = Promise.all(
          [alphaPort, betaPort].map(async (port) =>
            (await fetch(`http://127.0.0.1:${port}/`)).json(),
          ),
        ).finally(() => child.kill('SIGTERM'));
      },
    );
    const { code, stdout } = await exited;
    expect(code).toBe(0);
    expect(await answers).toEqual([
      { name: 'alpha', dataDir },
      { name: 'beta', dataDir },
    ]);
    expect(stdout).toContain(`geoworks: starting 2 service(s); data in ${dataDir}\n`);
    expect(stdout).toContain(`  alpha  http://localhost:${alphaPort}/ `);
    expect(stdout).toContain(`  beta   http://localhost:${betaPort}/ `);
    expect(stdout.endsWith('geoworks: all services stopped\n')).toBe(true);
  });

  it('refuses an app that is not built, and a port variable that is no port', async () => {
    const root = mkdtempSync(join(tmpdir(), 'start-'));
    app(root, 'alpha', 'ALPHA_PORT', await freePort());
    const bad = await start(root, { ALPHA_PORT: 'http' }).exited;
    expect(bad).toMatchObject({
      code: 1,
      stderr: 'geoworks: alpha: ALPHA_PORT="http": expected a port from 1 to 65535\n',
    });
    const config = join(root, 'apps', 'alpha', 'dist', 'config.js');
    writeFileSync(
      join(root, 'apps', 'alpha', 'package.json'),
      JSON.stringify({
        name: '@geoworks/alpha',
        main: 'dist/main.js',
        exports: { './config': { default: './dist/built-later.js' } },
      }),
    );
    const unbuilt = await start(root, {}).exited;
    expect(unbuilt).toMatchObject({
      code: 1,
      stderr: `geoworks: alpha is not built (${join(dirname(config), 'built-later.js')} is missing); run npm run build\n`,
    });
  });
});
