import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mailTransportOptions } from '../src/index.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const fixture = fileURLToPath(new URL('./fixtures/run-service.ts', import.meta.url));

function run(arg: string) {
  const child = spawn(
    process.execPath,
    ['--import', tsx, '--conditions=@geoworks/source', fixture, arg],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, exited, out: () => stdout, err: () => stderr };
}

describe('runService', () => {
  it('exits 2 with every configuration problem and no stack trace', async () => {
    const service = run('bad-config');
    expect(await service.exited).toBe(2);
    expect(service.err()).toContain('RUN_SERVICE_NAME is not set');
    expect(service.err()).not.toMatch(/\n\s+at /);
  });

  it('starts the service and stops it cleanly on SIGTERM', async () => {
    const service = run('ok');
    await expect.poll(() => service.out(), { timeout: 15_000 }).toMatch(/listening http/);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.out()).toContain('closer ran');
  });

  it('stops cleanly after start-up when the signal came during it', async () => {
    const service = run('slow');
    await expect.poll(() => service.out(), { timeout: 15_000 }).toMatch(/starting/);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.out()).toMatch(/listening http[^\n]*\n[\s\S]*closer ran/);
  });
});

describe('mailTransportOptions', () => {
  const base = {
    smtpHost: undefined,
    smtpPort: 587,
    smtpUser: undefined,
    smtpPassword: undefined,
    smtpSecure: false,
  };
  it('is the outbox without SMTP_HOST, the server with it', () => {
    expect(mailTransportOptions(base, '/data/outbox')).toEqual({ outboxDir: '/data/outbox' });
    expect(
      mailTransportOptions(
        {
          ...base,
          smtpHost: 'mail.example.org',
          smtpPort: 465,
          smtpSecure: true,
          smtpUser: 'u',
          smtpPassword: 'p',
        },
        '/x',
      ),
    ).toEqual({
      smtp: { host: 'mail.example.org', port: 465, secure: true, user: 'u', password: 'p' },
    });
  });
});
