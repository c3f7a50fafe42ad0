import gdal from 'gdal-async';
import { flatType, type GeometryFamily } from '@geoworks/geodata';

/**
 * pandarus's `clean_geom`: an invalid geometry is repaired with a zero-width buffer; if that
 * is still invalid the geometry counts as empty.
 */
export function cleanGeometry(geometry: gdal.Geometry): gdal.Geometry {
  if (geometry.isValid()) return geometry;
  const repaired = geometry.buffer(0, 30);
  return repaired.isValid() ? repaired : new gdal.GeometryCollection();
}

/** Collects the parts of one family, recursing into collections (`recursive_geom_finder`). */
function collectParts(
  geometry: gdal.Geometry,
  family: GeometryFamily,
  parts: gdal.Geometry[],
): void {
  if (geometry.isEmpty()) return;
  const type = flatType(geometry.wkbType);
  if (family === 'polygon' && type === gdal.wkbPolygon) parts.push(geometry);
  else if (family === 'line' && (type === gdal.wkbLineString || type === 101)) parts.push(geometry);
  else if (family === 'point' && type === gdal.wkbPoint) parts.push(geometry);
  else if (geometry instanceof gdal.GeometryCollection) {
    for (const child of geometry.children) collectParts(child, family, parts);
  }
}

const MULTI: Record<GeometryFamily, () => gdal.GeometryCollection> = {
  polygon: () => new gdal.MultiPolygon(),
  line: () => new gdal.MultiLineString(),
  point: () => new gdal.MultiPoint(),
};

/**
 * Keeps only the parts of `family` in an intersection result, unions them, repairs the result
 * and returns it as a Multi* geometry; null when nothing of that family is left (for polygons:
 * an intersection that is only a shared edge or corner).
 */
export function keepFamily(
  geometry: gdal.Geometry,
  family: GeometryFamily,
): gdal.GeometryCollection | null {
  const parts: gdal.Geometry[] = [];
  collectParts(geometry, family, parts);
  if (parts.length === 0) return null;
  let merged: gdal.Geometry;
  if (parts.length === 1) {
    merged = parts[0]!;
  } else {
    const collection = MULTI[family]();
    for (const part of parts) collection.children.add(part);
    if (family === 'polygon') merged = (collection as gdal.MultiPolygon).unionCascaded();
    else if (family === 'line') merged = parts.reduce((union, part) => union.union(part));
    else merged = collection;
  }
  merged = cleanGeometry(merged);
  if (merged.isEmpty()) return null;
  const type = flatType(merged.wkbType);
  if (
    type === gdal.wkbMultiPolygon ||
    type === gdal.wkbMultiLineString ||
    type === gdal.wkbMultiPoint
  ) {
    return merged as gdal.GeometryCollection;
  }
  if (merged instanceof gdal.GeometryCollection) {
    // A union can come back as a mixed collection; keep the family again.
    const again: gdal.Geometry[] = [];
    collectParts(merged, family, again);
    if (again.length === 0) return null;
    const multi = MULTI[family]();
    for (const part of again) multi.children.add(part);
    return multi;
  }
  const multi = MULTI[family]();
  multi.children.add(merged);
  return multi;
}
