// Point retrievals in a time range, on the original's XCO2 file (1311 points, 2009-06-15 to 20).
import { fluxDatasets } from '@geoworks/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FluxService, PointsDocument } from '../src/index.js';
import { openFixture, range, thrown, type Fixture } from './helpers.js';

let fixture: Fixture;
let flux: FluxService;
let all: PointsDocument['features'];

beforeAll(async () => {
  fixture = await openFixture([fluxDatasets.xco2, fluxDatasets.casa]);
  flux = fixture.flux;
  const points = flux.points('xco2', range('2009-06-15Z', '2009-06-20T23:59:59Z'));
  expect(points.properties).toEqual({ source: 'xco2' });
  all = points.features;
});
afterAll(() => fixture?.close());

describe('points', () => {
  it('gives every point in time order, dated 2009-06-15 to 2009-06-20', () => {
    expect(all).toHaveLength(1311);
    expect(all[0]!.timestamp).toBe('2009-06-15T00:00:00.000Z');
    // The original dated this retrieval 2009-06-16 (one day too many).
    expect(all[0]!.properties.value).toBe(386.79);
    expect(typeof all[0]!.properties.error).toBe('number');
    expect(all[0]!.coordinates).toHaveLength(2);
    const times = all.map((point) => point.timestamp);
    expect([...times].sort()).toEqual(times);
    expect(new Set(times.map((time) => time.slice(0, 10)))).toEqual(
      new Set([15, 16, 17, 18, 19, 20].map((day) => `2009-06-${day}`)),
    );
  });

  it('includes both ends of the range and nothing outside it', () => {
    const day = flux.points('xco2', range('2009-06-16Z', '2009-06-16T23:59:59Z'));
    const expected = all.filter((point) => point.timestamp.startsWith('2009-06-16'));
    expect(expected.length).toBeGreaterThan(0);
    expect(day.features).toEqual(expected);
    const atMidnight = all.filter((point) => point.timestamp === '2009-06-16T00:00:00.000Z');
    expect(atMidnight.length).toBeGreaterThan(0);
    const sameEnds = flux.points('xco2', range('2009-06-16Z', '2009-06-16Z'));
    expect(sameEnds.features).toEqual(atMidnight);
    const none = flux.points('xco2', range('2010-01-01Z', '2010-02-01Z'));
    expect(none.features).toEqual([]);
  });

  it('verbose gives a GeoJSON FeatureCollection', () => {
    const points = flux.points('xco2', range('2009-06-15Z', '2009-06-20T23:59:59Z'), {
      verbose: true,
    });
    expect(points.type).toBe('FeatureCollection');
    expect(points.properties).toEqual({ source: 'xco2' });
    expect(points.features).toHaveLength(1311);
    points.features.forEach((feature, index) => {
      expect(feature).toEqual({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: all[index]!.coordinates },
        properties: { timestamp: all[index]!.timestamp, ...all[index]!.properties },
      });
    });
  });

  it('is not implemented for a grid', () => {
    expect(
      thrown(() => flux.points('casa_gfed_2004', range('2004-06-30Z', '2004-07-01Z'))),
    ).toMatchObject({
      kind: 'not-implemented',
      message: 'Dataset "casa_gfed_2004" is gridded: ask for a map or a series',
    });
  });
});
