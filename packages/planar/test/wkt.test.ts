import { describe, expect, it } from 'vitest';
import { isGeoworksError } from '@geoworks/errors';
import { parseWktPoint, parseWktPolygon, toWkt, WktError } from '../src/index.js';

describe('parseWktPoint', () => {
  it('reads POINT(x y) in any case and spacing, numbers in any JSON-like form', () => {
    expect(parseWktPoint('POINT(-105.5 40.5)')).toEqual({
      type: 'Point',
      coordinates: [-105.5, 40.5],
    });
    expect(parseWktPoint('  point ( +1e2   .5 ) ')).toEqual({
      type: 'Point',
      coordinates: [100, 0.5],
    });
  });

  it('refuses anything else with a WktError naming the text (invalid input, BAD_WKT)', () => {
    for (const text of ['POINT(1)', 'POINT(1 2 3)', 'POINT 1 2', 'POLYGON((0 0, 1 0, 1 1))', ''])
      expect(() => parseWktPoint(text)).toThrow(WktError);
    expect(() => parseWktPoint('LINESTRING(0 0, 1 1)')).toThrow(
      '"LINESTRING(0 0, 1 1)" is not a WKT point such as POINT(-105.5 40.5)',
    );
    expect(() => parseWktPoint('POINT(1 x)')).toThrow('"1 x" is not a WKT position "x y"');
    const error = (() => {
      try {
        parseWktPoint('POINT()');
      } catch (caught) {
        return caught;
      }
    })();
    expect(isGeoworksError(error) && [error.kind, error.code]).toEqual([
      'invalid-input',
      'BAD_WKT',
    ]);
  });
});

describe('parseWktPolygon', () => {
  it('reads rings, holes included, keeping their orientation', () => {
    expect(
      parseWktPolygon('POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 2 4, 4 4, 4 2, 2 2))'),
    ).toEqual({
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [10, 0],
          [10, 10],
          [0, 10],
          [0, 0],
        ],
        [
          [2, 2],
          [2, 4],
          [4, 4],
          [4, 2],
          [2, 2],
        ],
      ],
    });
  });

  it('closes open rings and reads text over several lines, in any case', () => {
    expect(parseWktPolygon('polygon (\n (0 0, 1 0, 1 1)\n)')).toEqual({
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 0],
        ],
      ],
    });
  });

  it('refuses short rings, text around the rings and other geometries', () => {
    expect(() => parseWktPolygon('POLYGON((0 0, 1 1, 0 0))')).toThrow(
      'a WKT polygon ring needs three positions or more besides the closing one',
    );
    expect(() => parseWktPolygon('POLYGON((0 0, 1 0, 1 1) x)')).toThrow(
      '"POLYGON((0 0, 1 0, 1 1) x)" is not a WKT polygon',
    );
    expect(() => parseWktPolygon('POLYGON EMPTY')).toThrow(WktError);
    expect(() => parseWktPolygon('POLYGON()')).toThrow(WktError);
    expect(() => parseWktPolygon('POINT(0 0)')).toThrow(
      '"POINT(0 0)" is not a WKT polygon such as POLYGON((0 0, 10 0, 10 10, 0 10, 0 0))',
    );
    expect(() => parseWktPolygon('POLYGON((0 0, 1 0, 1 1, a b))')).toThrow(
      '"a b" is not a WKT position "x y"',
    );
  });
});

describe('toWkt', () => {
  const polygon = {
    type: 'Polygon' as const,
    coordinates: [
      [
        [-1.5, 0],
        [2, 0],
        [2, 3.25],
        [-1.5, 0],
      ],
    ],
  };

  it('writes points, polygons and multipolygons', () => {
    expect(toWkt({ type: 'Point', coordinates: [-105.5, 40.5] })).toBe('POINT(-105.5 40.5)');
    expect(toWkt(polygon)).toBe('POLYGON((-1.5 0, 2 0, 2 3.25, -1.5 0))');
    expect(
      toWkt({ type: 'MultiPolygon', coordinates: [polygon.coordinates, polygon.coordinates] }),
    ).toBe('MULTIPOLYGON(((-1.5 0, 2 0, 2 3.25, -1.5 0)), ((-1.5 0, 2 0, 2 3.25, -1.5 0)))');
  });

  it('writes what the parsers read back exactly', () => {
    const odd = {
      type: 'Polygon' as const,
      coordinates: [
        [
          [0.1 + 0.2, 1e-7],
          [123456.789, -2.5e21],
          [Math.PI, Math.E],
          [0.1 + 0.2, 1e-7],
        ],
      ],
    };
    expect(parseWktPolygon(toWkt(odd))).toEqual(odd);
    const point = { type: 'Point' as const, coordinates: [-0.000123, 1 / 3] };
    expect(parseWktPoint(toWkt(point))).toEqual(point);
  });
});
