export { intersectFeatures } from './features.js';
export type {
  IntersectFeaturesOptions,
  IntersectionFeature,
  IntersectionProperties,
} from './features.js';
export { intersect } from './intersect.js';
export type { DatasetInput, IntersectOptions, IntersectResult } from './intersect.js';
export { SecondNotPolygonsError, UnsupportedGeometryError } from './errors.js';
export type { VectorFormat } from './vector-output.js';
export { calculateRemaining, checkIntersectionSchema } from './remaining.js';
export type { RemainingOptions, RemainingResult } from './remaining.js';
export { intersectionsFromIntersection } from './from-intersection.js';
export type { FromIntersectionOptions, FromIntersectionResult } from './from-intersection.js';
