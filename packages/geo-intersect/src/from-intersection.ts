import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InvalidInputError, NotFoundError } from '@geoworks/errors';
import { openVector, type Label } from '@geoworks/geodata';
import { readResultFile, sha256File, timestamp, writeResultFile } from '@geoworks/pandarus-format';
import { checkIntersectionSchema, INTERSECTION_FIELDS } from './remaining.js';

export interface FromIntersectionOptions {
  /** The intersection's JSON data file; default: beside the vector file, `.json` then `.json.bz2`. */
  metadataPath?: string;
  outDir: string;
}

export interface FromIntersectionResult {
  /** `[id, from_label, measure]` rows: the new dataset against the first input. */
  firstPath: string;
  /** `[id, to_label, measure]` rows: the new dataset against the second input. */
  secondPath: string;
}

interface IntersectionData {
  metadata?: {
    first?: Record<string, unknown> & { sha256?: string };
    second?: Record<string, unknown> & { sha256?: string };
  };
}

/**
 * pandarus's `intersections_from_intersection`: treats an intersection's vector file as a new
 * dataset (features named by `id`) and writes its intersections with each of the two inputs,
 * which are the intersected pieces themselves. Always bzip2, as pandarus writes them:
 * `<sha256(vector)>.<sha256(first)>.json.bz2` and `<sha256(vector)>.<sha256(second)>.json.bz2`.
 */
export async function intersectionsFromIntersection(
  vectorPath: string,
  options: FromIntersectionOptions,
): Promise<FromIntersectionResult> {
  const metadataPath = options.metadataPath ?? findMetadataFile(vectorPath);
  if (!existsSync(metadataPath))
    throw new NotFoundError(`No such metadata file: ${basename(metadataPath)}`);
  const { metadata } = await readResultFile<IntersectionData>(metadataPath);
  const first = metadata?.first;
  const second = metadata?.second;
  if (typeof first?.sha256 !== 'string' || typeof second?.sha256 !== 'string') {
    throw new InvalidInputError(
      `${basename(metadataPath)} has no metadata.first and metadata.second with their sha256`,
    );
  }
  const dataset = openVector(vectorPath);
  const rows: { id: Label; from: Label; to: Label; measure: Label }[] = [];
  try {
    checkIntersectionSchema(dataset);
    for (const { values } of dataset.records(INTERSECTION_FIELDS)) {
      const [id, from, to, measure] = values as [Label, Label, Label, Label];
      rows.push({ id, from, to, measure });
    }
  } finally {
    dataset.close();
  }
  const vectorHash = await sha256File(vectorPath);
  const self = {
    field: 'id',
    path: vectorPath,
    filename: basename(vectorPath),
    sha256: vectorHash,
  };
  const when = timestamp();
  const firstPath = await writeResultFile(
    join(options.outDir, `${vectorHash}.${first.sha256}.json`),
    rows.map((row) => [row.id, row.from, row.measure]),
    { first: self, second: first, when },
    { compress: true },
  );
  const secondPath = await writeResultFile(
    join(options.outDir, `${vectorHash}.${second.sha256}.json`),
    rows.map((row) => [row.id, row.to, row.measure]),
    { first: self, second, when },
    { compress: true },
  );
  return { firstPath, secondPath };
}

function findMetadataFile(vectorPath: string): string {
  const stem = vectorPath.replace(/\.[^./]+$/, '');
  for (const candidate of [`${stem}.json`, `${stem}.json.bz2`])
    if (existsSync(candidate)) return candidate;
  throw new NotFoundError(
    `Can't find the metadata file of ${basename(vectorPath)} (${basename(stem)}.json or .json.bz2)`,
  );
}
