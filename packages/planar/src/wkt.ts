import type { MultiPolygon, Point, Polygon, Position } from 'geojson';
import { InvalidInputError } from '@geoworks/errors';
import { closeRing } from './rings.js';

/** Text that is not the WKT asked for; the message quotes it. */
export class WktError extends InvalidInputError {
  constructor(message: string) {
    super(message, { code: 'BAD_WKT' });
  }
}

const NUMBER = String.raw`[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?`;
const PAIR = new RegExp(String.raw`^\s*(${NUMBER})\s+(${NUMBER})\s*$`);

function position(text: string): Position {
  const match = PAIR.exec(text);
  if (match === null) throw new WktError(`"${text.trim()}" is not a WKT position "x y"`);
  return [Number(match[1]), Number(match[2])];
}

/** `POINT(x y)` (keywords in any case, two numbers) as a GeoJSON Point. */
export function parseWktPoint(text: string): Point {
  const match = /^\s*POINT\s*\(([^()]*)\)\s*$/i.exec(text);
  if (match === null) throw new WktError(`"${text}" is not a WKT point such as POINT(-105.5 40.5)`);
  return { type: 'Point', coordinates: position(match[1]!) };
}

/**
 * `POLYGON((x y, x y, ...), (hole ...))` (keywords in any case) as a GeoJSON Polygon. A ring
 * the text leaves open is closed; each needs three positions or more besides the closing one.
 * The rings keep the text's orientation.
 */
export function parseWktPolygon(text: string): Polygon {
  const match = /^\s*POLYGON\s*\((.*)\)\s*$/is.exec(text);
  if (match === null) {
    throw new WktError(
      `"${text}" is not a WKT polygon such as POLYGON((0 0, 10 0, 10 10, 0 10, 0 0))`,
    );
  }
  const rings: Position[][] = [];
  let rest = match[1]!;
  for (const ringMatch of match[1]!.matchAll(/\(([^()]*)\)/g)) {
    const ring = closeRing(ringMatch[1]!.split(',').map(position));
    if (ring.length < 4)
      throw new WktError(
        'a WKT polygon ring needs three positions or more besides the closing one',
      );
    rings.push(ring);
    rest = rest.replace(ringMatch[0], '');
  }
  if (rings.length === 0 || rest.replace(/[\s,]/g, '') !== '')
    throw new WktError(`"${text}" is not a WKT polygon`);
  return { type: 'Polygon', coordinates: rings };
}

/**
 * The WKT of a Point, Polygon or MultiPolygon, numbers as JavaScript writes them:
 * `POINT(x y)`, `POLYGON((x y, x y, ...), (...))`, `MULTIPOLYGON(((...)), ((...)))`. Rings are
 * written as they are (close them first where the reader needs closed rings).
 */
export function toWkt(geometry: Point | Polygon | MultiPolygon): string {
  const pair = (p: Position) => `${p[0]} ${p[1]}`;
  const ring = (positions: Position[]) => `(${positions.map(pair).join(', ')})`;
  const polygon = (rings: Position[][]) => `(${rings.map(ring).join(', ')})`;
  switch (geometry.type) {
    case 'Point':
      return `POINT(${pair(geometry.coordinates)})`;
    case 'Polygon':
      return `POLYGON${polygon(geometry.coordinates)}`;
    case 'MultiPolygon':
      return `MULTIPOLYGON(${geometry.coordinates.map(polygon).join(', ')})`;
  }
}
