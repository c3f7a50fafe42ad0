import { GeometryTypeError, baseName } from '@geoworks/geodata';

export class SecondNotPolygonsError extends GeometryTypeError {
  constructor(path: string) {
    super(`${baseName(path)}: the second dataset must hold Polygon or MultiPolygon geometries`);
  }
}

export class UnsupportedGeometryError extends GeometryTypeError {
  constructor(path: string) {
    super(
      `${baseName(path)}: needs points, lines or polygons of one kind (not geometry collections, mixed kinds or no geometries)`,
    );
  }
}
