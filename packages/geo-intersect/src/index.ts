export { intersect } from './intersect.js';
export type { DatasetInput, IntersectOptions, IntersectResult } from './intersect.js';
export { SecondNotPolygonsError, UnsupportedGeometryError } from './errors.js';
export type { VectorFormat } from './vector-output.js';
