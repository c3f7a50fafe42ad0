// Maps at a time, maps aggregated over [start, end), and a map as a GeoTIFF, on the casa grid
// (2635 cells, 8 three-hourly steps) and the kriged map (a six-day span).
import { fluxDatasets } from '@geoworks/test-fixtures';
import { fromArrayBuffer } from 'geotiff';
import { describe, expect, it } from 'vitest';
import {
  AGGREGATES,
  aggregateOf,
  ALL_STEPS,
  at,
  CASA,
  CASA_TIMES,
  expectRoundedTo,
  range,
  round2,
  thrown,
  useCasaFixture,
} from './helpers.js';

const casa = useCasaFixture([fluxDatasets.casa, fluxDatasets.kriged, fluxDatasets.xco2]);

describe('map', () => {
  it('gives the map at a time in coord_index order', () => {
    const map = casa.flux.map(CASA, at('2004-06-30T00:00:00Z'));
    expect(map.timestamp).toBe('2004-06-30T00:00:00.000Z');
    expect(map.properties).toEqual({ source: 'casa_gfed_2004' });
    expect(map.features).toHaveLength(2635);
    expect(map.features.slice(0, 3)).toEqual([0.08, 0.16, 0.11]);
  });

  it('matches the values the store holds, rounded', () => {
    for (const [index, time] of CASA_TIMES.entries()) {
      const { values } = casa.store.map(CASA, at(time));
      expect(casa.maps[index]).toEqual(Array.from(values, round2));
    }
    // The steps differ: each map is its own.
    expect(casa.maps[0]).not.toEqual(casa.maps[7]);
  });

  it('gives the map whose span holds the time (kriged: six days)', () => {
    const atStep = casa.flux.map('kriged', at('2009-06-15Z'));
    const inSpan = casa.flux.map('kriged', at('2009-06-17T12:00Z'));
    expect(atStep.features).toHaveLength(14210);
    expect(inSpan.timestamp).toBe('2009-06-15T00:00:00.000Z');
    expect(inSpan.features).toEqual(atStep.features);
    expect(thrown(() => casa.flux.map('kriged', at('2009-06-21Z')))).toMatchObject({
      kind: 'not-found',
    });
  });

  it('verbose gives a FeatureCollection that keeps zero values', () => {
    const map = casa.flux.map(CASA, at('2004-06-30T00:00Z'), { verbose: true });
    expect(map.timestamp).toBe('2004-06-30T00:00:00.000Z');
    expect(map.type).toBe('FeatureCollection');
    const zeros = casa.maps[0]!.filter((value) => value === 0).length;
    expect(zeros).toBeGreaterThan(0);
    expect(map.features).toHaveLength(casa.maps[0]!.length);
    expect(map.features.filter((feature) => feature.properties.v === 0)).toHaveLength(zeros);
    expect(map.features[1]).toEqual({
      type: 'Point',
      coordinates: [-165.5, 61.5],
      properties: { v: 0.16 },
    });
    map.features.forEach((feature, cell) => {
      expect(feature.coordinates).toEqual(casa.coordinates[cell]);
      expect(feature.properties.v).toBe(casa.maps[0]![cell]);
    });
  });

  it('is not found for a time without a map and for an unknown scenario', () => {
    expect(thrown(() => casa.flux.map(CASA, at('2004-06-30T01:00Z')))).toMatchObject({
      kind: 'not-found',
      message: 'Dataset "casa_gfed_2004" has no data at 2004-06-30T01:00:00.000Z',
    });
    expect(thrown(() => casa.flux.map(CASA, at('2005-01-01Z')))).toMatchObject({
      kind: 'not-found',
    });
    expect(thrown(() => casa.flux.map('nope', at('2004-06-30Z')))).toMatchObject({
      kind: 'not-found',
      message: 'No dataset "nope"',
    });
  });
});

describe('aggregateMap over [start, end)', () => {
  // 00:00 to 12:00 holds the steps at 00, 03, 06 and 09 (12:00 is excluded).
  const hours = range('2004-06-30T00:00Z', '2004-06-30T12:00Z');
  const steps = [0, 1, 2, 3];

  for (const aggregate of AGGREGATES) {
    it(`aggregate=${aggregate} matches the per-cell ${aggregate} of the maps`, () => {
      const map = casa.flux.aggregateMap(CASA, hours, { aggregate });
      expect(map.timestamp).toBe('2004-06-30T00:00:00.000Z');
      expect(map.properties).toEqual({
        start: '2004-06-30T00:00:00.000Z',
        end: '2004-06-30T12:00:00.000Z',
        aggregate,
      });
      expect(map.features).toHaveLength(2635);
      map.features.forEach((value, cell) => {
        const exact = aggregateOf(casa.cellValues(cell, steps), aggregate);
        if (aggregate === 'mean') expectRoundedTo(value, exact);
        else expect(value).toBe(round2(exact));
      });
    });
  }

  it('sums over all eight steps when end is after the last step', () => {
    const map = casa.flux.aggregateMap(CASA, range('2004-06-30Z', '2004-07-01Z'), {
      aggregate: 'net',
    });
    map.features.forEach((value, cell) =>
      expect(value).toBe(round2(aggregateOf(casa.cellValues(cell, ALL_STEPS), 'net'))),
    );
  });

  it('gives null for every cell when no step is in the range', () => {
    const map = casa.flux.aggregateMap(CASA, range('2004-06-30T01:00Z', '2004-06-30T02:00Z'), {
      aggregate: 'max',
    });
    expect(map.features).toHaveLength(2635);
    expect(map.features.every((value) => value === null)).toBe(true);
  });

  it('verbose gives the aggregate as a FeatureCollection', () => {
    const map = casa.flux.aggregateMap(CASA, hours, { aggregate: 'max', verbose: true });
    expect(map.type).toBe('FeatureCollection');
    expect(map.properties).toMatchObject({ aggregate: 'max' });
    expect(map.features).toHaveLength(2635);
    expect(map.features[1]!.coordinates).toEqual([-165.5, 61.5]);
    expect(map.features[1]!.properties.v).toBe(
      round2(aggregateOf(casa.cellValues(1, steps), 'max')),
    );
  });
});

describe('mapGeoTiff', () => {
  it('gives the map as a GeoTIFF: 117 x 60 one-degree pixels, cells at their place, NaN elsewhere', async () => {
    const tiff = await fromArrayBuffer(
      new Uint8Array(casa.flux.mapGeoTiff(CASA, at('2004-06-30T03:00Z'))).buffer,
    );
    const image = await tiff.getImage();
    expect(image.getWidth()).toBe(117);
    expect(image.getHeight()).toBe(60);
    expect(image.getOrigin().slice(0, 2)).toEqual([-167, 70]);
    expect(image.getResolution().slice(0, 2)).toEqual([1, -1]);
    expect(image.getGDALNoData()).toBeNaN();
    const [band] = (await image.readRasters()) as unknown as Float32Array[];
    const pixel = (x: number, y: number): number => band![(69.5 - y) * 117 + (x + 166.5)]!;
    let cellsSeen = 0;
    casa.coordinates.forEach(([x, y], cell) => {
      expect(pixel(x, y)).toBe(Math.fround(casa.maps[1]![cell]!));
      cellsSeen++;
    });
    expect(cellsSeen).toBe(2635);
    expect(pixel(-165.5, 61.5)).toBe(Math.fround(0.14));
    const filled = band!.filter((value) => !Number.isNaN(value)).length;
    expect(filled).toBe(2635);
  });

  it('is not found for an unknown time or scenario, not implemented for points', () => {
    expect(thrown(() => casa.flux.mapGeoTiff(CASA, at('2004-07-01Z')))).toMatchObject({
      kind: 'not-found',
      message: 'Dataset "casa_gfed_2004" has no data at 2004-07-01T00:00:00.000Z',
    });
    expect(thrown(() => casa.flux.mapGeoTiff('nope', at('2004-06-30Z')))).toMatchObject({
      kind: 'not-found',
    });
    expect(thrown(() => casa.flux.mapGeoTiff('xco2', at('2009-06-15Z')))).toMatchObject({
      kind: 'not-implemented',
    });
  });
});
