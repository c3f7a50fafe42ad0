export { toFlat, toPositions } from './types.js';
export type { BBox, FlatRing } from './types.js';
export { closeRing, flatSignedArea, isCounterClockwise, rewindRing, signedArea } from './rings.js';
export type { RewindOptions } from './rings.js';
export { flatPointInRing, flatPointInRings, pointInPolygon, pointInRing } from './contains.js';
export { bbox, bboxesOverlap, bboxIntersection, bboxPolygon, flatBbox } from './bbox.js';
export {
  flatMollweideArea,
  flatMollweideLength,
  MOLLWEIDE_RADIUS,
  mollweideArea,
  mollweideLength,
  projectMollweide,
} from './mollweide.js';
export { parseWktPoint, parseWktPolygon, toWkt, WktError } from './wkt.js';
