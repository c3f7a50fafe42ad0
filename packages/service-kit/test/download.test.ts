// sendDownload: one way to send a file or a generated stream as an attachment.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  attachment,
  createApi,
  createApp,
  errorHandler,
  notFoundHandler,
  sendDownload,
} from '../src/index.js';
import { captureLogs, serve, temporaryDir } from './helpers/server.js';

const CONTENT = 'abcdefghijklmnopqrstuvwxyz';

async function downloadService() {
  const dir = temporaryDir('download');
  writeFileSync(join(dir, 'letters.txt'), CONTENT);
  let opened = 0;
  const api = createApi({ title: 'Downloads', version: '1' });
  api.route({
    method: 'get',
    path: '/files/:name',
    summary: 'A file',
    responses: {
      '200': { description: 'The file' },
      '206': { description: 'A range' },
      '404': { description: 'No such file' },
      '416': { description: 'No such range' },
    },
    handler: async (req, res) => {
      await sendDownload(res, join(dir, req.params.name), {
        name: `copy of ${req.params.name}`,
        type: 'text/plain',
        headers: { Expires: 'Thu, 01 Jan 2099 00:00:00 GMT' },
      });
    },
  });
  api.route({
    method: 'get',
    path: '/generated',
    summary: 'A stream',
    responses: { '200': { description: 'Generated' } },
    handler: async (_req, res) => {
      await sendDownload(
        res,
        () => {
          opened++;
          return Readable.from([Buffer.from('made '), Buffer.from('now')]);
        },
        { name: 'made.zip', type: 'application/zip' },
      );
    },
  });
  api.route({
    method: 'get',
    path: '/bytes',
    summary: 'Bytes in memory',
    responses: { '200': { description: 'The bytes' } },
    handler: async (_req, res) => {
      await sendDownload(res, Buffer.from('in memory'), { name: 'memory.bin' });
    },
  });
  const { logger } = captureLogs();
  const app = createApp({ logger });
  app.use(api.router, notFoundHandler(), errorHandler({ logger }));
  const base = (await serve(app)).url.replace(/\/$/, '');
  return { base, opened: () => opened };
}

describe('sendDownload', () => {
  it('sends a file as an attachment, with its length, and HEAD without the body', async () => {
    const { base } = await downloadService();
    const whole = await fetch(`${base}/files/letters.txt`);
    expect(whole.status).toBe(200);
    expect(Object.fromEntries(whole.headers)).toMatchObject({
      'content-type': 'text/plain',
      'content-length': String(CONTENT.length),
      'content-disposition': `attachment; filename="copy of letters.txt"; filename*=UTF-8''copy%20of%20letters.txt`,
      'x-content-type-options': 'nosniff',
      'accept-ranges': 'bytes',
      expires: 'Thu, 01 Jan 2099 00:00:00 GMT',
    });
    expect(await whole.text()).toBe(CONTENT);
    const head = await fetch(`${base}/files/letters.txt`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(CONTENT.length));
    expect(await head.text()).toBe('');
  });

  it('serves byte ranges, and 416 with the size for one past the end', async () => {
    const { base } = await downloadService();
    const part = await fetch(`${base}/files/letters.txt`, { headers: { range: 'bytes=2-4' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 2-4/${CONTENT.length}`);
    expect(await part.text()).toBe('cde');
    const beyond = await fetch(`${base}/files/letters.txt`, { headers: { range: 'bytes=99-' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${CONTENT.length}`);
    expect(beyond.headers.get('content-disposition')).toBeNull();
    expect(((await beyond.json()) as { error: { code: string } }).error.code).toBe(
      'RANGE_NOT_SATISFIABLE',
    );
  });

  it('answers a missing file with a NotFoundError, not as an attachment', async () => {
    const { base } = await downloadService();
    const missing = await fetch(`${base}/files/nothing.txt`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-disposition')).toBeNull();
    expect(((await missing.json()) as { error: unknown }).error).toEqual({
      code: 'NO_SUCH_FILE',
      message: 'Not Found',
    });
  });

  it('opens a generated stream only when a body is sent', async () => {
    const { base, opened } = await downloadService();
    const head = await fetch(`${base}/generated`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-disposition')).toBe('attachment; filename=made.zip');
    expect(opened()).toBe(0);
    const got = await fetch(`${base}/generated`);
    expect(got.headers.get('content-type')).toBe('application/zip');
    expect(await got.text()).toBe('made now');
    expect(opened()).toBe(1);
  });
});

describe('sendDownload of bytes', () => {
  it('sends them with their length, and HEAD without them', async () => {
    const { base } = await downloadService();
    const got = await fetch(`${base}/bytes`);
    expect(got.headers.get('content-length')).toBe('9');
    expect(got.headers.get('content-disposition')).toBe('attachment; filename=memory.bin');
    expect(await got.text()).toBe('in memory');
    const head = await fetch(`${base}/bytes`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe('9');
    expect(await head.text()).toBe('');
  });
});

describe('attachment', () => {
  it('writes token names bare, others quoted with their exact UTF-8 form, never a path', () => {
    expect(attachment('output-1-intersections.csv')).toBe(
      'attachment; filename=output-1-intersections.csv',
    );
    expect(attachment('../../etc/passwd')).toBe('attachment; filename=passwd');
    expect(attachment('Zürich "2024".csv')).toBe(
      `attachment; filename="Z_rich _2024_.csv"; filename*=UTF-8''Z%C3%BCrich%20%222024%22.csv`,
    );
    expect(attachment('a\r\nb.txt')).toBe('attachment; filename=ab.txt');
    expect(attachment('')).toBe('attachment; filename=download');
  });
});
