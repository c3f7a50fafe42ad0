import { basename, join, resolve } from 'node:path';
import gdal from 'gdal-async';
import { InvalidInputError } from '@geoworks/errors';
import { isEmptyWithoutFields, openVector, transformToWgs84, type Label } from '@geoworks/geodata';
import { sha256File, timestamp, writeResultFile } from '@geoworks/pandarus-format';
import type { DatasetInput } from './intersect.js';
import { UnsupportedGeometryError } from './errors.js';
import { cleanGeometry } from './geometry.js';
import { measureGeometry } from './measure.js';

export const INTERSECTION_FIELDS = ['id', 'from_label', 'to_label', 'measure'] as const;

export interface RemainingOptions {
  outDir: string;
  /** bzip2 the result (`.json.bz2`). Default false. */
  compress?: boolean;
  signal?: AbortSignal;
}

export interface RemainingResult {
  path: string;
  metadata: Record<string, unknown>;
}

/**
 * Checks that a vector file is an intersection output: pandarus's exact schema. An empty one
 * without fields is too: a GeoJSON intersection with no overlap has no feature to show its
 * schema by.
 */
export function checkIntersectionSchema(dataset: {
  path: string;
  featureCount: number;
  fieldNames: readonly string[];
  fieldKind(field: string): string;
}): void {
  if (isEmptyWithoutFields(dataset)) return;
  const names = [...dataset.fieldNames].sort();
  const expected = [...INTERSECTION_FIELDS].sort();
  if (names.length !== expected.length || names.some((name, i) => name !== expected[i])) {
    throw new InvalidInputError(
      `${basename(dataset.path)} is not an intersection file: its fields must be exactly ${INTERSECTION_FIELDS.join(', ')} (found ${dataset.fieldNames.join(', ') || 'none'})`,
      { code: 'NOT_AN_INTERSECTION_FILE' },
    );
  }
  if (dataset.fieldKind('id') !== 'int' || dataset.fieldKind('measure') !== 'float') {
    throw new InvalidInputError(
      `${basename(dataset.path)} is not an intersection file: "id" must be an integer field and "measure" a real one`,
      { code: 'NOT_AN_INTERSECTION_FILE' },
    );
  }
}

/**
 * pandarus's `calculate_remaining`: for each feature of `source`, the part of its measure not
 * covered by its intersections (those whose `from_label` is its label),
 * `(actual - union) * (sum of parts / union)`, or `actual` when it has none. Output
 * `<sha256(source)>.<sha256(intersection file)>.json[.bz2]`, every source feature in order.
 */
export async function calculateRemaining(
  source: DatasetInput,
  intersectionPath: string,
  options: RemainingOptions,
): Promise<RemainingResult> {
  const intersections = openVector(intersectionPath);
  const partsByLabel = new Map<Label, gdal.Geometry[]>();
  try {
    checkIntersectionSchema(intersections);
    const toWgs84 = transformToWgs84(intersections.srs);
    for (const { values, geometry } of intersections.records(['from_label'])) {
      if (geometry === null || geometry.isEmpty()) continue;
      if (toWgs84 !== null) geometry.transform(toWgs84);
      const label = values[0]!;
      const list = partsByLabel.get(label);
      if (list === undefined) partsByLabel.set(label, [geometry]);
      else list.push(geometry);
    }
  } finally {
    intersections.close();
  }

  const dataset = openVector(source.path, { layer: source.layer });
  try {
    const family = dataset.family;
    if (family === null && dataset.featureCount > 0)
      throw new UnsupportedGeometryError(source.path);
    dataset.labels(source.field); // uniqueness, before any work
    const toWgs84 = transformToWgs84(dataset.srs);
    const [sourceHash, intersectionHash] = await Promise.all([
      sha256File(source.path),
      sha256File(intersectionPath),
    ]);
    const metadata = {
      source: {
        field: source.field,
        filename: basename(source.path),
        path: resolve(source.path),
        sha256: sourceHash,
      },
      intersections: {
        field: 'id',
        filename: basename(intersectionPath),
        path: resolve(intersectionPath),
        sha256: intersectionHash,
      },
      when: timestamp(),
    };
    const kind = family ?? 'polygon';
    function* rows(): Generator<[Label, number]> {
      for (const { label, geometry } of dataset.features(source.field)) {
        options.signal?.throwIfAborted();
        if (geometry === null || geometry.isEmpty()) {
          yield [label, 0];
          continue;
        }
        if (toWgs84 !== null) geometry.transform(toWgs84);
        const actual = measureGeometry(cleanGeometry(geometry), kind);
        const parts = partsByLabel.get(label) ?? [];
        if (parts.length === 0) {
          yield [label, actual];
          continue;
        }
        const individual = parts.reduce((sum, part) => sum + measureGeometry(part, kind), 0);
        const union = measureGeometry(unionAll(parts, kind), kind);
        yield [label, union === 0 ? actual : (actual - union) * (individual / union)];
      }
    }
    const path = await writeResultFile(
      join(options.outDir, `${sourceHash}.${intersectionHash}.json`),
      rows(),
      metadata,
      {
        compress: options.compress ?? false,
      },
    );
    return { path, metadata };
  } finally {
    dataset.close();
  }
}

function unionAll(parts: gdal.Geometry[], family: string): gdal.Geometry {
  if (parts.length === 1) return parts[0]!;
  if (family === 'polygon') {
    const collection = new gdal.MultiPolygon();
    for (const part of parts) {
      for (const polygon of part instanceof gdal.GeometryCollection ? part.children : [part])
        collection.children.add(polygon);
    }
    return cleanGeometry(collection.unionCascaded());
  }
  return cleanGeometry(parts.reduce((union, part) => union.union(part)));
}
