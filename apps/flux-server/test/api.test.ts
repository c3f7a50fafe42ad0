import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FluxStore, type MetadataDocument } from '@geoworks/flux-store';
import { fromArrayBuffer } from 'geotiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CASA,
  get,
  KRIGED,
  loadFixture,
  makeDatabase,
  round2,
  startServer,
  XCO2,
  type Server,
} from './helpers.js';

const API = '/flux/api';
const CASA_URL = `${API}/scenarios/casa_gfed_2004`;
const CASA_TIMES = ['00', '03', '06', '09', '12', '15', '18', '21'].map(
  (hour) => `2004-06-30T${hour}:00:00.000Z`,
);
const AGGREGATES = ['positive', 'negative', 'net', 'mean', 'min', 'max'] as const;
type Aggregate = (typeof AGGREGATES)[number];

interface MapBody {
  timestamp: string;
  features: (number | null)[];
  properties: Record<string, unknown>;
}
interface FeatureCollection {
  timestamp?: string;
  type: string;
  features: { type: string; coordinates: [number, number]; properties: { v: number } }[];
  properties?: Record<string, unknown>;
}
interface SeriesBody {
  series: (number | null)[];
  seriesT: string[];
  properties: Record<string, unknown>;
}
interface RegionBody {
  seriesMean: (number | null)[];
  seriesMin: (number | null)[];
  seriesMax: (number | null)[];
  seriesSTD: (number | null)[];
  seriesN: number[];
  seriesT: string[];
  properties: {
    start: string;
    end: string;
    geom: string;
    interval: string | null;
    allMean: number | null;
    allMax: number | null;
    allMin: number | null;
    allSTD: number | null;
    allN: number;
  };
}
interface PointFeature {
  timestamp: string;
  coordinates: [number, number];
  properties: { value: number | null; error: number | null };
}

/** Integer hundredths: the casa maps hold values of precision 2, so sums of codes are exact. */
const code = (value: number): number => Math.round(value * 100);

/** The aggregate of some values (none: NaN), in exact hundredths where it is a sum. */
function aggregateOf(values: number[], aggregate: Aggregate): number {
  if (values.length === 0) return NaN;
  const codes = values.map(code);
  switch (aggregate) {
    case 'positive':
      return codes.filter((c) => c > 0).reduce((sum, c) => sum + c, 0) / 100;
    case 'negative':
      return codes.filter((c) => c < 0).reduce((sum, c) => sum + c, 0) / 100;
    case 'net':
      return codes.reduce((sum, c) => sum + c, 0) / 100;
    case 'mean':
      return codes.reduce((sum, c) => sum + c, 0) / codes.length / 100;
    case 'min':
      return Math.min(...codes) / 100;
    case 'max':
      return Math.max(...codes) / 100;
  }
}

/** A number written with two decimals is within half a hundredth of the true value (null: none). */
function expectRoundedTo(actual: number | null | undefined, exact: number): void {
  if (!Number.isFinite(exact)) {
    expect(actual).toBeNull();
    return;
  }
  expect(typeof actual).toBe('number');
  expect(Math.abs(actual! - exact)).toBeLessThanOrEqual(0.005 + 1e-9);
  expect(Math.round(actual! * 100)).toBeCloseTo(actual! * 100, 9);
}

/** Population statistics of values. */
function statsOf(values: number[]): {
  mean: number;
  min: number;
  max: number;
  std: number;
  n: number;
} {
  const n = values.length;
  if (n === 0) return { mean: NaN, min: NaN, max: NaN, std: NaN, n: 0 };
  const mean = values.reduce((sum, value) => sum + value, 0) / n;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / n;
  return { mean, min: Math.min(...values), max: Math.max(...values), std: Math.sqrt(variance), n };
}

/** Even-odd point in polygon over all rings (cells are never on an edge in these tests). */
function inside(x: number, y: number, rings: [number, number][][]): boolean {
  let crossings = 0;
  for (const ring of rings) {
    for (let i = 0; i < ring.length - 1; i++) {
      const [x1, y1] = ring[i]!;
      const [x2, y2] = ring[i + 1]!;
      if (y1 > y !== y2 > y && x < x1 + ((y - y1) * (x2 - x1)) / (y2 - y1)) crossings++;
    }
  }
  return crossings % 2 === 1;
}

const wkt = (rings: [number, number][][]): string =>
  `POLYGON(${rings.map((ring) => `(${ring.map(([x, y]) => `${x} ${y}`).join(', ')})`).join(', ')})`;

let dbPath: string;
let server: Server;
let base: string;
/** The casa cells and its eight maps, read back through xy.json?time=. */
let coordinates: [number, number][];
let maps: number[][];

beforeAll(async () => {
  dbPath = await makeDatabase([CASA, KRIGED, XCO2]);
  server = await startServer(dbPath);
  base = server.url;
  coordinates = (await get<{ coordinates: [number, number][] }>(base, `${CASA_URL}/grid.json`)).body
    .coordinates;
  maps = [];
  for (const time of CASA_TIMES) {
    const answer = await get<MapBody>(base, `${CASA_URL}/xy.json`, { time });
    expect(answer.status).toBe(200);
    expect(answer.body.features.every((value) => typeof value === 'number')).toBe(true);
    maps.push(answer.body.features as number[]);
  }
});

afterAll(async () => {
  await server?.stop();
});

/** The values of cell `cell` at the casa steps with index in `steps`. */
const cellValues = (cell: number, steps: number[]): number[] =>
  steps.map((step) => maps[step]![cell]!);
const ALL_STEPS = [0, 1, 2, 3, 4, 5, 6, 7];

describe('scenarios.json', () => {
  it('lists the scenarios sorted by _id as {_id, title, gridded}', async () => {
    const answer = await get(base, `${API}/scenarios.json`);
    expect(answer.status).toBe(200);
    expect(answer.type).toMatch(/^application\/json/);
    expect(answer.body).toEqual([
      { _id: 'casa_gfed_2004', title: 'Surface Carbon Flux', gridded: true },
      { _id: 'kriged', title: '', gridded: true },
      { _id: 'xco2', title: '', gridded: false },
    ]);
  });

  it('?scenario=X gives the same metadata document as scenarios/X.json', async () => {
    const byQuery = await get<Record<string, unknown>>(base, `${API}/scenarios.json`, {
      scenario: 'kriged',
    });
    const byPath = await get<Record<string, unknown>>(base, `${API}/scenarios/kriged.json`);
    expect(byQuery.status).toBe(200);
    expect(byQuery.body._id).toBe('kriged');
    expect(byQuery.body).toEqual(byPath.body);
  });

  it('?scenario=unknown is 404 plain text', async () => {
    const answer = await get(base, `${API}/scenarios.json`, { scenario: 'nope' });
    expect(answer.status).toBe(404);
    expect(answer.type).toMatch(/^text\/plain/);
    expect(answer.text).toBe('Scenario "nope" not found');
  });

  it('is 404 when the database holds no scenario', async () => {
    const empty = await startServer(await makeDatabase([]));
    try {
      const answer = await get(empty.url, `${API}/scenarios.json`);
      expect(answer.status).toBe(404);
      expect(answer.type).toMatch(/^text\/plain/);
      expect(answer.text).toBe('No scenarios found');
    } finally {
      await empty.stop();
    }
  });

  it('lists a dataset loaded by another connection while the server runs, without a restart', async () => {
    const path = await makeDatabase([XCO2]);
    const live = await startServer(path);
    try {
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
    } finally {
      await live.stop();
    }
  });
});

describe('scenarios/:s.json', () => {
  it("gives casa's metadata, with stats matching its maps", async () => {
    const answer = await get<MetadataDocument>(base, `${CASA_URL}.json`);
    expect(answer.status).toBe(200);
    const doc = answer.body;
    expect(doc._id).toBe('casa_gfed_2004');
    expect(doc.title).toBe('Surface Carbon Flux');
    expect(doc.gridded).toBe(true);
    expect(doc.bbox).toEqual([-166.5, 10.5, -50.5, 69.5]);
    expect(doc.bboxmd5).toBe('6f3e33c145010bc74c5ccd3ba772f504');
    expect(doc.dates).toEqual(['2004-06-30T00:00:00', '2004-06-30T21:00:00']);
    expect(doc.steps).toEqual([10800]);
    expect(doc.precision).toBe(2);
    expect(doc.grid).toEqual({ units: 'degrees', x: 1, y: 1 });
    expect(Object.keys(doc.stats)).toEqual(['values']);
    const all = maps.flat();
    expect(all).toHaveLength(2635 * 8);
    const exact = statsOf(all);
    expect(doc.stats.values!.min).toBe(exact.min);
    expect(doc.stats.values!.max).toBe(exact.max);
    expect(doc.stats.values!.mean).toBeCloseTo(exact.mean, 9);
    // Metadata stats follow pandas: the sample standard deviation (ddof=1).
    expect(doc.stats.values!.std).toBeCloseTo(
      exact.std * Math.sqrt(all.length / (all.length - 1)),
      9,
    );
    const sorted = [...all].sort((a, b) => a - b);
    const middle = sorted.length / 2;
    expect(doc.stats.values!.median).toBeCloseTo((sorted[middle - 1]! + sorted[middle]!) / 2, 9);
  });

  it("gives kriged's metadata: one date, a span of six days, stats of values and errors", async () => {
    const doc = (await get<MetadataDocument>(base, `${API}/scenarios/kriged.json`)).body;
    expect(doc._id).toBe('kriged');
    expect(doc.gridded).toBe(true);
    expect(doc.dates).toEqual(['2009-06-15T00:00:00']);
    expect(doc.spans).toEqual([518400]);
    expect(Object.keys(doc.stats).sort()).toEqual(['errors', 'values']);
    expect(doc.stats.values!.min).toBeLessThanOrEqual(doc.stats.values!.mean);
    expect(doc.stats.values!.mean).toBeLessThanOrEqual(doc.stats.values!.max);
  });

  it("gives xco2's metadata, with value stats matching its points", async () => {
    const doc = (await get<MetadataDocument>(base, `${API}/scenarios/xco2.json`)).body;
    expect(doc.gridded).toBe(false);
    expect(doc.dates).toEqual([15, 16, 17, 18, 19, 20].map((day) => `2009-06-${day}T00:00:00`));
    expect(Object.keys(doc.stats).sort()).toEqual(['error', 'value']);
    const points = (
      await get<{ features: PointFeature[] }>(base, `${API}/scenarios/xco2/xy.json`, {
        start: '2009-06-15',
        end: '2009-06-20T23:59:59',
      })
    ).body.features;
    const values = points
      .map((point) => point.properties.value)
      .filter((value): value is number => value !== null);
    const exact = statsOf(values);
    expect(doc.stats.value!.min).toBe(exact.min);
    expect(doc.stats.value!.max).toBe(exact.max);
    expect(doc.stats.value!.mean).toBeCloseTo(exact.mean, 6);
  });

  it('is 404 plain text for an unknown scenario', async () => {
    const answer = await get(base, `${API}/scenarios/nope.json`);
    expect(answer.status).toBe(404);
    expect(answer.type).toMatch(/^text\/plain/);
    expect(answer.text).toBe('Scenario "nope" not found');
  });
});

describe('grid.json', () => {
  it('gives the cells as a MultiPoint in map order', async () => {
    const answer = await get<{ type: string; _id: string; coordinates: [number, number][] }>(
      base,
      `${CASA_URL}/grid.json`,
    );
    expect(answer.status).toBe(200);
    expect(answer.body.type).toBe('MultiPoint');
    expect(answer.body._id).toBe('casa_gfed_2004');
    expect(answer.body.coordinates).toHaveLength(2635);
    expect(answer.body.coordinates[1]).toEqual([-165.5, 61.5]);
    const xs = answer.body.coordinates.map(([x]) => x);
    const ys = answer.body.coordinates.map(([, y]) => y);
    expect([Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]).toEqual([
      -166.5, 10.5, -50.5, 69.5,
    ]);
    expect(new Set(answer.body.coordinates.map((c) => c.join())).size).toBe(2635);
  });

  it('gives the 14210 kriged cells', async () => {
    const answer = await get<{ coordinates: [number, number][] }>(
      base,
      `${API}/scenarios/kriged/grid.json`,
    );
    expect(answer.body.coordinates).toHaveLength(14210);
  });

  it('is 501 for the points dataset and 404 for an unknown one', async () => {
    const points = await get(base, `${API}/scenarios/xco2/grid.json`);
    expect(points.status).toBe(501);
    expect(points.type).toMatch(/^text\/plain/);
    expect(points.text).toBe('Dataset "xco2" holds point retrievals and has no grid');
    const unknown = await get(base, `${API}/scenarios/nope/grid.json`);
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe('No dataset "nope"');
  });
});

describe('xy.json: maps', () => {
  it('gives the map at a time in coord_index order', async () => {
    const answer = await get<MapBody>(base, `${CASA_URL}/xy.json`, { time: '2004-06-30T00:00:00' });
    expect(answer.status).toBe(200);
    expect(answer.body.timestamp).toBe('2004-06-30T00:00:00.000Z');
    expect(answer.body.properties).toEqual({ source: 'casa_gfed_2004' });
    expect(answer.body.features).toHaveLength(2635);
    expect(answer.body.features.slice(0, 3)).toEqual([0.08, 0.16, 0.11]);
  });

  it('matches the values the store holds', async () => {
    const store = FluxStore.open(dbPath);
    try {
      for (const [index, time] of CASA_TIMES.entries()) {
        const { values } = store.map('casa_gfed_2004', new Date(time));
        expect(maps[index]).toEqual(Array.from(values, round2));
      }
    } finally {
      store.close();
    }
    // The steps differ: each map is its own.
    expect(maps[0]).not.toEqual(maps[7]);
  });

  it('accepts a time with or without seconds, with Z or an offset', async () => {
    for (const time of [
      '2004-06-30T03:00',
      '2004-06-30T03:00:00',
      '2004-06-30T03:00:00Z',
      '2004-06-30T05:00:00+02:00',
      '2004-06-29T22:00-05:00',
      // The widest offsets in use, either way.
      '2004-06-30T17:00+14:00',
      '2004-06-29T13:00-14:00',
    ]) {
      const answer = await get<MapBody>(base, `${CASA_URL}/xy.json`, { time });
      expect(answer.status, time).toBe(200);
      expect(answer.body.timestamp).toBe('2004-06-30T03:00:00.000Z');
      expect(answer.body.features).toEqual(maps[1]);
    }
    const day = await get<MapBody>(base, `${CASA_URL}/xy.json`, { time: '2004-06-30' });
    expect(day.body.timestamp).toBe('2004-06-30T00:00:00.000Z');
    expect(day.body.features).toEqual(maps[0]);
  });

  it('gives the map whose span holds the time (kriged: six days)', async () => {
    const atStep = await get<MapBody>(base, `${API}/scenarios/kriged/xy.json`, {
      time: '2009-06-15',
    });
    const inSpan = await get<MapBody>(base, `${API}/scenarios/kriged/xy.json`, {
      time: '2009-06-17T12:00',
    });
    expect(atStep.status).toBe(200);
    expect(atStep.body.features).toHaveLength(14210);
    expect(inSpan.body.timestamp).toBe('2009-06-15T00:00:00.000Z');
    expect(inSpan.body.features).toEqual(atStep.body.features);
    const after = await get(base, `${API}/scenarios/kriged/xy.json`, { time: '2009-06-21' });
    expect(after.status).toBe(404);
  });

  it('verbose gives a FeatureCollection that keeps zero values', async () => {
    const answer = await get<FeatureCollection>(base, `${CASA_URL}/xy.json`, {
      time: '2004-06-30T00:00',
      verbose: '',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.timestamp).toBe('2004-06-30T00:00:00.000Z');
    expect(answer.body.type).toBe('FeatureCollection');
    const zeros = maps[0]!.filter((value) => value === 0).length;
    expect(zeros).toBeGreaterThan(0);
    expect(answer.body.features).toHaveLength(maps[0]!.length);
    expect(answer.body.features.filter((feature) => feature.properties.v === 0)).toHaveLength(
      zeros,
    );
    expect(answer.body.features[1]).toEqual({
      type: 'Point',
      coordinates: [-165.5, 61.5],
      properties: { v: 0.16 },
    });
    answer.body.features.forEach((feature, cell) => {
      expect(feature.coordinates).toEqual(coordinates[cell]);
      expect(feature.properties.v).toBe(maps[0]![cell]);
    });
  });

  it('verbose=false gives the bare values', async () => {
    const answer = await get<MapBody>(base, `${CASA_URL}/xy.json`, {
      time: '2004-06-30T00:00',
      verbose: 'false',
    });
    expect(answer.body.features).toEqual(maps[0]);
  });

  it('is 404 for a time without a map and for an unknown scenario', async () => {
    const between = await get(base, `${CASA_URL}/xy.json`, { time: '2004-06-30T01:00' });
    expect(between.status).toBe(404);
    expect(between.type).toMatch(/^text\/plain/);
    expect(between.text).toBe('Dataset "casa_gfed_2004" has no data at 2004-06-30T01:00:00.000Z');
    expect((await get(base, `${CASA_URL}/xy.json`, { time: '2005-01-01' })).status).toBe(404);
    const unknown = await get(base, `${API}/scenarios/nope/xy.json`, { time: '2004-06-30' });
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe('No dataset "nope"');
  });

  it('is 400 for dates that are not ISO 8601 or do not exist', async () => {
    for (const time of [
      '2004-02-31',
      'yesterday',
      '2004-06-30T24:00',
      '2004-13-01',
      '30/06/2004',
      // Offsets no zone has: past ±14:00, or minutes past 59.
      '2004-06-30T03:00+99:99',
      '2004-06-30T03:00+14:01',
      '2004-06-30T03:00-15:00',
      '2004-06-30T03:00+05:60',
      '2004-06-30T03:00:00-0099',
    ]) {
      const answer = await get(base, `${CASA_URL}/xy.json`, { time });
      expect(answer.status, time).toBe(400);
      expect(answer.type).toMatch(/^text\/plain/);
      expect(answer.text).toBe(
        `time must be an ISO 8601 date such as 2004-06-30T03:00:00, not "${time}"`,
      );
    }
  });

  // Date.UTC maps years 0-99 to 1900-1999; dates are built without it.
  it('keeps years before 100 as written (start=0099-01-01 is not 1999-01-01)', async () => {
    const answer = await get<MapBody>(base, `${CASA_URL}/xy.json`, {
      start: '0099-01-01',
      end: '2004-06-30T03:00',
      aggregate: 'net',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.properties.start).toBe('0099-01-01T00:00:00.000Z');
  });

  it('is 400 without time or start/end, or with time given twice', async () => {
    const none = await get(base, `${CASA_URL}/xy.json`);
    expect(none.status).toBe(400);
    expect(none.text).toBe('Give time, or start, end and aggregate');
    const twice = await get(base, `${CASA_URL}/xy.json?time=2004-06-30&time=2004-06-30T03:00`);
    expect(twice.status).toBe(400);
    expect(twice.text).toBe('Query parameter "time" is given 2 times: give it once');
  });
});

describe('xy.json: aggregate maps over [start, end)', () => {
  // 00:00 to 12:00 holds the steps at 00, 03, 06 and 09 (12:00 is excluded).
  const query = { start: '2004-06-30T00:00', end: '2004-06-30T12:00' };
  const steps = [0, 1, 2, 3];

  for (const aggregate of AGGREGATES) {
    it(`aggregate=${aggregate} matches the per-cell ${aggregate} of the maps`, async () => {
      const answer = await get<MapBody>(base, `${CASA_URL}/xy.json`, { ...query, aggregate });
      expect(answer.status).toBe(200);
      expect(answer.body.timestamp).toBe('2004-06-30T00:00:00.000Z');
      expect(answer.body.properties).toEqual({
        start: '2004-06-30T00:00:00.000Z',
        end: '2004-06-30T12:00:00.000Z',
        aggregate,
      });
      expect(answer.body.features).toHaveLength(2635);
      answer.body.features.forEach((value, cell) => {
        const exact = aggregateOf(cellValues(cell, steps), aggregate);
        if (aggregate === 'mean') expectRoundedTo(value, exact);
        else expect(value).toBe(round2(exact));
      });
    });
  }

  it('sums over all eight steps when end is after the last step', async () => {
    const answer = await get<MapBody>(base, `${CASA_URL}/xy.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      aggregate: 'net',
    });
    answer.body.features.forEach((value, cell) =>
      expect(value).toBe(round2(aggregateOf(cellValues(cell, ALL_STEPS), 'net'))),
    );
  });

  it('gives null for every cell when no step is in the range', async () => {
    const answer = await get<MapBody>(base, `${CASA_URL}/xy.json`, {
      start: '2004-06-30T01:00',
      end: '2004-06-30T02:00',
      aggregate: 'max',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.features).toHaveLength(2635);
    expect(answer.body.features.every((value) => value === null)).toBe(true);
  });

  it('verbose gives the aggregate as a FeatureCollection', async () => {
    const answer = await get<FeatureCollection>(base, `${CASA_URL}/xy.json`, {
      ...query,
      aggregate: 'max',
      verbose: '1',
    });
    expect(answer.body.type).toBe('FeatureCollection');
    expect(answer.body.properties).toMatchObject({ aggregate: 'max' });
    expect(answer.body.features).toHaveLength(2635);
    expect(answer.body.features[1]!.coordinates).toEqual([-165.5, 61.5]);
    expect(answer.body.features[1]!.properties.v).toBe(
      round2(aggregateOf(cellValues(1, steps), 'max')),
    );
  });

  it('is 400 without aggregate, with a bad aggregate, without end, with start after end or a bad date', async () => {
    const missing = await get(base, `${CASA_URL}/xy.json`, query);
    expect(missing.status).toBe(400);
    expect(missing.text).toBe(
      'aggregate is required with start and end (one of positive, negative, net, mean, min, max)',
    );
    const bad = await get(base, `${CASA_URL}/xy.json`, { ...query, aggregate: 'sum' });
    expect(bad.status).toBe(400);
    expect(bad.text).toBe(
      'aggregate must be one of positive, negative, net, mean, min, max, not "sum"',
    );
    const noEnd = await get(base, `${CASA_URL}/xy.json`, { start: '2004-06-30', aggregate: 'net' });
    expect(noEnd.status).toBe(400);
    expect(noEnd.text).toBe('end is required with aggregate');
    const reversed = await get(base, `${CASA_URL}/xy.json`, {
      start: '2004-07-01',
      end: '2004-06-30',
      aggregate: 'net',
    });
    expect(reversed.status).toBe(400);
    expect(reversed.text).toBe(
      'start (2004-07-01T00:00:00.000Z) is after end (2004-06-30T00:00:00.000Z)',
    );
    const badDate = await get(base, `${CASA_URL}/xy.json`, {
      start: '2004-02-31',
      end: '2004-07-01',
      aggregate: 'net',
    });
    expect(badDate.status).toBe(400);
    expect(badDate.text).toBe(
      'start must be an ISO 8601 date such as 2004-06-30T03:00:00, not "2004-02-31"',
    );
  });
});

describe('xy.json: point retrievals', () => {
  let all: PointFeature[];

  beforeAll(async () => {
    const answer = await get<{ features: PointFeature[]; properties: unknown }>(
      base,
      `${API}/scenarios/xco2/xy.json`,
      {
        start: '2009-06-15',
        end: '2009-06-20T23:59:59',
      },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.properties).toEqual({ source: 'xco2' });
    all = answer.body.features;
  });

  it('gives every point in time order, dated 2009-06-15 to 2009-06-20', () => {
    expect(all).toHaveLength(1311);
    expect(all[0]!.timestamp).toBe('2009-06-15T00:00:00.000Z');
    expect(all[0]!.properties.value).toBe(386.79);
    expect(typeof all[0]!.properties.error).toBe('number');
    expect(all[0]!.coordinates).toHaveLength(2);
    const times = all.map((point) => point.timestamp);
    expect([...times].sort()).toEqual(times);
    expect(new Set(times.map((time) => time.slice(0, 10)))).toEqual(
      new Set([15, 16, 17, 18, 19, 20].map((day) => `2009-06-${day}`)),
    );
  });

  it('includes both ends of the range and nothing outside it', async () => {
    const day = await get<{ features: PointFeature[] }>(base, `${API}/scenarios/xco2/xy.json`, {
      start: '2009-06-16',
      end: '2009-06-16T23:59:59',
    });
    const expected = all.filter((point) => point.timestamp.startsWith('2009-06-16'));
    expect(expected.length).toBeGreaterThan(0);
    expect(day.body.features).toEqual(expected);
    const atMidnight = all.filter((point) => point.timestamp === '2009-06-16T00:00:00.000Z');
    expect(atMidnight.length).toBeGreaterThan(0);
    const exact = await get<{ features: PointFeature[] }>(base, `${API}/scenarios/xco2/xy.json`, {
      time: '2009-06-16',
    });
    expect(exact.body.features).toEqual(atMidnight);
    const sameEnds = await get<{ features: PointFeature[] }>(
      base,
      `${API}/scenarios/xco2/xy.json`,
      {
        start: '2009-06-16',
        end: '2009-06-16',
      },
    );
    expect(sameEnds.body.features).toEqual(atMidnight);
    const none = await get<{ features: PointFeature[] }>(base, `${API}/scenarios/xco2/xy.json`, {
      start: '2010-01-01',
      end: '2010-02-01',
    });
    expect(none.status).toBe(200);
    expect(none.body.features).toEqual([]);
  });

  it('verbose gives a GeoJSON FeatureCollection', async () => {
    const answer = await get<{
      type: string;
      features: {
        type: string;
        geometry: { type: string; coordinates: number[] };
        properties: Record<string, unknown>;
      }[];
      properties: unknown;
    }>(base, `${API}/scenarios/xco2/xy.json`, {
      start: '2009-06-15',
      end: '2009-06-20T23:59:59',
      verbose: '',
    });
    expect(answer.body.type).toBe('FeatureCollection');
    expect(answer.body.properties).toEqual({ source: 'xco2' });
    expect(answer.body.features).toHaveLength(1311);
    answer.body.features.forEach((feature, index) => {
      expect(feature).toEqual({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: all[index]!.coordinates },
        properties: { timestamp: all[index]!.timestamp, ...all[index]!.properties },
      });
    });
  });

  it('is 400 without a range or time', async () => {
    const answer = await get(base, `${API}/scenarios/xco2/xy.json`);
    expect(answer.status).toBe(400);
    expect(answer.text).toBe('start is required for point retrievals (or time)');
  });
});

describe('xy.tif', () => {
  it('gives the map as a GeoTIFF: 117 x 60 one-degree pixels, cells at their place, NaN elsewhere', async () => {
    const response = await fetch(new URL(`${CASA_URL}/xy.tif?time=2004-06-30T03:00`, base));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/tiff');
    expect(response.headers.get('content-disposition')).toBe(
      'attachment; filename="casa_gfed_2004.tif"',
    );
    const tiff = await fromArrayBuffer(await response.arrayBuffer());
    const image = await tiff.getImage();
    expect(image.getWidth()).toBe(117);
    expect(image.getHeight()).toBe(60);
    expect(image.getOrigin().slice(0, 2)).toEqual([-167, 70]);
    expect(image.getResolution().slice(0, 2)).toEqual([1, -1]);
    expect(image.getGDALNoData()).toBeNaN();
    const [band] = (await image.readRasters()) as unknown as Float32Array[];
    const pixel = (x: number, y: number): number => band![(69.5 - y) * 117 + (x + 166.5)]!;
    let cellsSeen = 0;
    coordinates.forEach(([x, y], cell) => {
      expect(pixel(x, y)).toBe(Math.fround(maps[1]![cell]!));
      cellsSeen++;
    });
    expect(cellsSeen).toBe(2635);
    expect(pixel(-165.5, 61.5)).toBe(Math.fround(0.14));
    const filled = band!.filter((value) => !Number.isNaN(value)).length;
    expect(filled).toBe(2635);
  });

  it('is 400 without time, 404 for an unknown time or scenario, 501 for points', async () => {
    const noTime = await get(base, `${CASA_URL}/xy.tif`);
    expect(noTime.status).toBe(400);
    expect(noTime.type).toMatch(/^text\/plain/);
    expect(noTime.text).toBe('time is required for a GeoTIFF map');
    const unknownTime = await get(base, `${CASA_URL}/xy.tif`, { time: '2004-07-01' });
    expect(unknownTime.status).toBe(404);
    expect(unknownTime.text).toBe(
      'Dataset "casa_gfed_2004" has no data at 2004-07-01T00:00:00.000Z',
    );
    expect((await get(base, `${API}/scenarios/nope/xy.tif`, { time: '2004-06-30' })).status).toBe(
      404,
    );
    expect((await get(base, `${API}/scenarios/xco2/xy.tif`, { time: '2009-06-15' })).status).toBe(
      501,
    );
  });
});

describe('t.json: series over all cells', () => {
  for (const aggregate of AGGREGATES) {
    it(`aggregate=${aggregate} gives one value per step over [start, end] inclusive`, async () => {
      const answer = await get<SeriesBody>(base, `${CASA_URL}/t.json`, {
        start: '2004-06-30T03:00',
        end: '2004-06-30T09:00',
        aggregate,
      });
      expect(answer.status).toBe(200);
      expect(answer.body.seriesT).toEqual(CASA_TIMES.slice(1, 4));
      expect(answer.body.properties).toEqual({
        aggregate,
        interval: null,
        start: '2004-06-30T03:00:00.000Z',
        end: '2004-06-30T09:00:00.000Z',
      });
      answer.body.series.forEach((value, index) => {
        const exact = aggregateOf(maps[index + 1]!, aggregate);
        if (aggregate === 'mean') expectRoundedTo(value, exact);
        else expect(value).toBe(round2(exact));
      });
    });
  }

  it('interval=daily gives one bucket with the true mean of the eight steps', async () => {
    const answer = await get<SeriesBody>(base, `${CASA_URL}/t.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      aggregate: 'mean',
      interval: 'daily',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.seriesT).toEqual(['2004-06-30T00:00:00.000Z']);
    expect(answer.body.properties.interval).toBe('daily');
    expectRoundedTo(answer.body.series[0], aggregateOf(maps.flat(), 'mean'));
  });

  it('interval=hourly keeps each step; weekly, monthly and annual give one bucket at their start', async () => {
    const hourly = await get<SeriesBody>(base, `${CASA_URL}/t.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      aggregate: 'net',
      interval: 'hourly',
    });
    expect(hourly.body.seriesT).toEqual(CASA_TIMES);
    expect(hourly.body.series).toEqual(maps.map((map) => round2(aggregateOf(map, 'net'))));
    const buckets = {
      weekly: '2004-06-28T00:00:00.000Z',
      monthly: '2004-06-01T00:00:00.000Z',
      annual: '2004-01-01T00:00:00.000Z',
    };
    for (const [interval, start] of Object.entries(buckets)) {
      for (const aggregate of ['positive', 'min'] as const) {
        const answer = await get<SeriesBody>(base, `${CASA_URL}/t.json`, {
          start: '2004-01-01',
          end: '2004-12-31',
          aggregate,
          interval,
        });
        expect(answer.status, interval).toBe(200);
        expect(answer.body.seriesT).toEqual([start]);
        expect(answer.body.series).toEqual([round2(aggregateOf(maps.flat(), aggregate))]);
      }
    }
  });

  it('gives an empty series when no step is in the range', async () => {
    const answer = await get<SeriesBody>(base, `${CASA_URL}/t.json`, {
      start: '2005-01-01',
      end: '2005-02-01',
      aggregate: 'net',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.series).toEqual([]);
    expect(answer.body.seriesT).toEqual([]);
  });
});

describe('t.json: one cell', () => {
  it('coords only gives the raw series at the cell, equal to the maps', async () => {
    const answer = await get<SeriesBody>(base, `${CASA_URL}/t.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      coords: 'POINT(-165.5 61.5)',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.series).toEqual(cellValues(1, ALL_STEPS));
    expect(answer.body.seriesT).toEqual(CASA_TIMES);
    expect(answer.body.properties).toEqual({
      start: '2004-06-30T00:00:00.000Z',
      end: '2004-07-01T00:00:00.000Z',
      coords: [-165.5, 61.5],
    });
  });

  it('finds the cell whose extent holds a point off its centre', async () => {
    const cell = 1234;
    const [x, y] = coordinates[cell]!;
    const answer = await get<SeriesBody>(base, `${CASA_URL}/t.json`, {
      start: '2004-06-30T06:00',
      end: '2004-06-30T15:00',
      coords: `POINT(${x + 0.3} ${y - 0.2})`,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.series).toEqual(cellValues(cell, [2, 3, 4, 5]));
    expect(answer.body.seriesT).toEqual(CASA_TIMES.slice(2, 6));
  });

  it('coords + aggregate without interval gives the raw series', async () => {
    const answer = await get<SeriesBody>(base, `${CASA_URL}/t.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      coords: 'POINT(-165.5 61.5)',
      aggregate: 'max',
    });
    expect(answer.body.series).toEqual(cellValues(1, ALL_STEPS));
    expect(answer.body.properties).toMatchObject({ aggregate: 'max', interval: null });
  });

  it('coords + aggregate + daily gives the true aggregate of the cell (not the original (memo+v)/2)', async () => {
    // The cell whose eight values vary most: a running (memo+v)/2 is far from its mean.
    let cell = 0;
    let widest = -1;
    coordinates.forEach((_, index) => {
      const values = cellValues(index, ALL_STEPS);
      const spread = Math.max(...values) - Math.min(...values);
      if (spread > widest) [cell, widest] = [index, spread];
    });
    const values = cellValues(cell, ALL_STEPS);
    const halving = values.slice(1).reduce((memo, value) => (memo + value) / 2, values[0]!);
    expect(Math.abs(halving - aggregateOf(values, 'mean'))).toBeGreaterThan(0.05);
    const [x, y] = coordinates[cell]!;
    for (const aggregate of AGGREGATES) {
      const answer = await get<SeriesBody>(base, `${CASA_URL}/t.json`, {
        start: '2004-06-30',
        end: '2004-07-01',
        coords: `POINT(${x} ${y})`,
        aggregate,
        interval: 'daily',
      });
      expect(answer.status, aggregate).toBe(200);
      expect(answer.body.seriesT).toEqual(['2004-06-30T00:00:00.000Z']);
      expect(answer.body.properties).toEqual({
        start: '2004-06-30T00:00:00.000Z',
        end: '2004-07-01T00:00:00.000Z',
        coords: [x, y],
        aggregate,
        interval: 'daily',
      });
      const exact = aggregateOf(values, aggregate);
      if (aggregate === 'mean') expectRoundedTo(answer.body.series[0], exact);
      else expect(answer.body.series).toEqual([round2(exact)]);
    }
  });

  it('coords + hourly keeps every step, including the last; annual gives one bucket', async () => {
    const hourly = await get<SeriesBody>(base, `${CASA_URL}/t.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      coords: 'POINT(-165.5 61.5)',
      aggregate: 'mean',
      interval: 'hourly',
    });
    expect(hourly.status).toBe(200);
    expect(hourly.body.seriesT).toEqual(CASA_TIMES);
    expect(hourly.body.series).toEqual(cellValues(1, ALL_STEPS));
    const annual = await get<SeriesBody>(base, `${CASA_URL}/t.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      coords: 'POINT(-165.5 61.5)',
      aggregate: 'positive',
      interval: 'annual',
    });
    expect(annual.status).toBe(200);
    expect(annual.body.seriesT).toEqual(['2004-01-01T00:00:00.000Z']);
    expect(annual.body.series).toEqual([round2(aggregateOf(cellValues(1, ALL_STEPS), 'positive'))]);
  });

  it('is 404 for coords outside the grid, 400 for bad WKT or interval without aggregate', async () => {
    const outside = await get(base, `${CASA_URL}/t.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      coords: 'POINT(0 0)',
    });
    expect(outside.status).toBe(404);
    expect(outside.type).toMatch(/^text\/plain/);
    expect(outside.text).toBe('Dataset "casa_gfed_2004" has no cell at (0, 0)');
    for (const coords of [
      'POINT(1)',
      'POINT(a b)',
      '-165.5 61.5',
      'POLYGON((0 0, 1 0, 1 1, 0 0))',
    ]) {
      const bad = await get(base, `${CASA_URL}/t.json`, {
        start: '2004-06-30',
        end: '2004-07-01',
        coords,
      });
      expect(bad.status, coords).toBe(400);
    }
    const noAggregate = await get(base, `${CASA_URL}/t.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      coords: 'POINT(-165.5 61.5)',
      interval: 'daily',
    });
    expect(noAggregate.status).toBe(400);
    expect(noAggregate.text).toBe(
      'interval needs aggregate (one of positive, negative, net, mean, min, max)',
    );
  });
});

describe('t.json: region of interest', () => {
  const rectangleWithHole: [number, number][][] = [
    [
      [-100, 30],
      [-90, 30],
      [-90, 40],
      [-100, 40],
      [-100, 30],
    ],
    [
      [-97, 33],
      [-93, 33],
      [-93, 37],
      [-97, 37],
      [-97, 33],
    ],
  ];
  // No cell centre (x.5, y.5) lies on the slanted edge.
  const triangle: [number, number][][] = [
    [
      [-100, 30],
      [-80, 30],
      [-100, 45],
      [-100, 30],
    ],
  ];

  for (const [label, rings] of [
    ['a triangle', triangle],
    ['a rectangle with a hole', rectangleWithHole],
  ] as const) {
    it(`gives per-step statistics over the cells inside ${label}`, async () => {
      const cells = coordinates.flatMap(([x, y], cell) =>
        inside(x, y, rings as [number, number][][]) ? [cell] : [],
      );
      expect(cells.length).toBeGreaterThan(10);
      const geom = wkt(rings as [number, number][][]);
      const answer = await get<RegionBody>(base, `${CASA_URL}/t.json`, {
        start: '2004-06-30',
        end: '2004-07-01',
        geom,
      });
      expect(answer.status).toBe(200);
      const body = answer.body;
      expect(body.seriesT).toEqual(CASA_TIMES);
      expect(body.seriesN).toEqual(ALL_STEPS.map(() => cells.length));
      ALL_STEPS.forEach((step) => {
        const stats = statsOf(cells.map((cell) => maps[step]![cell]!));
        expectRoundedTo(body.seriesMean[step], stats.mean);
        expect(body.seriesMin[step]).toBe(stats.min);
        expect(body.seriesMax[step]).toBe(stats.max);
        expectRoundedTo(body.seriesSTD[step], stats.std);
      });
      const all = statsOf(ALL_STEPS.flatMap((step) => cells.map((cell) => maps[step]![cell]!)));
      expect(body.properties).toMatchObject({
        start: '2004-06-30T00:00:00.000Z',
        end: '2004-07-01T00:00:00.000Z',
        geom,
        interval: null,
        allN: cells.length * 8,
        allMin: all.min,
        allMax: all.max,
      });
      expectRoundedTo(body.properties.allMean, all.mean);
      expectRoundedTo(body.properties.allSTD, all.std);
    });
  }

  it('interval=daily gives one bucket over all cells and steps', async () => {
    const cells = coordinates.flatMap(([x, y], cell) => (inside(x, y, triangle) ? [cell] : []));
    const all = statsOf(ALL_STEPS.flatMap((step) => cells.map((cell) => maps[step]![cell]!)));
    const answer = await get<RegionBody>(base, `${CASA_URL}/t.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      geom: wkt(triangle),
      interval: 'daily',
    });
    expect(answer.body.seriesT).toEqual(['2004-06-30T00:00:00.000Z']);
    expect(answer.body.seriesN).toEqual([cells.length * 8]);
    expect(answer.body.properties.interval).toBe('daily');
    expectRoundedTo(answer.body.seriesMean[0], all.mean);
    expectRoundedTo(answer.body.seriesSTD[0], all.std);
    expect(answer.body.seriesMin).toEqual([all.min]);
    expect(answer.body.seriesMax).toEqual([all.max]);
    expect(answer.body.properties.allN).toBe(cells.length * 8);
  });

  it('a region without cells gives counts of zero and null statistics', async () => {
    const answer = await get<RegionBody>(base, `${CASA_URL}/t.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      geom: 'POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.seriesN).toEqual(ALL_STEPS.map(() => 0));
    expect(answer.body.seriesMean).toEqual(ALL_STEPS.map(() => null));
    expect(answer.body.properties.allN).toBe(0);
    expect(answer.body.properties.allMean).toBeNull();
  });

  it('is 400 for bad WKT or coords with geom, 501 with aggregate', async () => {
    for (const geom of [
      'POLYGON((0 0, 1 1))',
      'POLYGON(0 0, 1 0, 1 1, 0 0)',
      'POINT(0 0)',
      'POLYGON((0 0, 1 0, x 1, 0 0))',
    ]) {
      const bad = await get(base, `${CASA_URL}/t.json`, {
        start: '2004-06-30',
        end: '2004-07-01',
        geom,
      });
      expect(bad.status, geom).toBe(400);
      expect(bad.type).toMatch(/^text\/plain/);
    }
    const both = await get(base, `${CASA_URL}/t.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      geom: wkt(triangle),
      coords: 'POINT(-95.5 35.5)',
    });
    expect(both.status).toBe(400);
    expect(both.text).toBe('Give coords or geom, not both');
    const withAggregate = await get(base, `${CASA_URL}/t.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      geom: wkt(triangle),
      aggregate: 'mean',
    });
    expect(withAggregate.status).toBe(501);
  });
});

describe('t.json: errors', () => {
  it('is 400 without start or end, with start after end, a bad date, aggregate or interval', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ end: '2004-07-01', aggregate: 'net' }, 'start is required for a time series'],
      [{ start: '2004-06-30', aggregate: 'net' }, 'end is required for a time series'],
      [
        { start: '2004-07-01', end: '2004-06-30', aggregate: 'net' },
        'start (2004-07-01T00:00:00.000Z) is after end (2004-06-30T00:00:00.000Z)',
      ],
      [
        { start: 'yesterday', end: '2004-07-01', aggregate: 'net' },
        'start must be an ISO 8601 date such as 2004-06-30T03:00:00, not "yesterday"',
      ],
      [
        { start: '2004-06-30', end: '2004-07-01', aggregate: 'avg' },
        'aggregate must be one of positive, negative, net, mean, min, max, not "avg"',
      ],
      [
        { start: '2004-06-30', end: '2004-07-01', aggregate: 'net', interval: 'fortnightly' },
        'interval must be one of hourly, daily, weekly, monthly, annual, not "fortnightly"',
      ],
      [
        { start: '2004-06-30', end: '2004-07-01' },
        'Give aggregate (with an optional interval), coords or geom',
      ],
    ];
    for (const [query, message] of cases) {
      const answer = await get(base, `${CASA_URL}/t.json`, query);
      expect(answer.status, JSON.stringify(query)).toBe(400);
      expect(answer.type).toMatch(/^text\/plain/);
      expect(answer.text).toBe(message);
    }
  });

  it('is 501 for the points dataset and 404 for an unknown scenario', async () => {
    const points = await get(base, `${API}/scenarios/xco2/t.json`, {
      start: '2009-06-15',
      end: '2009-06-20',
      aggregate: 'mean',
    });
    expect(points.status).toBe(501);
    expect(points.text).toBe(
      'Scenario "xco2" holds point retrievals: time series are for gridded scenarios',
    );
    const unknown = await get(base, `${API}/scenarios/nope/t.json`, {
      start: '2009-06-15',
      end: '2009-06-20',
      aggregate: 'mean',
    });
    expect(unknown.status).toBe(404);
  });
});

describe('FLUX_MAX_AGGREGATE_VALUES', () => {
  let limited: Server;

  beforeAll(async () => {
    limited = await startServer(dbPath, { FLUX_MAX_AGGREGATE_VALUES: '10' });
  });

  afterAll(async () => {
    await limited?.stop();
  });

  it('answers 413 for an aggregate map or a region reading more values than the limit', async () => {
    const map = await get(limited.url, `${CASA_URL}/xy.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      aggregate: 'net',
    });
    expect(map.status).toBe(413);
    expect(map.type).toMatch(/^text\/plain/);
    expect(map.text).toBe(
      'The query would read 21,080 values, more than the limit of 10: narrow the time range or the region',
    );
    const region = await get(limited.url, `${CASA_URL}/t.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      geom: 'POLYGON((-100 30, -90 30, -90 40, -100 40, -100 30))',
    });
    expect(region.status).toBe(413);
  });

  it('still answers queries under the limit', async () => {
    const oneStep = await get<MapBody>(limited.url, `${CASA_URL}/xy.json`, {
      start: '2004-06-30T00:00',
      end: '2004-06-30T00:00',
      aggregate: 'net',
    });
    expect(oneStep.status).toBe(200);
    expect(oneStep.body.features.every((value) => value === null)).toBe(true);
    const series = await get<SeriesBody>(limited.url, `${CASA_URL}/t.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      coords: 'POINT(-165.5 61.5)',
    });
    expect(series.status).toBe(200);
    expect(series.body.series).toEqual(cellValues(1, ALL_STEPS));
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
    const answer = await get(base, `${API}/forward.json`, { url });
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
  it('sends access-control-allow-origin: * by default, on answers and errors', async () => {
    const ok = await fetch(new URL(`${API}/scenarios.json`, base), {
      headers: { origin: 'http://client.example' },
    });
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    const error = await fetch(new URL(`${API}/scenarios/nope.json`, base));
    expect(error.status).toBe(404);
    expect(error.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('with FLUX_SERVER_CORS_ORIGINS, allows only the listed origins', async () => {
    const strict = await startServer(dbPath, { FLUX_SERVER_CORS_ORIGINS: 'http://client.example' });
    try {
      const listed = await fetch(new URL(`${API}/scenarios.json`, strict.url), {
        headers: { origin: 'http://client.example' },
      });
      expect(listed.status).toBe(200);
      expect(listed.headers.get('access-control-allow-origin')).toBe('http://client.example');
      expect(listed.headers.get('vary')).toMatch(/Origin/);
      const other = await fetch(new URL(`${API}/scenarios.json`, strict.url), {
        headers: { origin: 'http://evil.example' },
      });
      expect(other.status).toBe(200);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await strict.stop();
    }
  });

  it('answers an unknown route with 404 plain text', async () => {
    const answer = await get(base, `${API}/nope`);
    expect(answer.status).toBe(404);
    expect(answer.type).toMatch(/^text\/plain/);
    expect(answer.text).toBe('No route for GET /flux/api/nope');
  });

  it('serves /openapi.json listing the flux paths', async () => {
    const answer = await get<{
      openapi: string;
      info: { title: string };
      paths: Record<string, { get?: unknown }>;
    }>(base, '/openapi.json');
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
});
