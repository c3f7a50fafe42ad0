import { randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import gdal from 'gdal-async';
import {
  setUpGdal,
  wgs84Srs,
  wkbToGeoJson,
  type FieldKind,
  type GeometryFamily,
  type Label,
} from '@geoworks/geodata';

export type VectorFormat = 'GeoJSON' | 'GPKG';

export const VECTOR_EXTENSIONS: Record<VectorFormat, string> = { GeoJSON: 'geojson', GPKG: 'gpkg' };

const MULTI_TYPE: Record<GeometryFamily, number> = {
  polygon: gdal.wkbMultiPolygon,
  line: gdal.wkbMultiLineString,
  point: gdal.wkbMultiPoint,
};

function fieldType(kind: FieldKind): string {
  if (kind === 'int') return gdal.OFTInteger64;
  if (kind === 'float') return gdal.OFTReal;
  return gdal.OFTString;
}

/** The vector file of intersected geometries, in pandarus's schema, in WGS84. */
export interface IntersectionVectorWriter {
  readonly path: string;
  /** `geometry`: WKB, or for GeoJSON output the geometry's GeoJSON text (made by the workers). */
  add(
    id: number,
    fromLabel: Label,
    toLabel: Label,
    measure: number,
    geometry: Buffer | string,
  ): void;
  /** Closes the file and moves it to `path`: the final name only ever holds a complete file. */
  finish(): Promise<string>;
  /** Closes and deletes the partial file. */
  discard(): Promise<void>;
}

export function createVectorWriter(
  path: string,
  format: VectorFormat,
  family: GeometryFamily,
  labelKinds: { from: FieldKind; to: FieldKind },
): IntersectionVectorWriter {
  return format === 'GeoJSON'
    ? new GeoJsonWriter(path, family)
    : new GdalVectorWriter(path, format, family, labelKinds);
}

function partialName(path: string): string {
  return join(dirname(path), `.${randomBytes(6).toString('hex')}.${basename(path)}`);
}

/**
 * GeoJSON written directly, streaming, in the form pandarus (fiona) writes it: a named
 * FeatureCollection with the `urn:ogc:def:crs:OGC:1.3:CRS84` crs member (GDAL leaves it out).
 */
class GeoJsonWriter implements IntersectionVectorWriter {
  readonly path: string;
  readonly #partial: string;
  readonly #fd: number;
  #buffer = '';
  #first = true;
  #closed = false;

  constructor(path: string, _family: GeometryFamily) {
    this.path = path;
    this.#partial = partialName(path);
    this.#fd = openSync(this.#partial, 'wx');
    const name = basename(path).replace(/\.[^.]+$/, '');
    this.#buffer =
      `{"type": "FeatureCollection", "name": ${JSON.stringify(name)}, ` +
      '"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}, "features": [\n';
  }

  add(
    id: number,
    fromLabel: Label,
    toLabel: Label,
    measure: number,
    geometryInput: Buffer | string,
  ): void {
    const properties = `${JSON.stringify({ id, from_label: fromLabel, to_label: toLabel }).slice(0, -1)},"measure":${realText(measure)}}`;
    const geometry =
      typeof geometryInput === 'string' ? geometryInput : wkbToGeoJson(geometryInput);
    this.#buffer += `${this.#first ? '' : ',\n'}{"type": "Feature", "properties": ${properties}, "geometry": ${geometry}}`;
    this.#first = false;
    if (this.#buffer.length > 1 << 20) this.#flush();
  }

  #flush(): void {
    writeSync(this.#fd, this.#buffer);
    this.#buffer = '';
  }

  async finish(): Promise<string> {
    this.#buffer += '\n]}\n';
    this.#flush();
    this.#close();
    await rename(this.#partial, this.path);
    return this.path;
  }

  async discard(): Promise<void> {
    this.#close();
    await rm(this.#partial, { force: true });
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
}

/**
 * A measure as a JSON real: pandarus's schema says "float", and GDAL (so fiona) types a GeoJSON
 * field from how its numbers are written, so a point count of 2 must read `2.0`.
 */
function realText(value: number): string {
  const text = JSON.stringify(value); // NaN and infinities become null, as before
  return /^-?\d+$/.test(text) ? `${text}.0` : text;
}

/** Other formats (GeoPackage) through GDAL. */
class GdalVectorWriter implements IntersectionVectorWriter {
  readonly path: string;
  readonly #partial: string;
  readonly #dataset: gdal.Dataset;
  readonly #layer: gdal.Layer;
  #closed = false;

  constructor(
    path: string,
    format: VectorFormat,
    family: GeometryFamily,
    labelKinds: { from: FieldKind; to: FieldKind },
  ) {
    this.path = path;
    this.#partial = partialName(path);
    this.#dataset = setUpGdal().open(this.#partial, 'w', format);
    const layerName = basename(path)
      .replace(/\.[^.]+$/, '')
      .replaceAll('.', '_');
    this.#layer = this.#dataset.layers.create(layerName, wgs84Srs(), MULTI_TYPE[family]);
    this.#layer.fields.add(new gdal.FieldDefn('id', gdal.OFTInteger64));
    this.#layer.fields.add(new gdal.FieldDefn('from_label', fieldType(labelKinds.from)));
    this.#layer.fields.add(new gdal.FieldDefn('to_label', fieldType(labelKinds.to)));
    this.#layer.fields.add(new gdal.FieldDefn('measure', gdal.OFTReal));
  }

  add(
    id: number,
    fromLabel: Label,
    toLabel: Label,
    measure: number,
    geometry: Buffer | string,
  ): void {
    const feature = new gdal.Feature(this.#layer);
    feature.fields.set({ id, from_label: fromLabel, to_label: toLabel, measure });
    feature.setGeometry(
      typeof geometry === 'string'
        ? gdal.Geometry.fromGeoJson(JSON.parse(geometry) as object)
        : gdal.Geometry.fromWKB(geometry),
    );
    this.#layer.features.add(feature);
  }

  async finish(): Promise<string> {
    this.#close();
    await rename(this.#partial, this.path);
    return this.path;
  }

  async discard(): Promise<void> {
    try {
      this.#close();
    } finally {
      await rm(this.#partial, { force: true });
    }
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#dataset.close();
  }
}
