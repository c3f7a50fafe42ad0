// Region-of-interest series on the casa grid, checked against the cells @geoworks/planar's
// point-in-polygon test finds and the maps the service answers; and the store's limit on what one
// query may read.
import { pointInPolygon } from '@geoworks/planar';
import { fluxDatasets } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';
import type { Point } from '../src/index.js';
import {
  ALL_STEPS,
  CASA,
  CASA_TIMES,
  expectRoundedTo,
  range,
  statsOf,
  thrown,
  useCasaFixture,
} from './helpers.js';

const casa = useCasaFixture([fluxDatasets.casa]);

const DAY = range('2004-06-30Z', '2004-07-01Z');
const rectangleWithHole: Point[][] = [
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
const triangle: Point[][] = [
  [
    [-100, 30],
    [-80, 30],
    [-100, 45],
    [-100, 30],
  ],
];
const cellsIn = (rings: Point[][]): number[] =>
  casa.coordinates.flatMap((centre, cell) =>
    pointInPolygon(centre, { type: 'Polygon', coordinates: rings }) ? [cell] : [],
  );

describe('regionSeries', () => {
  for (const [label, polygon] of [
    ['a triangle', triangle],
    ['a rectangle with a hole', rectangleWithHole],
  ] as const) {
    it(`gives per-step statistics over the cells inside ${label}`, () => {
      const cells = cellsIn(polygon);
      expect(cells.length).toBeGreaterThan(10);
      const region = casa.flux.regionSeries(CASA, DAY, { polygon });
      expect(region.seriesT).toEqual(CASA_TIMES);
      expect(region.seriesN).toEqual(ALL_STEPS.map(() => cells.length));
      ALL_STEPS.forEach((step) => {
        const stats = statsOf(cells.map((cell) => casa.maps[step]![cell]!));
        expectRoundedTo(region.seriesMean[step], stats.mean);
        expect(region.seriesMin[step]).toBe(stats.min);
        expect(region.seriesMax[step]).toBe(stats.max);
        expectRoundedTo(region.seriesSTD[step], stats.std);
      });
      const all = statsOf(
        ALL_STEPS.flatMap((step) => cells.map((cell) => casa.maps[step]![cell]!)),
      );
      expect(region.properties).toMatchObject({
        start: '2004-06-30T00:00:00.000Z',
        end: '2004-07-01T00:00:00.000Z',
        interval: null,
        allN: cells.length * 8,
        allMin: all.min,
        allMax: all.max,
      });
      expectRoundedTo(region.properties.allMean, all.mean);
      expectRoundedTo(region.properties.allSTD, all.std);
    });
  }

  it('echoes the region as written, else as WKT', () => {
    const written = 'POLYGON((-100 30,-80 30,-100 45))';
    expect(
      casa.flux.regionSeries(CASA, DAY, { polygon: triangle, geom: written }).properties.geom,
    ).toBe(written);
    expect(casa.flux.regionSeries(CASA, DAY, { polygon: rectangleWithHole }).properties.geom).toBe(
      'POLYGON((-100 30, -90 30, -90 40, -100 40, -100 30), (-97 33, -93 33, -93 37, -97 37, -97 33))',
    );
  });

  it('interval=daily gives one bucket over all cells and steps', () => {
    const cells = cellsIn(triangle);
    const all = statsOf(ALL_STEPS.flatMap((step) => cells.map((cell) => casa.maps[step]![cell]!)));
    const region = casa.flux.regionSeries(CASA, DAY, { polygon: triangle, interval: 'daily' });
    expect(region.seriesT).toEqual(['2004-06-30T00:00:00.000Z']);
    expect(region.seriesN).toEqual([cells.length * 8]);
    expect(region.properties.interval).toBe('daily');
    expectRoundedTo(region.seriesMean[0], all.mean);
    expectRoundedTo(region.seriesSTD[0], all.std);
    expect(region.seriesMin).toEqual([all.min]);
    expect(region.seriesMax).toEqual([all.max]);
    expect(region.properties.allN).toBe(cells.length * 8);
  });

  it('a region without cells gives counts of zero and null statistics', () => {
    const region = casa.flux.regionSeries(CASA, DAY, {
      polygon: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 1],
          [0, 0],
        ],
      ],
    });
    expect(region.seriesN).toEqual(ALL_STEPS.map(() => 0));
    expect(region.seriesMean).toEqual(ALL_STEPS.map(() => null));
    expect(region.properties.allN).toBe(0);
    expect(region.properties.allMean).toBeNull();
  });
});

describe('the limit on the values one query reads', () => {
  const limited = useCasaFixture([fluxDatasets.casa], { maxQueryValues: 10 });

  it('refuses an aggregate map or a region reading more values than the limit', () => {
    expect(thrown(() => limited.flux.aggregateMap(CASA, DAY, { aggregate: 'net' }))).toMatchObject({
      kind: 'too-large',
      message:
        'The query would read 21,080 values, more than the limit of 10: narrow the time range or the region',
    });
    expect(
      thrown(() => limited.flux.regionSeries(CASA, DAY, { polygon: [rectangleWithHole[0]!] })),
    ).toMatchObject({ kind: 'too-large' });
  });

  it('still answers queries under the limit', () => {
    const instant = range('2004-06-30T00:00Z', '2004-06-30T00:00Z');
    const oneStep = limited.flux.aggregateMap(CASA, instant, { aggregate: 'net' });
    expect(oneStep.features.every((value) => value === null)).toBe(true);
    const series = limited.flux.cellSeries(CASA, DAY, { at: [-165.5, 61.5] });
    expect(series.series).toEqual(casa.cellValues(1, ALL_STEPS));
  });
});
