// @geoworks/flux-loader: the queries of the Carbon Data Explorer's API over a flux-store.
export { FluxApi, parseApiDate, round2, type ApiQuery } from './api.js';
export { mapToGeoTiff } from './geotiff.js';
export { parseWktPoint, parseWktPolygon } from './wkt.js';
