import { readdir, utimes } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRows, startFakeCkan, type FakeCkan } from '@geoworks/fake-ckan';
import {
  expectedCell,
  linkIn,
  parseDelimited,
  postForm,
  readZip,
  startService,
  startSmtpSink,
  type SmtpSink,
} from './helpers.js';

const SECRET = 'correct horse battery staple';
let smtp: SmtpSink;
let ckan: FakeCkan;
let slowCkan: FakeCkan;
let files: Server;
let filesUrl: string;
let service: Awaited<ReturnType<typeof startService>>;
let base: string;
// 120 columns of awkward values: commas, quotes, newlines, tabs, unicode, nulls, objects.
const birds = generateRows(730, 120, 3);
const fileBody = Buffer.from('id,name\n1,"a, b"\n2,ça va\n');

beforeAll(async () => {
  smtp = await startSmtpSink();
  ckan = await startFakeCkan();
  await ckan.addResource({ id: 'birds', fields: birds.fields, rows: birds });
  await ckan.addResource({
    id: 'private-birds',
    fields: birds.fields,
    rows: birds,
    private: true,
    apiKey: 'user-key',
  });
  await ckan.addResource({
    id: 'specimens',
    fields: [
      { id: 'Scientific name', type: 'text' },
      { id: 'Event date', type: 'text' },
      { id: 'catalogNumber', type: 'text' },
      { id: 'Collector notes', type: 'text' },
      { id: 'associatedMedia', type: 'json' },
    ],
    rows: [
      {
        'Scientific name': 'Parus major',
        'Event date': '2020-05-01',
        catalogNumber: 'NHM-1',
        'Collector notes': 'seen, "twice"',
        associatedMedia: [
          { identifier: 'http://img/1.jpg', title: 'Front' },
          { identifier: 'http://img/2.jpg' },
        ],
      },
      {
        'Scientific name': 'Erithacus rubecula',
        'Event date': null,
        catalogNumber: 'NHM-2',
        'Collector notes': null,
        associatedMedia: null,
      },
    ],
  });
  slowCkan = await startFakeCkan({
    faults: [{ kind: 'delay', ms: 300, call: 1, times: Infinity }],
  });
  await slowCkan.addResource({
    id: 'big',
    fields: birds.fields.slice(0, 5),
    rows: generateRows(1000, 5, 9),
  });
  files = createServer((req, res) => {
    if (req.url === '/files/observations%202020.csv?download=1')
      res.writeHead(200, { 'content-type': 'text/csv' }).end(fileBody);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  service = await startService({
    PACKAGER_SECRET: SECRET,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    PACKAGER_ALLOWED_HOSTS: '127.0.0.1',
    PACKAGER_PAGE_SIZE: '100',
    PACKAGER_RETRIES: '0',
    PACKAGER_FAST_WORKERS: '2',
    PACKAGER_SLOW_WORKERS: '1',
    PACKAGER_MAIL_FROM: 'Portal <noreply@portal.test>',
  });
  base = service.url;
});

afterAll(async () => {
  await service?.cleanup();
  await Promise.all([smtp?.close(), ckan?.stop(), slowCkan?.stop()]);
  files?.closeAllConnections();
  await new Promise((resolve) => files?.close(resolve));
});

/** The rows CKAN itself returns for a query, for comparison with the zip. */
async function ckanRows(
  params: Record<string, unknown>,
): Promise<{ header: string[]; rows: string[][] }> {
  const response = await fetch(ckan.apiUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: String(params.key ?? '') },
    body: JSON.stringify({ ...params, key: undefined, limit: 32000 }),
  });
  const { result } = (await response.json()) as {
    result: { fields: { id: string }[]; records: Record<string, unknown>[] };
  };
  const header = result.fields.map((field) => field.id);
  return {
    header,
    rows: result.records.map((record) => header.map((id) => expectedCell(record[id]))),
  };
}

async function download(link: string): Promise<Map<string, Buffer>> {
  const response = await fetch(link);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/zip');
  return readZip(Buffer.from(await response.arrayBuffer()));
}

const extensionPost = (overrides: Record<string, string> = {}) => ({
  secret: SECRET,
  resource_id: 'birds',
  email: 'ann@example.org',
  format: 'csv',
  key: '',
  api_url: ckan.apiUrl.replace('/api/3/action', '/api/action'),
  filters: JSON.stringify({ category: ['Aves', 'Mammalia', 'Insecta'] }),
  q: '',
  limit: '730',
  offset: '0',
  sort: '_id asc',
  ...overrides,
});

describe('secret and parameters', () => {
  it('answers 401 with ckanpackager’s body for a missing or wrong secret, on every route', async () => {
    for (const path of [
      '/',
      '/status',
      '/clear_caches',
      '/package_datastore',
      '/package_dwc_archive',
      '/package_url',
      '/statistics',
      '/statistics/requests',
      '/statistics/errors',
    ]) {
      for (const fields of [{}, { secret: 'wrong' }, { secret: SECRET.slice(0, -1) }] as Record<
        string,
        string
      >[]) {
        const answer = await postForm(base, path, fields);
        expect(answer, path).toEqual({
          status: 401,
          body: { status: 'failed', error: 'NotAuthorizedError', message: 'Wrong/missing secret' },
        });
      }
    }
  });

  it('answers 400 naming the missing or bad parameter', async () => {
    const { api_url: _, ...withoutApiUrl } = extensionPost();
    expect(await postForm(base, '/package_datastore', withoutApiUrl)).toEqual({
      status: 400,
      body: {
        status: 'failed',
        error: 'BadRequestError',
        message: 'Parameter api_url is required',
      },
    });
    expect(
      (await postForm(base, '/package_url', { secret: SECRET, resource_id: 'r', email: 'a@b.org' }))
        .body.message,
    ).toBe('Parameter resource_url is required');
    expect(
      (await postForm(base, '/package_datastore', extensionPost({ filters: '{nope' }))).body,
    ).toEqual({
      status: 'failed',
      error: 'BadRequestError',
      message: 'Parameter filters must be a JSON object',
    });
    expect(
      (await postForm(base, '/package_datastore', extensionPost({ limit: 'ten' }))).status,
    ).toBe(400);
    expect(
      (await postForm(base, '/statistics/requests', { secret: SECRET, limit: '-1' })).status,
    ).toBe(400);
  });

  it('refuses hosts outside the allow-list with 403', async () => {
    const answer = await postForm(
      base,
      '/package_datastore',
      extensionPost({ api_url: 'http://ckan.elsewhere.test/api/action/datastore_search' }),
    );
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ status: 'failed', error: 'ForbiddenError' });
    expect(answer.body.message).toMatch(/ckan\.elsewhere\.test/);
  });

  it('takes JSON bodies too, and refuses malformed ones with 400', async () => {
    const response = await fetch(new URL('/status', base), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret: SECRET }),
    });
    expect(response.status).toBe(200);
    const broken = await fetch(new URL('/status', base), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"secret":',
    });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ status: 'failed', error: 'BadRequestError' });
  });
});

describe('packaging end to end', () => {
  it('packs the extension’s CSV request, mails the link, and the zip holds CKAN’s rows exactly', async () => {
    const before = smtp.mails.length;
    const answer = await postForm(base, '/package_datastore', extensionPost());
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      status: 'success',
      message: expect.stringMatching(/emailed to you/),
    });
    const mail = await smtp.waitFor(before + 1);
    expect(mail.envelopeTo).toEqual(['ann@example.org']);
    expect(mail.message.from).toBe('noreply@portal.test');
    expect(mail.message.subject).toBe(`Resource from ${new URL(ckan.url).host}`);
    const link = linkIn(mail);
    expect(link.startsWith(new URL('/downloads/', base).href)).toBe(true);
    expect(mail.message.html).toContain(`<a href="${link}">here</a>`);
    expect(mail.message.text).not.toMatch(/[{}]/);

    const entries = await download(link);
    expect([...entries.keys()]).toEqual(['resource.csv']);
    const csv = entries.get('resource.csv')!.toString('utf8');
    expect(csv.charCodeAt(0)).not.toBe(0xfeff);
    expect(csv).not.toContain('\r\n"');
    const [header, ...rows] = parseDelimited(csv);
    const expected = await ckanRows({
      resource_id: 'birds',
      filters: { category: ['Aves', 'Mammalia', 'Insecta'] },
      sort: '_id asc',
    });
    expect(header).toEqual(expected.header);
    expect(header).toHaveLength(121);
    expect(rows.length).toBeGreaterThan(100);
    expect(rows).toEqual(expected.rows);
  });

  it('packs TSV and XLSX', async () => {
    const before = smtp.mails.length;
    await postForm(
      base,
      '/package_datastore',
      extensionPost({ format: 'tsv', limit: '50', filters: '' }),
    );
    await postForm(
      base,
      '/package_datastore',
      extensionPost({ format: 'xlsx', limit: '20', filters: '' }),
    );
    await smtp.waitFor(before + 2);
    const links = smtp.mails.slice(before).map(linkIn);
    const zips = await Promise.all(links.map(download));
    const tsvZip = zips.find((zip) => zip.has('resource.tsv'))!;
    const xlsxZip = zips.find((zip) => zip.has('resource.xlsx'))!;
    const expected = await ckanRows({ resource_id: 'birds', sort: '_id asc' });
    const [tsvHeader, ...tsvRows] = parseDelimited(
      tsvZip.get('resource.tsv')!.toString('utf8'),
      '\t',
    );
    expect(tsvHeader).toEqual(expected.header);
    expect(tsvRows).toEqual(expected.rows.slice(0, 50));
    const workbook = await readZip(xlsxZip.get('resource.xlsx')!);
    expect(workbook.get('xl/workbook.xml')!.toString()).toContain('name="Data"');
    const sheet = workbook.get('xl/worksheets/sheet1.xml')!.toString();
    expect(sheet.match(/<row /g)).toHaveLength(21);
    expect(sheet).toContain('<c r="A1" s="1" t="inlineStr"><is><t>_id</t></is></c>');
    expect(sheet).toContain('<c r="A21"><v>20</v></c>');
  });

  it('packs a Darwin Core Archive with mapped terms, dynamic properties and multimedia rows', async () => {
    const before = smtp.mails.length;
    const answer = await postForm(base, '/package_dwc_archive', {
      secret: SECRET,
      resource_id: 'specimens',
      email: 'bob@example.org',
      api_url: ckan.apiUrl,
      for_gbif: 'true',
    });
    expect(answer.status).toBe(200);
    const entries = await download(linkIn(await smtp.waitFor(before + 1)));
    expect([...entries.keys()].sort()).toEqual([
      'eml.xml',
      'gbif.json',
      'meta.xml',
      'multimedia.csv',
      'occurrence.csv',
    ]);
    const occurrence = parseDelimited(entries.get('occurrence.csv')!.toString());
    // Matched fields keep their input order; the rest go, camel-cased, into dynamicProperties.
    expect(occurrence[0]).toEqual([
      '_id',
      'scientificName',
      'eventDate',
      'catalogNumber',
      'dynamicProperties',
    ]);
    expect(occurrence[1]).toEqual([
      '1',
      'Parus major',
      '2020-05-01',
      'NHM-1',
      '{"collectorNotes":"seen, \\"twice\\""}',
    ]);
    // Null values are left out of dynamicProperties; nothing left means an empty cell.
    expect(occurrence[2]).toEqual(['2', 'Erithacus rubecula', '', 'NHM-2', '']);
    const media = parseDelimited(entries.get('multimedia.csv')!.toString());
    expect(media).toHaveLength(3);
    expect(media[1]![0]).toBe('1');
    expect(media[1]).toContain('http://img/1.jpg');
    expect(media[1]).toContain('StillImage');
    const meta = entries.get('meta.xml')!.toString();
    expect(meta).toContain('<archive xmlns="http://rs.tdwg.org/dwc/text/" metadata="eml.xml">');
    expect(meta).toContain('rowType="http://rs.tdwg.org/dwc/terms/Occurrence"');
    expect(entries.get('eml.xml')!.toString()).toMatch(/<pubDate>\d{4}-\d{2}-\d{2}<\/pubDate>/);
  });

  it('packs a file from resource_url under its own name', async () => {
    const before = smtp.mails.length;
    const answer = await postForm(base, '/package_url', {
      secret: SECRET,
      resource_id: 'obs',
      email: 'cy@example.org',
      resource_url: `${filesUrl}/files/observations%202020.csv?download=1`,
    });
    expect(answer.status).toBe(200);
    const mail = await smtp.waitFor(before + 1);
    expect(mail.message.subject).toBe(`Resource from ${new URL(filesUrl).host}`);
    const entries = await download(linkIn(mail));
    expect([...entries.keys()]).toEqual(['observations_2020.csv']);
    expect(entries.get('observations_2020.csv')!.equals(fileBody)).toBe(true);
  });

  it('reads private resources with the user’s key', async () => {
    const before = smtp.mails.length;
    await postForm(
      base,
      '/package_datastore',
      extensionPost({ resource_id: 'private-birds', key: 'user-key', limit: '10', filters: '' }),
    );
    const entries = await download(linkIn(await smtp.waitFor(before + 1)));
    expect(parseDelimited(entries.get('resource.csv')!.toString())).toHaveLength(11);
    // The key travelled sealed: the job database holds nothing usable.
    const jobs = new Database(join(service.dataDir, 'jobs.sqlite'), { readonly: true });
    const dump = JSON.stringify(jobs.prepare('SELECT * FROM jobs').all());
    jobs.close();
    expect(dump).toContain('private-birds');
    expect(dump).not.toContain('user-key');
  });
});

describe('cache', () => {
  it('reuses the zip for an identical request from someone else, without calling CKAN, until it expires', async () => {
    const fields = extensionPost({ limit: '40', filters: '', q: 'alpha' });
    const before = smtp.mails.length;
    await postForm(base, '/package_datastore', fields);
    const first = linkIn(await smtp.waitFor(before + 1));
    const calls = ckan.searchCalls;
    await postForm(base, '/package_datastore', { ...fields, email: 'someone.else@example.org' });
    const second = await smtp.waitFor(before + 2);
    expect(second.envelopeTo).toEqual(['someone.else@example.org']);
    expect(linkIn(second)).toBe(first);
    expect(ckan.searchCalls).toBe(calls);
    // Age the zip past CACHE_TIME (1 day): the next request builds it again.
    const name = first.split('/').pop()!;
    const twoDaysAgo = new Date(Date.now() - 2 * 86400_000);
    await utimes(join(service.dataDir, 'packages', name), twoDaysAgo, twoDaysAgo);
    await postForm(base, '/package_datastore', fields);
    expect(linkIn(await smtp.waitFor(before + 3))).toBe(first);
    expect(ckan.searchCalls).toBeGreaterThan(calls);
  });
});

describe('queues', () => {
  it('does not hold a fast request behind a running slow one', async () => {
    const before = smtp.mails.length;
    const slow = await postForm(base, '/package_datastore', {
      secret: SECRET,
      resource_id: 'big',
      email: 'slow@example.org',
      api_url: slowCkan.apiUrl,
    });
    expect(slow.status).toBe(200);
    await expect
      .poll(async () => (await service.packager.status()).queues.slow.running, { timeout: 5000 })
      .toBe(1);
    const status = await postForm(base, '/status', { secret: SECRET });
    expect(status.body).toMatchObject({
      worker_count: 3,
      queue_length: 1,
      queues: { slow: { workers: 1, running: 1 } },
    });
    await postForm(
      base,
      '/package_datastore',
      extensionPost({ limit: '30', filters: '', email: 'fast@example.org' }),
    );
    const next = await smtp.waitFor(before + 1);
    expect(next.envelopeTo).toEqual(['fast@example.org']);
    expect((await service.packager.status()).queues.slow.running).toBe(1);
    const job = await service.packager.queue.wait(slow.body.job_id, { timeoutMs: 30_000 });
    expect(job.status).toBe('finished');
    expect(job.queue).toBe('slow');
    expect((job.result as { count: number }).count).toBe(1000);
  });
});

describe('failures', () => {
  it('a CKAN failure mid-stream leaves no zip, sends no mail and is logged as an error', async () => {
    const mailsBefore = smtp.mails.length;
    const zipsBefore = (await readdir(join(service.dataDir, 'packages'))).filter((name) =>
      name.endsWith('.zip'),
    );
    ckan.setFault({ kind: 'destroy', call: ckan.searchCalls + 3, afterBytes: 5000 });
    const answer = await postForm(
      base,
      '/package_datastore',
      extensionPost({ resource_id: 'birds', limit: '', filters: '', email: 'unlucky@example.org' }),
    );
    expect(answer.status).toBe(200);
    const job = await service.packager.queue.wait(answer.body.job_id, { timeoutMs: 20_000 });
    ckan.clearFaults();
    expect(job.status).toBe('failed');
    expect(job.queue).toBe('slow');
    const zipsAfter = (await readdir(join(service.dataDir, 'packages'))).filter((name) =>
      name.endsWith('.zip'),
    );
    expect(zipsAfter).toEqual(zipsBefore);
    expect(await readdir(join(service.dataDir, 'packages', '.partial'))).toEqual([]);
    const logs = await service.packager.queue.logs(job.id);
    expect(
      logs.some(
        (line) => line.level === 'error' && /broke off|Could not reach|socket/i.test(line.message),
      ),
    ).toBe(true);
    const errors = await postForm(base, '/statistics/errors', {
      secret: SECRET,
      email: 'unlucky@example.org',
    });
    expect(errors.body.success).toBe(true);
    expect(errors.body.errors).toHaveLength(1);
    expect(errors.body.errors[0]).toMatchObject({
      resource_id: 'birds',
      email: 'unlucky@example.org',
    });
    expect(smtp.mails.length).toBe(mailsBefore);
  });
});

describe('statistics and status', () => {
  it('reports totals, requests and errors as ckanpackager did', async () => {
    // A service of its own: the figures count this test's requests, whatever else ran.
    const own = await startService({
      PACKAGER_SECRET: SECRET,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      PACKAGER_ALLOWED_HOSTS: '127.0.0.1',
      PACKAGER_RETRIES: '0',
      PACKAGER_FAST_WORKERS: '2',
      PACKAGER_SLOW_WORKERS: '1',
    });
    try {
      const packed = async (fields: Record<string, string>) => {
        const answer = await postForm(own.url, '/package_datastore', extensionPost(fields));
        expect(answer.status).toBe(200);
        return (await own.packager.queue.wait(answer.body.job_id, { timeoutMs: 20_000 })).status;
      };
      expect(await packed({ resource_id: 'specimens', filters: '', limit: '' })).toBe('finished');
      expect(await packed({ filters: '', limit: '10' })).toBe('finished');
      expect(await packed({ filters: '', limit: '20' })).toBe('finished');
      ckan.setFault({ kind: 'destroy', call: ckan.searchCalls + 1, afterBytes: 5000 });
      expect(await packed({ filters: '', limit: '', email: 'unlucky@example.org' })).toBe('failed');
      ckan.clearFaults();

      const totals = await postForm(own.url, '/statistics', { secret: SECRET });
      expect(totals.status).toBe(200);
      expect(totals.body.status).toBe(true);
      const all = totals.body.totals['*'];
      expect(all).toMatchObject({ requests: 3, errors: 1 });
      expect(totals.body.totals.birds).toMatchObject({ requests: 2, errors: 1 });
      const one = await postForm(own.url, '/statistics', {
        secret: SECRET,
        resource_id: 'specimens',
      });
      expect(one.body.totals).toEqual({ specimens: { requests: 1, errors: 0, emails: 1 } });
      const requests = await postForm(own.url, '/statistics/requests', {
        secret: SECRET,
        resource_id: 'birds',
        limit: '2',
      });
      expect(requests.body.success).toBe(true);
      expect(requests.body.requests).toHaveLength(2);
      // Newest first.
      expect(requests.body.requests[0].timestamp).toBeGreaterThanOrEqual(
        requests.body.requests[1].timestamp,
      );
      const status = await postForm(own.url, '/', { secret: SECRET });
      expect(status.body).toMatchObject({ worker_count: 3, queue_length: 0 });
      expect(status.body.processed_requests).toBe(4);
    } finally {
      ckan.clearFaults();
      await own.cleanup();
    }
  });
});

describe('downloads', () => {
  it('serves byte ranges, and 404 for unknown names, path tricks and expired files', async () => {
    const before = smtp.mails.length;
    await postForm(
      base,
      '/package_datastore',
      extensionPost({ limit: '15', filters: '', email: 'dl@example.org' }),
    );
    const link = linkIn(await smtp.waitFor(before + 1));
    const whole = Buffer.from(await (await fetch(link)).arrayBuffer());
    const partial = await fetch(link, { headers: { range: 'bytes=10-29' } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe(`bytes 10-29/${whole.length}`);
    expect(Buffer.from(await partial.arrayBuffer()).equals(whole.subarray(10, 30))).toBe(true);
    const head = await fetch(link, { method: 'HEAD' });
    expect(head.headers.get('content-disposition')).toBe(
      `attachment; filename=${link.split('/').pop()}`,
    );
    for (const bad of ['nothing.zip', '..%2Fstats.sqlite', '..%2F..%2Fsecret', '.store-key']) {
      expect((await fetch(new URL(`/downloads/${bad}`, base))).status, bad).toBe(404);
    }
    const name = link.split('/').pop()!;
    const longAgo = new Date(Date.now() - 30 * 86400_000);
    await utimes(join(service.dataDir, 'packages', name), longAgo, longAgo);
    const expired = await fetch(link);
    expect(expired.status).toBe(404);
    expect(await expired.json()).toMatchObject({ status: 'failed', error: 'NotFoundError' });
  });

  it('clear_caches removes the zips', async () => {
    // A zip of its own first, so there is something to remove whatever ran before.
    const before = smtp.mails.length;
    await postForm(
      base,
      '/package_datastore',
      extensionPost({ limit: '5', filters: '', email: 'clear@example.org' }),
    );
    await smtp.waitFor(before + 1);
    const zips = () =>
      readdir(join(service.dataDir, 'packages')).then((names) =>
        names.filter((name) => name.endsWith('.zip')),
      );
    expect((await zips()).length).toBeGreaterThan(0);
    const answer = await postForm(base, '/clear_caches', { secret: SECRET });
    expect(answer).toEqual({ status: 200, body: { status: 'success', message: 'Done.' } });
    expect(await zips()).toEqual([]);
  });
});
