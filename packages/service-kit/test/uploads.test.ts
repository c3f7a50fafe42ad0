import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createApp,
  errorHandler,
  notFoundHandler,
  receiveUploads,
  safeFileName,
  type ReceiveUploadsOptions,
  type Uploads,
} from '../src/index.js';
import {
  BOUNDARY,
  MULTIPART_TYPE,
  multipartBody,
  partHeader,
  type Part,
} from './helpers/multipart.js';
import { captureLogs, serve, sleep, temporaryDir } from './helpers/server.js';

const LIMIT = 64 * 1024;

function sha256(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Every file under `root`, as paths relative to it. */
function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

/** A service with one upload route; `outcomes` holds what each receiveUploads call gave. */
async function uploadService(options: Partial<ReceiveUploadsOptions> = {}) {
  const { logger } = captureLogs();
  const root = temporaryDir('uploads');
  // Two levels down, so a `../..` escape would land inside `root`, where the test looks.
  const dir = join(root, 'a', 'incoming');
  const outcomes: Promise<Uploads>[] = [];
  const app = createApp({ logger });
  app.post('/upload', async (req, res) => {
    const outcome = receiveUploads(req, {
      dir,
      maxFileBytes: LIMIT,
      maxFiles: 3,
      maxFields: 4,
      maxFieldBytes: 100,
      ...options,
    });
    outcomes.push(outcome);
    res.status(201).json(await outcome);
  });
  app.use(notFoundHandler(), errorHandler({ logger }));
  const handle = await serve(app);
  const url = `${handle.url}upload`;
  const postRaw = (parts: readonly Part[]) =>
    fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': MULTIPART_TYPE },
      body: multipartBody(parts),
    });
  return { url, root, dir, outcomes, postRaw, port: handle.port };
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

describe('receiveUploads', () => {
  it('stores several files with their fields, sizes and SHA-256', async () => {
    const { url, dir } = await uploadService();
    const shp = randomBytes(40_000);
    const atLimit = randomBytes(LIMIT);
    const form = new FormData();
    form.append('name', 'Rivers of Europe');
    form.append('crs', 'EPSG:4326');
    form.append('geometry', new Blob([shp], { type: 'application/x-shapefile' }), 'rivers.shp');
    form.append('attributes', new Blob(['id,name\n1,Rhine\n']), 'rivers.dbf');
    form.append('raster', new Blob([atLimit]), 'dem.tif');

    const response = await fetch(url, { method: 'POST', body: form });
    expect(response.status).toBe(201);
    const uploads = (await response.json()) as Uploads;
    expect(uploads.fields).toEqual({ name: 'Rivers of Europe', crs: 'EPSG:4326' });
    expect(uploads.files).toEqual([
      {
        field: 'geometry',
        originalName: 'rivers.shp',
        storedName: expect.stringMatching(/^[0-9a-f]{16}-rivers\.shp$/),
        path: expect.any(String),
        size: 40_000,
        mimeType: 'application/x-shapefile',
        sha256: sha256(shp),
      },
      {
        field: 'attributes',
        originalName: 'rivers.dbf',
        storedName: expect.stringMatching(/^[0-9a-f]{16}-rivers\.dbf$/),
        path: expect.any(String),
        size: 16,
        mimeType: 'application/octet-stream',
        sha256: sha256('id,name\n1,Rhine\n'),
      },
      {
        field: 'raster',
        originalName: 'dem.tif',
        storedName: expect.stringMatching(/^[0-9a-f]{16}-dem\.tif$/),
        path: expect.any(String),
        size: LIMIT,
        mimeType: 'application/octet-stream',
        sha256: sha256(atLimit),
      },
    ]);
    const [geometry, attributes, raster] = uploads.files;
    expect(geometry!.path).toBe(join(dir, geometry!.storedName));
    expect(readFileSync(geometry!.path).equals(shp)).toBe(true);
    expect(readFileSync(attributes!.path, 'utf8')).toBe('id,name\n1,Rhine\n');
    expect(readFileSync(raster!.path).equals(atLimit)).toBe(true);
    expect(filesUnder(dir)).toEqual(uploads.files.map((file) => file.storedName).sort());
  });

  it('refuses a file over the limit with a 413 and leaves nothing behind', async () => {
    const { url, dir, outcomes } = await uploadService();
    const form = new FormData();
    form.append('small', new Blob(['fits']), 'small.txt');
    form.append('big', new Blob([randomBytes(LIMIT + 1)]), 'big.tif');
    const response = await fetch(url, { method: 'POST', body: form });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({
      error: {
        code: 'FILE_TOO_LARGE',
        message: `File "big.tif" is larger than the limit of ${LIMIT} bytes`,
        details: { field: 'big', limit: LIMIT },
      },
    });
    await expect(outcomes[0]).rejects.toMatchObject({ kind: 'too-large' });
    expect(filesUnder(dir)).toEqual([]);
  });

  it('deletes the partial file when the client disconnects mid-upload', async () => {
    const { dir, outcomes, port } = await uploadService({ maxFileBytes: 100 * 1024 * 1024 });
    const client = request({
      port,
      host: '127.0.0.1',
      method: 'POST',
      path: '/upload',
      headers: { 'Content-Type': MULTIPART_TYPE, 'Content-Length': String(50 * 1024 * 1024) },
    });
    client.on('error', () => undefined);
    client.write(partHeader({ field: 'f', filename: 'huge.tif', content: '' }));
    client.write(randomBytes(1024 * 1024));
    // Wait until the server has really written part of the file.
    for (let i = 0; i < 200 && filesUnder(dir).length === 0; i++) await sleep(10);
    expect(filesUnder(dir)).toHaveLength(1);
    client.destroy();

    await expect(outcomes[0]).rejects.toMatchObject({
      kind: 'aborted',
      code: 'CLIENT_DISCONNECTED',
    });
    expect(filesUnder(dir)).toEqual([]);
  });

  it('stores path-trick file names safely inside dir', async () => {
    const { root, dir, postRaw } = await uploadService({ maxFiles: 12 });
    const names: [Part, string][] = [
      [{ field: 'f', filename: '../../etc/passwd', content: '1' }, 'passwd'],
      [{ field: 'f', filename: '/etc/shadow', content: '2' }, 'shadow'],
      [{ field: 'f', encodedFilename: 'C%3A%5Cevil%5Cx.shp', content: '3' }, 'x.shp'],
      [{ field: 'f', encodedFilename: '..%5C..%5Cwin.ini', content: '4' }, 'win.ini'],
      [{ field: 'f', filename: '.bashrc', content: '5' }, 'bashrc'],
      [{ field: 'f', filename: '..', content: '6' }, 'file'],
      [{ field: 'f', encodedFilename: 'evil%0A%00name%0D.shp', content: '7' }, 'evilname.shp'],
      [{ field: 'f', encodedFilename: '%2E%2E%2F%2E%2E%2Fup.shp', content: '8' }, 'up.shp'],
      [{ field: 'f', filename: `${'a'.repeat(300)}.shp`, content: '9' }, `${'a'.repeat(96)}.shp`],
      [{ field: 'f', filename: 'données été.tif', content: '10' }, 'données_été.tif'],
      [{ field: 'f', filename: 'x;rm -rf *|.shp', content: '11' }, 'x_rm_-rf_.shp'],
    ];
    const response = await postRaw(names.map(([part]) => part));
    expect(response.status).toBe(201);
    const { files } = (await response.json()) as Uploads;
    expect(files.map((file) => file.storedName.slice(17))).toEqual(names.map(([, safe]) => safe));
    for (const file of files) {
      expect(dirname(file.path)).toBe(dir);
      expect(file.path).toBe(join(dir, file.storedName));
      expect(file.storedName).toMatch(/^[0-9a-f]{16}-[\p{L}\p{N}_-][\p{L}\p{N}._-]*$/u);
      expect(Buffer.byteLength(file.storedName)).toBeLessThanOrEqual(117);
    }
    expect(files[6]!.originalName).toBe('evil\n\0name\r.shp');
    // Nothing landed anywhere but in dir.
    expect(filesUnder(root)).toEqual(
      files.map((file) => join('a', 'incoming', file.storedName)).sort(),
    );
  });

  it('never overwrites: the same name twice gives two files', async () => {
    const { dir, postRaw } = await uploadService();
    const first = await postRaw([{ field: 'f', filename: 'data.csv', content: 'first' }]);
    const second = await postRaw([
      { field: 'f', filename: 'data.csv', content: 'second' },
      { field: 'g', filename: 'data.csv', content: 'third' },
    ]);
    const stored = [
      ...((await first.json()) as Uploads).files,
      ...((await second.json()) as Uploads).files,
    ];
    expect(new Set(stored.map((file) => file.storedName)).size).toBe(3);
    expect(stored.map((file) => readFileSync(file.path, 'utf8'))).toEqual([
      'first',
      'second',
      'third',
    ]);
    expect(filesUnder(dir)).toHaveLength(3);
  });

  it('answers a request that is not multipart with a 415', async () => {
    const { url } = await uploadService();
    const json = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"file":"x"}',
    });
    expect(json.status).toBe(415);
    expect(await errorOf(json)).toEqual({
      code: 'NOT_MULTIPART',
      message: 'Expected a multipart/form-data body, got "application/json"',
    });
    const none = await fetch(url, { method: 'POST' });
    expect(none.status).toBe(415);
    expect((await errorOf(none)).message).toBe(
      'Expected a multipart/form-data body, got no Content-Type',
    );
  });

  it('refuses a disallowed extension with a 400, removing files already stored', async () => {
    const { dir, postRaw } = await uploadService({
      allowedExtensions: ['.shp', 'DBF', '.tar.gz'],
    });
    const accepted = await postRaw([
      { field: 'f', filename: 'A.SHP', content: 'a' },
      { field: 'f', filename: 'b.dbf', content: 'b' },
      { field: 'f', filename: 'c.tar.gz', content: 'c' },
    ]);
    expect(accepted.status).toBe(201);
    const kept = filesUnder(dir);
    expect(kept).toHaveLength(3);

    const refused = await postRaw([
      { field: 'f', filename: 'ok.shp', content: 'ok' },
      { field: 'g', filename: 'evil.exe', content: 'MZ' },
    ]);
    expect(refused.status).toBe(400);
    expect(await errorOf(refused)).toMatchObject({
      code: 'EXTENSION_NOT_ALLOWED',
      message: 'File "evil.exe" is not accepted; allowed extensions: .shp, .dbf, .tar.gz',
    });
    const hidden = await postRaw([{ field: 'f', filename: '.shp', content: 'x' }]);
    expect(hidden.status).toBe(400);
    expect(filesUnder(dir)).toEqual(kept);
  });

  // [what, parts, status, code]
  const refusals: [string, Part[], number, string][] = [
    [
      'too many files',
      [1, 2, 3, 4].map((n) => ({ field: 'f', filename: `${n}.txt`, content: 'x' })),
      400,
      'TOO_MANY_FILES',
    ],
    [
      'too many fields',
      [1, 2, 3, 4, 5].map((n) => ({ field: `k${n}`, value: 'v' })),
      400,
      'TOO_MANY_FIELDS',
    ],
    [
      'a field given twice',
      [
        { field: 'f', filename: 'a.txt', content: 'x' },
        { field: 'name', value: 'a' },
        { field: 'name', value: 'b' },
      ],
      400,
      'DUPLICATE_FIELD',
    ],
    [
      'a field over maxFieldBytes',
      [
        { field: 'f', filename: 'a.txt', content: 'x' },
        { field: 'name', value: 'x'.repeat(101) },
      ],
      413,
      'FIELD_TOO_LARGE',
    ],
  ];
  it.each(refusals)('refuses %s and leaves nothing behind', async (_what, parts, status, code) => {
    const { dir, postRaw } = await uploadService();
    const response = await postRaw(parts);
    expect(response.status).toBe(status);
    expect((await errorOf(response)).code).toBe(code);
    expect(filesUnder(dir)).toEqual([]);
  });

  it('accepts exactly maxFiles files and maxFields fields', async () => {
    const { postRaw } = await uploadService();
    const response = await postRaw([
      ...[1, 2, 3].map((n) => ({ field: 'f', filename: `${n}.txt`, content: 'x' })),
      ...[1, 2, 3, 4].map((n) => ({ field: `k${n}`, value: 'x'.repeat(100) })),
    ]);
    expect(response.status).toBe(201);
    const uploads = (await response.json()) as Uploads;
    expect(uploads.files).toHaveLength(3);
    expect(Object.keys(uploads.fields)).toEqual(['k1', 'k2', 'k3', 'k4']);
  });

  it('refuses a malformed body with a 400 and leaves nothing behind', async () => {
    const { url, dir } = await uploadService();
    const cut = multipartBody([{ field: 'f', filename: 'a.txt', content: 'x'.repeat(1000) }]);
    const truncated = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': MULTIPART_TYPE },
      body: cut.subarray(0, cut.length - BOUNDARY.length - 8),
    });
    expect(truncated.status).toBe(400);
    expect(await errorOf(truncated)).toEqual({
      code: 'MALFORMED_MULTIPART',
      message: 'Malformed multipart body: Unexpected end of form',
    });
    const noBoundary = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'multipart/form-data' },
      body: 'x',
    });
    expect(noBoundary.status).toBe(400);
    expect((await errorOf(noBoundary)).code).toBe('MALFORMED_MULTIPART');
    expect(filesUnder(dir)).toEqual([]);
  });

  it('refuses to read a body twice instead of waiting forever', async () => {
    const { logger } = captureLogs();
    const dir = temporaryDir('twice');
    const second: Promise<Uploads>[] = [];
    const app = createApp({ logger });
    app.post('/twice', async (req, res) => {
      await receiveUploads(req, { dir, maxFileBytes: LIMIT });
      const again = receiveUploads(req, { dir, maxFileBytes: LIMIT });
      second.push(again);
      res.json(await again);
    });
    app.use(errorHandler({ logger }));
    const { url } = await serve(app);
    const response = await fetch(`${url}twice`, {
      method: 'POST',
      headers: { 'Content-Type': MULTIPART_TYPE },
      body: multipartBody([{ field: 'f', filename: 'a.txt', content: 'x' }]),
    });
    expect(response.status).toBe(500);
    await expect(second[0]).rejects.toMatchObject({ code: 'BODY_ALREADY_READ' });
  });

  it('streams a large file to disk without holding it in memory', async () => {
    const { url } = await uploadService({ maxFileBytes: 1024 ** 3 });
    const chunk = randomBytes(1024 * 1024);
    const megabytes = 256;
    const expected = createHash('sha256');
    for (let i = 0; i < megabytes; i++) expected.update(chunk);
    const head = Buffer.from(partHeader({ field: 'f', filename: 'big.bin', content: '' }));
    const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(head),
      pull: (controller) => {
        if (sent++ < megabytes) controller.enqueue(chunk);
        else {
          controller.enqueue(tail);
          controller.close();
        }
      },
    });
    const before = process.memoryUsage();
    let peakRss = before.rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 5);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': MULTIPART_TYPE },
      body,
      duplex: 'half',
    } as RequestInit);
    clearInterval(sampler);
    expect(response.status).toBe(201);
    const [file] = ((await response.json()) as Uploads).files;
    expect(file!.size).toBe(megabytes * 1024 * 1024);
    expect(file!.sha256).toBe(expected.digest('hex'));
    // Client and server share this process; both stream, so growth stays far below the file.
    expect(peakRss - before.rss).toBeLessThan(96 * 1024 * 1024);
  });
});

describe('safeFileName', () => {
  const cases: [string, string][] = [
    ['rivers.shp', 'rivers.shp'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\evil\\x.shp', 'x.shp'],
    ['C:x.shp', 'x.shp'],
    ['\\\\server\\share\\y.tif', 'y.tif'],
    ['.bashrc', 'bashrc'],
    ['...', 'file'],
    ['', 'file'],
    ['name.', 'name'],
    ['a\0b\nc\r\td.shp', 'abcd.shp'],
    ['evil\u202Egpj.exe', 'evil_gpj.exe'],
    ['my data (1).csv', 'my_data_1_.csv'],
    ['-rf.txt', '-rf.txt'],
    ['数据.geojson', '数据.geojson'],
    [`${'é'.repeat(200)}.tif`, `${'é'.repeat(48)}.tif`],
    [`${'x'.repeat(120)}.a-very-long-extension-indeed`, 'x'.repeat(100)],
  ];
  it.each(cases)('%j -> %j', (name, safe) => {
    expect(safeFileName(name)).toBe(safe);
    expect(Buffer.byteLength(safeFileName(name))).toBeLessThanOrEqual(100);
  });
});
