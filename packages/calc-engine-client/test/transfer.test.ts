import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AbortedError } from '@geoworks/errors';
import { readNpz } from '@geoworks/npz';
import { describe, expect, it } from 'vitest';
import {
  EngineForbiddenError,
  EngineNotFoundError,
  EngineTimeoutError,
  EngineUpstreamError,
} from '../src/index.js';
import { clientOf, fakeEngine, temporaryDir, until } from './helpers/setup.js';
import { readZip } from './helpers/zip.js';

async function engineWithOutputs(size = 0) {
  const engine = await fakeEngine();
  engine.addJob({ status: 'complete', params: { description: 'Demo', investigation_time: 50 } });
  engine.addOutput(1, {
    displayName: 'Hazard Curves',
    dsKey: 'hcurves',
    sizeMb: 0.01,
    exports: {
      csv: [{ name: 'hazard_curve-mean-PGA_1.csv', content: 'lon,lat,poe\n0,0,0.5\n' }],
      xml: [
        { name: 'hc-PGA.xml', content: '<nrml/>' },
        { name: 'hc-SA.xml', content: '<nrml></nrml>' },
      ],
    },
  });
  if (size > 0) {
    engine.addOutput(1, {
      displayName: 'Ground Motion Fields',
      dsKey: 'gmf_data',
      sizeMb: size / 2 ** 20,
      exports: { csv: [{ name: 'gmf-data_1.csv', content: { size, fill: 0x31 } }] },
    });
  }
  return engine;
}

describe('download', () => {
  it('saves into a directory under the name of Content-Disposition', async () => {
    const engine = await engineWithOutputs();
    const client = clientOf(engine);
    const dir = temporaryDir();
    const saved = await client.download(1, { exportType: 'csv', to: dir });
    expect(saved).toEqual({
      path: join(dir, 'output-1-hazard_curve-mean-PGA_1.csv'),
      filename: 'output-1-hazard_curve-mean-PGA_1.csv',
      bytes: 20,
      contentType: 'application/octet-stream',
    });
    expect(readFileSync(saved.path ?? '', 'utf8')).toBe('lon,lat,poe\n0,0,0.5\n');
    expect(readdirSync(dir)).toEqual(['output-1-hazard_curve-mean-PGA_1.csv']);
  });

  it('saves to a file path, and into a new directory given with a trailing slash', async () => {
    const engine = await engineWithOutputs();
    const client = clientOf(engine);
    const dir = temporaryDir();
    const file = join(dir, 'curves.csv');
    expect((await client.download(1, { exportType: 'csv', to: file })).path).toBe(file);
    expect(readFileSync(file, 'utf8')).toContain('lon,lat,poe');
    const nested = await client.download(1, { exportType: 'csv', to: `${dir}/new/` });
    expect(nested.path).toBe(join(dir, 'new', 'output-1-hazard_curve-mean-PGA_1.csv'));
  });

  it('gets several files as one zip', async () => {
    const engine = await engineWithOutputs();
    const client = clientOf(engine);
    const saved = await client.download(1, { exportType: 'xml', to: temporaryDir() });
    expect(saved.filename).toBe('output-1-hcurves-xml.zip');
    const entries = readZip(readFileSync(saved.path ?? ''));
    expect([...entries.keys()]).toEqual(['hc-PGA.xml', 'hc-SA.xml']);
  });

  it('writes to a Writable', async () => {
    const engine = await engineWithOutputs();
    const client = clientOf(engine);
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    });
    const saved = await client.download(1, { exportType: 'csv', to: sink });
    expect(saved.path).toBeUndefined();
    expect(Buffer.concat(chunks).toString()).toBe('lon,lat,poe\n0,0,0.5\n');
    expect(sink.writableFinished).toBe(true);
  });

  it('throws 404 Nothing to export, and 404 for an unknown output', async () => {
    const engine = await engineWithOutputs();
    const client = clientOf(engine);
    const dir = temporaryDir();
    const error = await client
      .download(1, { exportType: 'geojson', to: dir })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineNotFoundError);
    expect((error as EngineNotFoundError).serverMessage).toBe(
      'Nothing to export for export_type=geojson, hcurves',
    );
    await expect(client.download(77, { exportType: 'csv', to: dir })).rejects.toBeInstanceOf(
      EngineNotFoundError,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('streams a 50 MB download to disk with flat memory', async () => {
    const size = 50 * 2 ** 20;
    const engine = await engineWithOutputs(size);
    const client = clientOf(engine);
    const dir = temporaryDir();
    // What the server has sent but is not on disk yet is what the client holds in memory;
    // buffering the body would make it reach the whole 50 MB.
    let peakInFlight = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    let peakHeap = heapBefore;
    const sampler = setInterval(() => {
      const onDisk = readdirSync(dir).reduce((sum, name) => {
        try {
          return sum + statSync(join(dir, name)).size;
        } catch {
          return sum; // renamed meanwhile
        }
      }, 0);
      peakInFlight = Math.max(peakInFlight, engine.bytesSent - onDisk);
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }, 2);
    const saved = await client.download(2, { exportType: 'csv', to: dir });
    clearInterval(sampler);
    expect(saved.bytes).toBe(size);
    expect(statSync(saved.path ?? '').size).toBe(size);
    expect(saved.filename).toBe('output-2-gmf-data_1.csv');
    expect(readdirSync(dir)).toEqual(['output-2-gmf-data_1.csv']);
    expect(peakInFlight).toBeLessThan(16 * 2 ** 20);
    expect(peakHeap - heapBefore).toBeLessThan(32 * 2 ** 20);
  });

  it('respects the backpressure of a slow Writable', async () => {
    const size = 32 * 2 ** 20;
    const engine = await engineWithOutputs(size);
    const client = clientOf(engine);
    let written = 0;
    let peakInFlight = 0;
    const slow = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        peakInFlight = Math.max(peakInFlight, engine.bytesSent - written);
        setTimeout(callback, 1);
      },
    });
    const saved = await client.download(2, { exportType: 'csv', to: slow });
    expect(saved.bytes).toBe(size);
    expect(written).toBe(size);
    expect(peakInFlight).toBeLessThan(12 * 2 ** 20);
  });

  it('stops on abort and leaves no partial file', async () => {
    const engine = await engineWithOutputs(200 * 2 ** 20);
    const client = clientOf(engine);
    const dir = temporaryDir();
    const controller = new AbortController();
    const download = client.download(2, {
      exportType: 'csv',
      to: join(dir, 'big.csv'),
      signal: controller.signal,
    });
    await until(() => readdirSync(dir).some((name) => statSync(join(dir, name)).size > 0));
    controller.abort();
    await expect(download).rejects.toBeInstanceOf(AbortedError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('times out when the headers or the body stall', async () => {
    const engine = await engineWithOutputs();
    const client = clientOf(engine, { timeoutMs: 150 });
    const dir = temporaryDir();
    // Headers that come only after the test, and a body that stops: only the timeout ends them.
    engine.faults.push({ path: '/v1/calc/result/1', delayMs: 10_000 });
    const late = await client.download(1, { exportType: 'csv', to: dir }).catch((e) => e);
    expect(late).toBeInstanceOf(EngineTimeoutError);
    engine.faults.push({ path: '/v1/calc/result/1', stallAfterBytes: 1000 });
    const stalled = await client.download(1, { exportType: 'csv', to: dir }).catch((e) => e);
    expect(stalled).toBeInstanceOf(EngineTimeoutError);
    expect((stalled as EngineTimeoutError).timeoutMs).toBe(150);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a missing exportType or target', async () => {
    const engine = await engineWithOutputs();
    const client = clientOf(engine);
    await expect(client.download(1, { exportType: '', to: 'x' })).rejects.toThrow(/exportType/);
    await expect(client.download(1, { exportType: 'csv', to: '' })).rejects.toThrow(/`to`/);
    expect(engine.requests).toHaveLength(0);
  });
});

describe('datastore', () => {
  it('streams the result store under its own name', async () => {
    const engine = await engineWithOutputs();
    const client = clientOf(engine);
    const dir = temporaryDir();
    const saved = await client.datastore(1, { to: dir });
    expect(saved.filename).toBe('calc_1.hdf5');
    expect(saved.contentType).toBe('application/x-hdf5');
    const bytes = readFileSync(saved.path ?? '');
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('\x89HDF');
    expect(bytes.length).toBe(4104);
    await expect(client.datastore(9, { to: dir })).rejects.toBeInstanceOf(EngineNotFoundError);
  });
});

describe('extract', () => {
  it('returns the arrays of the .npz', async () => {
    const engine = await engineWithOutputs();
    const client = clientOf(engine);
    const entries = await client.extract(1, 'hcurves', { kind: ['mean', 'rlz-0'], imt: 'PGA' });
    expect(Object.keys(entries).sort()).toEqual(['array', 'investigation_time', 'json']);
    expect(entries.array?.dtype).toBe('<f8');
    expect(entries.array?.shape).toEqual([2, 1, 3]);
    expect([...(entries.array?.data as Float64Array)]).toEqual([0.9, 0.5, 0.1, 0.8, 0.4, 0.05]);
    expect(engine.requests.at(-1)?.url).toBe(
      '/v1/calc/1/extract/hcurves?kind=mean&kind=rlz-0&imt=PGA',
    );
  });

  it('accepts the query inside `what`, as oq plot writes it', async () => {
    const engine = await engineWithOutputs();
    const client = clientOf(engine);
    await client.extract(1, 'hcurves?kind=mean&imt=SA(0.1)');
    expect(engine.requests.at(-1)?.url).toBe(
      '/v1/calc/1/extract/hcurves?kind=mean&imt=SA%280.1%29',
    );
  });

  it('reads the job parameters from the json entry of extract/oqparam', async () => {
    const engine = await engineWithOutputs();
    const client = clientOf(engine);
    expect(await client.extractParams(1)).toEqual({ description: 'Demo', investigation_time: 50 });
  });

  it('saves the .npz as sent with extractFile', async () => {
    const engine = await engineWithOutputs();
    const client = clientOf(engine);
    const file = join(temporaryDir(), 'params.npz');
    const saved = await client.extractFile(1, 'oqparam', { to: file });
    expect(saved.path).toBe(file);
    const entries = await readNpz(readFileSync(file));
    expect(Object.keys(entries)).toEqual(['json']);
  });

  it('maps the errors: 404 unknown job, 500 text for an unknown object', async () => {
    const engine = await engineWithOutputs();
    const client = clientOf(engine);
    await expect(client.extract(9, 'hcurves')).rejects.toBeInstanceOf(EngineNotFoundError);
    const error = await client.extract(1, 'nothing_like_this').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUpstreamError);
    expect((error as EngineUpstreamError).status).toBe(500);
    expect((error as EngineUpstreamError).serverMessage).toMatch(
      /^KeyError: 'nothing_like_this' in \/v1\/calc\/1\/extract\/nothing_like_this/,
    );
    await expect(client.extract(1, '../secrets')).rejects.toThrow(/Cannot extract/);
  });

  it('reports a body that is not an npz as an upstream error', async () => {
    const engine = await engineWithOutputs();
    engine.faults.push({ path: '/v1/calc/1/extract/oqparam', status: 200, body: 'not a zip' });
    const client = clientOf(engine);
    const error = await client.extractParams(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUpstreamError);
    expect((error as Error).message).toMatch(/unreadable \.npz/);
  });

  it('is forbidden for the jobs of others on a locked-down server', async () => {
    const engine = await fakeEngine({
      lockdown: true,
      users: { alice: { password: 'a' }, bob: { password: 'b' } },
    });
    engine.addJob({ status: 'complete', userName: 'alice' });
    const bob = clientOf(engine, { username: 'bob', password: 'b' });
    await expect(bob.extract(1, 'oqparam')).rejects.toBeInstanceOf(EngineForbiddenError);
    const alice = clientOf(engine, { username: 'alice', password: 'a' });
    expect(await alice.extractParams(1)).toEqual({});
  });
});
