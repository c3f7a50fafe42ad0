// The HTTP wiring of flux-server: each route answers the document of its use case in
// @geoworks/flux-service (whose behaviour its own tests check) as JSON or a GeoTIFF, and each
// error as plain text with its status. The use cases run here over a second connection to the
// same database, so an answer is compared with what the service gives for the same arguments.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { Polygon } from '@geoworks/flux-service';
import { FluxStore } from '@geoworks/flux-store';
import { writeMat5 } from '@geoworks/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CASA,
  get,
  KRIGED,
  loadFixture,
  makeDatabase,
  useServer,
  withServer,
  XCO2,
} from './helpers.js';

const API = '/flux/api';
const CASA_URL = `${API}/scenarios/casa_gfed_2004`;
const triangle: Polygon = [
  [
    [-100, 30],
    [-80, 30],
    [-100, 45],
    [-100, 30],
  ],
];
const TRIANGLE = 'POLYGON((-100 30, -80 30, -100 45, -100 30))';
const at = (text: string): Date => new Date(text);
const DAY = { start: at('2004-06-30Z'), end: at('2004-07-01Z') };

const app = useServer([CASA, KRIGED, XCO2]);

describe('the routes answer their use case as JSON', () => {
  const cases: [string, string, Record<string, string>, () => unknown][] = [
    ['the scenarios', `${API}/scenarios.json`, {}, () => app.flux.scenarios()],
    [
      '?scenario=X',
      `${API}/scenarios.json`,
      { scenario: 'kriged' },
      () => app.flux.scenario('kriged'),
    ],
    ['a scenario', `${API}/scenarios/kriged.json`, {}, () => app.flux.scenario('kriged')],
    ['the grid', `${CASA_URL}/grid.json`, {}, () => app.flux.grid(CASA.name)],
    [
      'a map',
      `${CASA_URL}/xy.json`,
      { time: '2004-06-30T03:00' },
      () => app.flux.map(CASA.name, at('2004-06-30T03:00Z')),
    ],
    [
      'a verbose map',
      `${CASA_URL}/xy.json`,
      { time: '2004-06-30T03:00', verbose: '' },
      () => app.flux.map(CASA.name, at('2004-06-30T03:00Z'), { verbose: true }),
    ],
    [
      'an aggregate map',
      `${CASA_URL}/xy.json`,
      { start: '2004-06-30', end: '2004-06-30T12:00', aggregate: 'max' },
      () =>
        app.flux.aggregateMap(
          CASA.name,
          { start: DAY.start, end: at('2004-06-30T12:00Z') },
          { aggregate: 'max' },
        ),
    ],
    [
      'a verbose aggregate map',
      `${CASA_URL}/xy.json`,
      { start: '2004-06-30', end: '2004-07-01', aggregate: 'mean', verbose: '1' },
      () => app.flux.aggregateMap(CASA.name, DAY, { aggregate: 'mean', verbose: true }),
    ],
    [
      'point retrievals',
      `${API}/scenarios/xco2/xy.json`,
      { start: '2009-06-16', end: '2009-06-16T23:59:59' },
      () => app.flux.points('xco2', { start: at('2009-06-16Z'), end: at('2009-06-16T23:59:59Z') }),
    ],
    [
      'point retrievals as GeoJSON',
      `${API}/scenarios/xco2/xy.json`,
      { start: '2009-06-15', end: '2009-06-20T23:59:59', verbose: '' },
      () =>
        app.flux.points(
          'xco2',
          { start: at('2009-06-15Z'), end: at('2009-06-20T23:59:59Z') },
          { verbose: true },
        ),
    ],
    [
      'a series over every cell',
      `${CASA_URL}/t.json`,
      { start: '2004-06-30', end: '2004-07-01', aggregate: 'net', interval: 'hourly' },
      () => app.flux.timeSeries(CASA.name, DAY, { aggregate: 'net', interval: 'hourly' }),
    ],
    [
      "a cell's raw series",
      `${CASA_URL}/t.json`,
      { start: '2004-06-30', end: '2004-07-01', coords: 'POINT(-165.5 61.5)' },
      () => app.flux.cellSeries(CASA.name, DAY, { at: [-165.5, 61.5] }),
    ],
    [
      "a cell's daily mean",
      `${CASA_URL}/t.json`,
      {
        start: '2004-06-30',
        end: '2004-07-01',
        coords: 'POINT(-165.2 61.7)',
        aggregate: 'mean',
        interval: 'daily',
      },
      () =>
        app.flux.cellSeries(CASA.name, DAY, {
          at: [-165.2, 61.7],
          aggregate: 'mean',
          interval: 'daily',
        }),
    ],
    [
      'a region',
      `${CASA_URL}/t.json`,
      { start: '2004-06-30', end: '2004-07-01', geom: TRIANGLE, interval: 'daily' },
      () =>
        app.flux.regionSeries(CASA.name, DAY, {
          polygon: triangle,
          geom: TRIANGLE,
          interval: 'daily',
        }),
    ],
  ];
  for (const [label, path, query, expected] of cases) {
    it(`${label}: ${path.slice(API.length)}`, async () => {
      const answer = await get(app.base, path, query);
      expect(answer.status).toBe(200);
      expect(answer.type).toMatch(/^application\/json/);
      expect(answer.body).toEqual(expected());
    });
  }

  it("keeps the original's answers: the scenarios, the first values of a map", async () => {
    const scenarios = await get(app.base, `${API}/scenarios.json`);
    expect(scenarios.body).toEqual([
      { _id: 'casa_gfed_2004', title: 'Surface Carbon Flux', gridded: true },
      { _id: 'kriged', title: '', gridded: true },
      { _id: 'xco2', title: '', gridded: false },
    ]);
    const map = await get<{ timestamp: string; features: number[] }>(
      app.base,
      `${CASA_URL}/xy.json`,
      {
        time: '2004-06-30T00:00:00',
      },
    );
    expect(map.body.timestamp).toBe('2004-06-30T00:00:00.000Z');
    expect(map.body.features.slice(0, 3)).toEqual([0.08, 0.16, 0.11]);
  });

  it('a GeoTIFF map: image/tiff, as an attachment named after the scenario', async () => {
    const url = new URL(`${CASA_URL}/xy.tif?time=2004-06-30T03:00`, app.base);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/tiff');
    // RFC 6266: a name that is a token needs no quotes (clients read both forms alike).
    expect(response.headers.get('content-disposition')).toBe(
      'attachment; filename=casa_gfed_2004.tif',
    );
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const tiff = app.flux.mapGeoTiff(CASA.name, at('2004-06-30T03:00Z'));
    expect(Buffer.from(await response.arrayBuffer())).toEqual(tiff);
    // HEAD: the same headers, its length included, without the body.
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(tiff.length));
    expect(head.headers.get('content-disposition')).toBe('attachment; filename=casa_gfed_2004.tif');
    expect(await head.text()).toBe('');
  });

  it('lists a dataset loaded by another connection while the server runs, without a restart', async () => {
    const path = await makeDatabase([XCO2]);
    await withServer(path, async (live) => {
      const before = await get<{ _id: string }[]>(live.url, `${API}/scenarios.json`);
      expect(before.body.map((scenario) => scenario._id)).toEqual(['xco2']);
      expect((await get(live.url, `${API}/scenarios/kriged_late.json`)).status).toBe(404);
      const loader = FluxStore.open(path);
      try {
        await loadFixture(loader, KRIGED, 'kriged_late');
      } finally {
        loader.close();
      }
      const after = await get(live.url, `${API}/scenarios.json`);
      expect(after.body).toEqual([
        { _id: 'kriged_late', title: '', gridded: true },
        { _id: 'xco2', title: '', gridded: false },
      ]);
      const metadata = await get<{ _id: string; spans: number[] }>(
        live.url,
        `${API}/scenarios/kriged_late.json`,
      );
      expect(metadata.status).toBe(200);
      expect(metadata.body._id).toBe('kriged_late');
      expect(metadata.body.spans).toEqual([518400]);
      const grid = await get<{ coordinates: unknown[] }>(
        live.url,
        `${API}/scenarios/kriged_late/grid.json`,
      );
      expect(grid.body.coordinates).toHaveLength(14210);
    });
  });
});

describe('errors are plain text with the status of their kind', () => {
  const cases: [string, Record<string, string>, number, string][] = [
    [`${API}/scenarios.json`, { scenario: 'nope' }, 404, 'Scenario "nope" not found'],
    [`${API}/scenarios/nope.json`, {}, 404, 'Scenario "nope" not found'],
    [
      `${API}/scenarios/xco2/grid.json`,
      {},
      501,
      'Dataset "xco2" holds point retrievals and has no grid',
    ],
    [`${API}/scenarios/nope/grid.json`, {}, 404, 'No dataset "nope"'],
    [
      `${CASA_URL}/xy.json`,
      { time: '2004-06-30T01:00' },
      404,
      'Dataset "casa_gfed_2004" has no data at 2004-06-30T01:00:00.000Z',
    ],
    [
      `${CASA_URL}/xy.json`,
      { time: '2005-01-01' },
      404,
      'Dataset "casa_gfed_2004" has no data at 2005-01-01T00:00:00.000Z',
    ],
    [
      `${API}/scenarios/kriged/xy.json`,
      { time: '2009-06-21' },
      404,
      'Dataset "kriged" has no data at 2009-06-21T00:00:00.000Z',
    ],
    [`${API}/scenarios/nope/xy.json`, { time: '2004-06-30' }, 404, 'No dataset "nope"'],
    [
      `${CASA_URL}/xy.tif`,
      { time: '2004-07-01' },
      404,
      'Dataset "casa_gfed_2004" has no data at 2004-07-01T00:00:00.000Z',
    ],
    [`${API}/scenarios/nope/xy.tif`, { time: '2004-06-30' }, 404, 'No dataset "nope"'],
    [
      `${API}/scenarios/xco2/xy.tif`,
      { time: '2009-06-15' },
      501,
      'Dataset "xco2" holds point retrievals and has no maps: ask for a time range',
    ],
    [
      `${CASA_URL}/t.json`,
      { start: '2004-06-30', end: '2004-07-01', coords: 'POINT(0 0)' },
      404,
      'Dataset "casa_gfed_2004" has no cell at (0, 0)',
    ],
    [
      `${CASA_URL}/t.json`,
      { start: '2004-06-30', end: '2004-07-01', geom: TRIANGLE, aggregate: 'mean' },
      501,
      'A region series gives every statistic already: drop aggregate',
    ],
    [
      `${API}/scenarios/xco2/t.json`,
      { start: '2009-06-15', end: '2009-06-20', aggregate: 'mean' },
      501,
      'Scenario "xco2" holds point retrievals: time series are for gridded scenarios',
    ],
    [
      `${API}/scenarios/nope/t.json`,
      { start: '2009-06-15', end: '2009-06-20', aggregate: 'mean' },
      404,
      'No dataset "nope"',
    ],
  ];
  for (const [path, query, status, message] of cases) {
    it(`${status} for ${path.slice(API.length)}?${new URLSearchParams(query)}`, async () => {
      const answer = await get(app.base, path, query);
      expect(answer.status).toBe(status);
      expect(answer.type).toMatch(/^text\/plain/);
      expect(answer.text).toBe(message);
    });
  }

  it('404 when the database holds no scenario', async () => {
    const path = await makeDatabase([]);
    await withServer(path, async (empty) => {
      const answer = await get(empty.url, `${API}/scenarios.json`);
      expect(answer.status).toBe(404);
      expect(answer.type).toMatch(/^text\/plain/);
      expect(answer.text).toBe('No scenarios found');
    });
  });

  it('413 for a GeoTIFF map over 50 million pixels', async () => {
    // A 0.01-degree grid of three cells, at three corners of the globe (in one row and one
    // column, as a grid's cells are): the raster would be 36,001 x 18,001 pixels.
    const path = await makeDatabase([]);
    const columns = [
      [-180, 180, -180],
      [-90, -90, 90],
      [1, 2, 3],
    ].map((values) => Float64Array.from(values));
    const matPath = join(dirname(path), 'wide.mat');
    writeMat5(matPath, 'flux', 3, 3, (column) => columns[column]!);
    const loader = FluxStore.open(path);
    try {
      await loader.loadFile('wide', matPath, {
        model: 'SpatioTemporalMatrix',
        overrides: "timestamp=2010-01-01T00:00:00;grid={'units':'degrees','x':0.01,'y':0.01}",
      });
    } finally {
      loader.close();
    }
    await withServer(path, async (wide) => {
      const answer = await get(wide.url, `${API}/scenarios/wide/xy.tif`, { time: '2010-01-01' });
      expect(answer.status).toBe(413);
      expect(answer.type).toMatch(/^text\/plain/);
      expect(answer.text).toBe('The map would be 36001 x 18001 pixels, more than 50000000');
    });
  });

  it('answers an unknown route with 404 plain text', async () => {
    const answer = await get(app.base, `${API}/nope`);
    expect(answer.status).toBe(404);
    expect(answer.type).toMatch(/^text\/plain/);
    expect(answer.text).toBe('No route for GET /flux/api/nope');
  });
});

describe('forward.json', () => {
  let target: HttpServer;
  let hits = 0;

  beforeAll(async () => {
    target = createServer((_req, res) => {
      hits++;
      res.end('forwarded');
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => target.close(resolve));
  });

  it('is 501 and never fetches the URL', async () => {
    const { port } = target.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/secret`;
    const answer = await get(app.base, `${API}/forward.json`, { url });
    expect(answer.status).toBe(501);
    expect(answer.type).toMatch(/^text\/plain/);
    expect(answer.text).toBe(
      'forward.json is not provided: it forwarded requests to any URL (an open proxy)',
    );
    expect(answer.text).not.toContain('forwarded\n');
    // The target counts every request it receives: the service asked it nothing.
    expect(hits).toBe(0);
    // The target does answer when asked directly.
    expect(await (await fetch(url)).text()).toBe('forwarded');
    expect(hits).toBe(1);
  });
});

describe('HTTP', () => {
  it('serves /openapi.json listing the flux paths', async () => {
    const answer = await get<{
      openapi: string;
      info: { title: string };
      paths: Record<string, { get?: unknown }>;
    }>(app.base, '/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toMatch(/^3\./);
    expect(answer.body.info.title).toBe('flux-server');
    const paths = Object.keys(answer.body.paths);
    for (const path of [
      '/flux/api/scenarios.json',
      '/flux/api/scenarios/{s}.json',
      '/flux/api/scenarios/{s}/grid.json',
      '/flux/api/scenarios/{s}/xy.json',
      '/flux/api/scenarios/{s}/xy.tif',
      '/flux/api/scenarios/{s}/t.json',
      '/flux/api/forward.json',
    ]) {
      expect(paths, path).toContain(path);
      expect(answer.body.paths[path]!.get).toBeDefined();
    }
  });

  it('declares what the routes accept: required dates, the aggregates and intervals', async () => {
    interface Parameter {
      name: string;
      required?: boolean;
      schema: Record<string, unknown>;
    }
    const document = await get<{
      paths: Record<string, { get: { parameters: Parameter[] } }>;
    }>(app.base, '/openapi.json');
    const parameters = (path: string) =>
      Object.fromEntries(
        document.body.paths[`${API}${path}`]!.get.parameters.map(
          ({ name, required = false, schema }) => [name, { required, schema }],
        ),
      );
    const series = parameters('/scenarios/{s}/t.json');
    for (const name of ['start', 'end']) {
      expect(series[name], name).toMatchObject({
        required: true,
        schema: { type: 'string', minLength: 1 },
      });
    }
    // An empty value is accepted, as not given.
    expect(series.aggregate).toEqual({
      required: false,
      schema: { type: 'string', enum: ['', 'positive', 'negative', 'net', 'mean', 'min', 'max'] },
    });
    expect(series.interval!.schema.enum).toEqual([
      '',
      'hourly',
      'daily',
      'weekly',
      'monthly',
      'annual',
    ]);
    expect(parameters('/scenarios/{s}/xy.tif').time).toMatchObject({ required: true });
    expect(parameters('/scenarios/{s}/xy.json').time).toMatchObject({ required: false });
  });
});
