// WKT text of the API's coords and geom parameters, as coordinates.
import { InvalidInputError } from '@geoworks/errors';

const NUMBER = String.raw`[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?`;
const PAIR = new RegExp(String.raw`^\s*(${NUMBER})\s+(${NUMBER})\s*$`);

function pair(text: string, what: string): [number, number] {
  const match = PAIR.exec(text);
  if (match === null)
    throw new InvalidInputError(`${what}: "${text.trim()}" is not "x y"`, { code: 'BAD_WKT' });
  return [Number(match[1]), Number(match[2])];
}

/** `POINT(x y)` (WKT, any case). */
export function parseWktPoint(text: string): [number, number] {
  const match = /^\s*POINT\s*\(([^()]*)\)\s*$/i.exec(text);
  if (match === null)
    throw new InvalidInputError(
      `coords must be a WKT point such as POINT(-105.5 40.5), not "${text}"`,
      { code: 'BAD_WKT' },
    );
  return pair(match[1]!, 'coords');
}

/**
 * `POLYGON((x y, x y, ...), (hole...))` (WKT, any case) as rings of [x, y]; rings are closed
 * if the text left them open. Each ring needs at least three distinct points.
 */
export function parseWktPolygon(text: string): [number, number][][] {
  const match = /^\s*POLYGON\s*\((.*)\)\s*$/is.exec(text);
  if (match === null) {
    throw new InvalidInputError(
      `geom must be a WKT polygon such as POLYGON((0 0, 10 0, 10 10, 0 10, 0 0)), not "${text}"`,
      {
        code: 'BAD_WKT',
      },
    );
  }
  const rings: [number, number][][] = [];
  const ringPattern = /\(([^()]*)\)/g;
  let rest = match[1]!;
  for (const ringMatch of match[1]!.matchAll(ringPattern)) {
    const ring = ringMatch[1]!.split(',').map((point) => pair(point, 'geom'));
    const first = ring[0]!;
    const last = ring.at(-1)!;
    if (first[0] !== last[0] || first[1] !== last[1]) ring.push([first[0], first[1]]);
    if (ring.length < 4)
      throw new InvalidInputError('geom: a polygon ring needs at least three points', {
        code: 'BAD_WKT',
      });
    rings.push(ring);
    rest = rest.replace(ringMatch[0], '');
  }
  if (rings.length === 0 || rest.replace(/[\s,]/g, '') !== '') {
    throw new InvalidInputError(`geom: "${text}" is not a WKT polygon`, { code: 'BAD_WKT' });
  }
  return rings;
}
