import { TooLargeError } from '@geoworks/errors';
import { flatBbox } from '@geoworks/planar';
import { writeArrayBuffer } from 'geotiff';

/** Largest raster written, in pixels (a 0.01-degree global grid is 648 million). */
const MAX_PIXELS = 50_000_000;

/**
 * A map (one value per cell centre) as a single-band Float32 GeoTIFF in WGS 84 (EPSG:4326):
 * the raster covers the cells' bounding box with pixels of the cell size (the store's
 * `cellSize`), pixels without a cell are NaN (GDAL_NODATA `nan`).
 */
export function mapToGeoTiff(
  cells: Float64Array,
  values: Float64Array,
  cellSize: { x: number; y: number },
): ArrayBuffer {
  const count = cells.length / 2;
  const { x: dx, y: dy } = cellSize;
  const [minX, minY, maxX, maxY] = flatBbox([cells]);
  const width = Math.round((maxX - minX) / dx) + 1;
  const height = Math.round((maxY - minY) / dy) + 1;
  if (width * height > MAX_PIXELS) {
    throw new TooLargeError(
      `The map would be ${width} x ${height} pixels, more than ${MAX_PIXELS}`,
      { code: 'RASTER_TOO_LARGE' },
    );
  }
  const pixels = new Float32Array(width * height).fill(Number.NaN);
  for (let cell = 0; cell < count; cell++) {
    const column = Math.round((cells[2 * cell]! - minX) / dx);
    const row = Math.round((maxY - cells[2 * cell + 1]!) / dy);
    pixels[row * width + column] = values[cell]!;
  }
  return writeArrayBuffer(pixels, {
    width,
    height,
    ModelPixelScale: [dx, dy, 0],
    ModelTiepoint: [0, 0, 0, minX - dx / 2, maxY + dy / 2, 0],
    GeographicTypeGeoKey: 4326,
    GeogCitationGeoKey: 'WGS 84',
    GTModelTypeGeoKey: 2,
    GTRasterTypeGeoKey: 1,
    GDAL_NODATA: 'nan',
  }) as ArrayBuffer;
}
