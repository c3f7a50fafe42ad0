import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StatsStore } from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'packager-stats-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const at = (seconds: number) => new Date(seconds * 1000);

describe('StatsStore', () => {
  it('counts requests, errors and distinct emails per resource and overall', async () => {
    const stats = await StatsStore.open({ file: join(dir, 'stats.sqlite') });
    await stats.logRequest({ email: 'a@x.org', resourceId: 'r1', count: 10, time: at(100) });
    await stats.logRequest({ email: 'a@x.org', resourceId: 'r1', count: 10, time: at(200) });
    await stats.logRequest({ email: 'b@y.org', resourceId: 'r1', count: 5, time: at(300) });
    await stats.logRequest({ email: 'a@x.org', resourceId: 'r2', time: at(400) });
    await stats.logError({
      email: 'c@z.org',
      resourceId: 'r2',
      message: 'CKAN said no',
      time: at(500),
    });
    expect(stats.totals()).toEqual({
      '*': { requests: 4, errors: 1, emails: 2 },
      r1: { requests: 3, errors: 0, emails: 2 },
      r2: { requests: 1, errors: 1, emails: 1 },
    });
    expect(stats.totals('r2')).toEqual({ r2: { requests: 1, errors: 1, emails: 1 } });
    expect(stats.totals('unknown')).toEqual({});

    const requests = await stats.requests();
    expect(requests.map((entry) => entry.timestamp)).toEqual([400, 300, 200, 100]);
    expect(requests[1]).toEqual({
      email: 'b@y.org',
      domain: 'y.org',
      resource_id: 'r1',
      count: 5,
      timestamp: 300,
      email_status: 'sent',
      email_attempts: 1,
      email_error: null,
    });
    expect(
      (await stats.requests({ resourceId: 'r1', email: 'a@x.org' })).map((e) => e.timestamp),
    ).toEqual([200, 100]);
    expect((await stats.requests({ offset: 1, limit: 2 })).map((e) => e.timestamp)).toEqual([
      300, 200,
    ]);
    expect(await stats.errors()).toEqual([
      { email: 'c@z.org', resource_id: 'r2', message: 'CKAN said no', timestamp: 500 },
    ]);
    stats.close();
  });

  it('adds the email columns to a database made before emails were spooled', async () => {
    const file = join(dir, 'old-stats.sqlite');
    const old = new Database(file);
    old.exec(`
      CREATE TABLE requests (id INTEGER PRIMARY KEY AUTOINCREMENT, count INTEGER, domain TEXT,
        email TEXT NOT NULL, resource_id TEXT NOT NULL, timestamp INTEGER NOT NULL);
      INSERT INTO requests (count, domain, email, resource_id, timestamp)
        VALUES (7, 'x.org', 'a@x.org', 'r1', 100);
    `);
    old.close();
    const stats = await StatsStore.open({ file });
    // Requests logged then had been emailed already.
    expect(await stats.requests()).toEqual([
      {
        email: 'a@x.org',
        domain: 'x.org',
        resource_id: 'r1',
        count: 7,
        timestamp: 100,
        email_status: 'sent',
        email_attempts: 1,
        email_error: null,
      },
    ]);
    expect(stats.emailCounts()).toEqual({ pending: 0, failed: 0 });
    stats.close();
  });

  it('keeps its data across reopening', async () => {
    const file = join(dir, 'stats.sqlite');
    const first = await StatsStore.open({ file });
    await first.logRequest({ email: 'a@x.org', resourceId: 'r1' });
    first.close();
    const second = await StatsStore.open({ file });
    expect(second.totals()['*']).toEqual({ requests: 1, errors: 0, emails: 1 });
    second.close();
  });

  it('anonymises: one-way hashes, domain kept, filters hash the same way, case folded', async () => {
    const file = join(dir, 'stats.sqlite');
    const stats = await StatsStore.open({ file, anonymizeEmails: true });
    await stats.logRequest({ email: 'Ann@Museum.org', resourceId: 'r1', time: at(1) });
    await stats.logRequest({ email: 'ann@museum.org', resourceId: 'r1', time: at(2) });
    await stats.logError({ email: 'ann@museum.org', resourceId: 'r1', message: 'x', time: at(3) });
    const [entry] = await stats.requests();
    expect(entry!.email).toMatch(/^scrypt\$[A-Za-z0-9_-]{43}$/);
    expect(entry!.domain).toBe('museum.org');
    expect(stats.totals('r1').r1).toEqual({ requests: 2, errors: 1, emails: 1 });
    expect(await stats.requests({ email: 'ANN@museum.org' })).toHaveLength(2);
    expect(await stats.errors({ email: 'ann@museum.org' })).toHaveLength(1);
    expect(await stats.requests({ email: 'bob@museum.org' })).toHaveLength(0);
    stats.close();
    // Nothing readable is left in the file.
    const raw = new Database(file, { readonly: true });
    const dump = JSON.stringify([
      raw.prepare('SELECT * FROM requests').all(),
      raw.prepare('SELECT * FROM errors').all(),
    ]);
    raw.close();
    expect(dump).not.toMatch(/ann/i);
  });

  it('hashes plain addresses already stored when anonymisation is turned on, and recounts', async () => {
    const file = join(dir, 'stats.sqlite');
    const plain = await StatsStore.open({ file });
    await plain.logRequest({ email: 'Ann@museum.org', resourceId: 'r1', time: at(1) });
    await plain.logRequest({ email: 'ann@museum.org', resourceId: 'r1', time: at(2) });
    await plain.logError({ email: 'bob@uni.edu', resourceId: 'r1', message: 'boom', time: at(3) });
    expect(plain.totals('r1').r1!.emails).toBe(2);
    plain.close();
    const anonymous = await StatsStore.open({ file, anonymizeEmails: true });
    const requests = await anonymous.requests();
    expect(requests.every((entry) => entry.email.startsWith('scrypt$'))).toBe(true);
    expect(new Set(requests.map((entry) => entry.email)).size).toBe(1);
    expect(anonymous.totals('r1').r1!.emails).toBe(1);
    expect(await anonymous.errors({ email: 'bob@uni.edu' })).toHaveLength(1);
    anonymous.close();
  });

  it('refuses bad paging', async () => {
    const stats = await StatsStore.open({ file: ':memory:' });
    await expect(stats.requests({ limit: -1 })).rejects.toThrow(/limit/);
    await expect(stats.errors({ offset: 1.5 })).rejects.toThrow(/offset/);
    stats.close();
  });
});
