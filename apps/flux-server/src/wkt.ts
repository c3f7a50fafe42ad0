// The API's coords and geom parameters: WKT read by @geoworks/planar, whose errors name no
// parameter, reworded as the flux API words them (naming coords or geom).
import type { Point, Polygon } from '@geoworks/flux-service';
import { parseWktPoint, parseWktPolygon, WktError } from '@geoworks/planar';

const EXAMPLES = {
  coords: ['point', 'POINT(-105.5 40.5)'],
  geom: ['polygon', 'POLYGON((0 0, 10 0, 10 10, 0 10, 0 0))'],
} as const;

/** `coords=POINT(x y)` (WKT, any case). */
export function parseCoords(text: string): Point {
  const [x, y] = reworded('coords', text, () => parseWktPoint(text)).coordinates;
  return [x!, y!];
}

/**
 * `geom=POLYGON((x y, x y, ...), (hole...))` (WKT, any case) as closed rings of [x, y]: a ring
 * left open is closed; each needs three points besides the closing one.
 */
export function parseGeom(text: string): Polygon {
  const { coordinates } = reworded('geom', text, () => parseWktPolygon(text));
  return coordinates.map((ring) => ring.map(([x, y]): Point => [x!, y!]));
}

/** `parse()`, with a WktError's message in the API's words for `parameter`. */
function reworded<T>(parameter: keyof typeof EXAMPLES, text: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof WktError)) throw error;
    throw new WktError(apiMessage(parameter, text, error.message));
  }
}

/**
 * The flux API's words for each of planar's messages (the tests pin both); a message planar
 * adds later keeps its words, after the parameter's name.
 */
function apiMessage(parameter: keyof typeof EXAMPLES, text: string, message: string): string {
  const [kind, example] = EXAMPLES[parameter];
  if (message === `"${text}" is not a WKT ${kind} such as ${example}`)
    return `${parameter} must be a WKT ${kind} such as ${example}, not "${text}"`;
  const position = /^(".*") is not a WKT position "x y"$/s.exec(message);
  if (position !== null) return `${parameter}: ${position[1]} is not "x y"`;
  if (message.startsWith('a WKT polygon ring needs'))
    return `${parameter}: a polygon ring needs at least three points`;
  return `${parameter}: ${message}`;
}
