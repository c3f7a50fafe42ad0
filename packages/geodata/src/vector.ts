import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import gdal from 'gdal-async';
import { checkGeoJsonGeometries, GeoJsonSource } from './geojson.js';
import {
  DatasetNotFoundError,
  DuplicateLabelError,
  MalformedGeometryError,
  MissingFieldError,
  NotAVectorDatasetError,
  withoutPaths,
} from './errors.js';
import { setUpGdal } from './gdal.js';
import { wkbProblem } from './wkb.js';

/** The kind of geometry a dataset holds, as pandarus distinguishes them. */
export type GeometryFamily = 'polygon' | 'line' | 'point';

/** A label is a field value as JSON keeps it: integer fields stay numbers. */
export type Label = string | number | boolean | null;

/** pandarus (fiona) names for field types, used in output schemas. */
export type FieldKind =
  'str' | 'int' | 'float' | 'date' | 'datetime' | 'time' | 'bool' | 'bytes' | 'list';

export interface VectorFeature {
  /** 0-based position in the layer (pandarus's index), not the driver's feature id. */
  index: number;
  label: Label;
  /** In the dataset's CRS; null for a feature without geometry. */
  geometry: gdal.Geometry | null;
}

/**
 * The path GDAL should open: a `.zip` (of a shapefile and its sidecars, or of any single-file
 * format) is read in place through GDAL's /vsizip/ file system.
 */
export function gdalPath(path: string): string {
  if (/\.zip$/i.test(path)) return `/vsizip/${resolve(path)}`;
  return path;
}

/** One layer of a vector dataset: what every reader offers. Close it when done. */
export interface VectorDataset {
  readonly path: string;
  readonly layerName: string;
  readonly srs: gdal.SpatialReference | null;
  readonly featureCount: number;
  readonly fieldNames: readonly string[];
  /**
   * Point, line or polygon; null when the layer is empty, holds geometry collections, or mixes
   * kinds.
   */
  readonly family: GeometryFamily | null;
  /**
   * Throws a `MalformedGeometryError` naming the first feature whose geometry is malformed (a
   * position without two numbers, a coordinate that is not finite, a line of one position, a
   * ring of fewer than four or not closed), which the other methods skip or pass on as they
   * are. Invalid but well-formed geometries (self-intersections) are fine: pandarus repairs them.
   */
  checkGeometries(): void;
  /** The pandarus (fiona) type name of a field. */
  fieldKind(field: string): FieldKind;
  requireField(field: string): void;
  /** Features in layer order, with the value of `field` as their label. */
  features(field?: string): Generator<VectorFeature>;
  /** The same with each geometry as WKB (in the dataset's CRS): no geometry objects built. */
  featuresWkb(field?: string): Generator<VectorFeatureWkb>;
  /** Features in layer order with the values of several fields (in the order asked). */
  records(
    fields: readonly string[],
  ): Generator<{ index: number; values: Label[]; geometry: gdal.Geometry | null }>;
  /** Every feature's label, in order; throws DuplicateLabelError naming the first duplicate. */
  labels(field: string): Label[];
  close(): void;
}

export interface VectorFeatureWkb {
  index: number;
  label: Label;
  wkb: Buffer | null;
}

/** One layer of a vector dataset, read with GDAL/OGR. */
export class GdalVectorSource implements VectorDataset {
  readonly path: string;
  readonly layerName: string;
  readonly srs: gdal.SpatialReference | null;
  readonly featureCount: number;
  readonly fieldNames: readonly string[];
  readonly #dataset: gdal.Dataset;
  readonly #layer: gdal.Layer;
  #family: GeometryFamily | null | undefined;

  private constructor(path: string, dataset: gdal.Dataset, layer: gdal.Layer) {
    this.path = path;
    this.#dataset = dataset;
    this.#layer = layer;
    this.layerName = layer.name;
    this.srs = layer.srs;
    this.featureCount = layer.features.count(true);
    this.fieldNames = layer.fields.getNames();
  }

  static open(path: string, options: OpenVectorOptions = {}): GdalVectorSource {
    const zipPath = path.replace(/^\/vsizip\//, '');
    if (!existsSync(zipPath)) throw new DatasetNotFoundError(path);
    let dataset: gdal.Dataset;
    try {
      dataset = setUpGdal().open(gdalPath(path), 'r');
    } catch (error) {
      throw new NotAVectorDatasetError(path, cleanGdalMessage(error));
    }
    const count = dataset.layers.count();
    if (count === 0) {
      dataset.close();
      throw new NotAVectorDatasetError(path, 'it has no vector layer');
    }
    let layer: gdal.Layer | null = null;
    try {
      layer =
        options.layer === undefined ? dataset.layers.get(0) : dataset.layers.get(options.layer);
    } catch {
      layer = null;
    }
    if (layer === null) {
      const names = Array.from({ length: count }, (_, i) => dataset.layers.get(i).name);
      dataset.close();
      throw new NotAVectorDatasetError(
        path,
        `it has no layer ${JSON.stringify(options.layer)}; its layers are: ${names.join(', ')}`,
      );
    }
    return new GdalVectorSource(path, dataset, layer);
  }

  /** Taken from the layer's declared type, else from the features themselves. */
  get family(): GeometryFamily | null {
    if (this.#family === undefined) this.#family = this.#detectFamily();
    return this.#family;
  }

  #detectFamily(): GeometryFamily | null {
    const declared = familyOf(this.#layer.geomType);
    if (declared !== null) return declared;
    let found: GeometryFamily | null = null;
    for (const feature of this.#layer.features) {
      const geometry = feature.getGeometry();
      if (geometry === null || geometry.isEmpty()) continue;
      const family = familyOf(geometry.wkbType);
      if (family === null || (found !== null && family !== found)) return null;
      found = family;
    }
    return found;
  }

  checkGeometries(): void {
    // GDAL's GeoJSON driver drops a geometry it cannot parse without a word: read the text.
    if (this.#dataset.driver.description === 'GeoJSON' && existsSync(this.path))
      checkGeoJsonGeometries(this.path);
    let index = 0;
    for (const feature of this.#layer.features) {
      const geometry = feature.getGeometry();
      const problem = geometry === null || geometry.isEmpty() ? null : wkbProblem(geometry.toWKB());
      if (problem !== null) throw new MalformedGeometryError(this.path, index, problem);
      index++;
    }
  }

  fieldKind(field: string): FieldKind {
    this.requireField(field);
    if (!this.fieldNames.includes(field)) return 'str'; // an empty layer without fields
    const definition = this.#layer.fields.get(field);
    switch (definition.type) {
      case gdal.OFTInteger:
      case gdal.OFTInteger64:
        return 'int';
      case gdal.OFTReal:
        return 'float';
      case gdal.OFTDate:
        return 'date';
      case gdal.OFTDateTime:
        return 'datetime';
      case gdal.OFTTime:
        return 'time';
      case gdal.OFTBinary:
        return 'bytes';
      case gdal.OFTString:
      case gdal.OFTWideString:
        return 'str';
      default:
        return 'list';
    }
  }

  requireField(field: string): void {
    if (!this.fieldNames.includes(field) && !isEmptyWithoutFields(this))
      throw new MissingFieldError(this.path, field, this.fieldNames);
  }

  *features(field?: string): Generator<VectorFeature> {
    if (field !== undefined) this.requireField(field);
    let index = 0;
    for (const feature of this.#layer.features) {
      yield {
        index: index++,
        label: field === undefined ? null : toLabel(feature.fields.get(field)),
        geometry: feature.getGeometry(),
      };
    }
  }

  *featuresWkb(field?: string): Generator<VectorFeatureWkb> {
    for (const { index, label, geometry } of this.features(field)) {
      yield {
        index,
        label,
        wkb: geometry === null || geometry.isEmpty() ? null : geometry.toWKB(),
      };
    }
  }

  *records(
    fields: readonly string[],
  ): Generator<{ index: number; values: Label[]; geometry: gdal.Geometry | null }> {
    for (const field of fields) this.requireField(field);
    let index = 0;
    for (const feature of this.#layer.features) {
      yield {
        index: index++,
        values: fields.map((field) => toLabel(feature.fields.get(field))),
        geometry: feature.getGeometry(),
      };
    }
  }

  labels(field: string): Label[] {
    this.requireField(field);
    const labels: Label[] = [];
    const seen = new Map<Label, number>();
    let index = 0;
    for (const feature of this.#layer.features) {
      const label = toLabel(feature.fields.get(field));
      const previous = seen.get(label);
      if (previous !== undefined)
        throw new DuplicateLabelError(this.path, field, label, previous, index);
      seen.set(label, index);
      labels.push(label);
      index++;
    }
    return labels;
  }

  close(): void {
    this.#dataset.close();
  }
}

/**
 * A layer without features and without fields: an empty GeoJSON FeatureCollection, whose only
 * schema would be its features. It has every field asked for, with no values, so an empty
 * result stays usable (an intersection with no overlap, say) whatever the format.
 */
export function isEmptyWithoutFields(dataset: {
  readonly featureCount: number;
  readonly fieldNames: readonly string[];
}): boolean {
  return dataset.featureCount === 0 && dataset.fieldNames.length === 0;
}

export interface OpenVectorOptions {
  /** Layer name or 0-based index; default the first layer. */
  layer?: string | number;
  /**
   * `auto` (default) reads GeoJSON files up to 64 MB in JavaScript (about four times faster
   * than GDAL's driver), everything else and larger files with GDAL (streaming).
   */
  reader?: 'auto' | 'gdal';
}

export function openVector(path: string, options: OpenVectorOptions = {}): VectorDataset {
  if (options.reader !== 'gdal' && GeoJsonSource.accepts(path, options.layer))
    return GeoJsonSource.open(path);
  return GdalVectorSource.open(path, options);
}

/** The family of an OGR geometry type, ignoring Z/M; null for collections and unknown. */
export function familyOf(wkbType: number): GeometryFamily | null {
  switch (flatType(wkbType)) {
    case gdal.wkbPolygon:
    case gdal.wkbMultiPolygon:
      return 'polygon';
    case gdal.wkbLineString:
    case gdal.wkbMultiLineString:
    case 101: // wkbLinearRing
      return 'line';
    case gdal.wkbPoint:
    case gdal.wkbMultiPoint:
      return 'point';
    default:
      return null;
  }
}

/** The 2D base type: strips the old 25D bit and the ISO Z (1000s), M (2000s), ZM (3000s). */
export function flatType(wkbType: number): number {
  const withoutBit = wkbType & ~gdal.wkb25DBit & 0x7fffffff;
  return withoutBit >= 1000 ? withoutBit % 1000 : withoutBit;
}

/**
 * A field value as a label: strings, numbers and booleans as they are, null for none, big
 * integers as numbers, anything else (dates, lists) as its JSON text, stable and unique.
 */
export function toLabel(value: unknown): Label {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return value;
  if (typeof value === 'bigint') return Number(value);
  // Dates and lists: their JSON text is a stable, unique label.
  return JSON.stringify(value);
}

function cleanGdalMessage(error: unknown): string {
  return withoutPaths(
    String((error as Error).message ?? error)
      .replace(/^Error:\s*/, '')
      .trim(),
  );
}
