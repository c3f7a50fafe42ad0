import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import type { CalcEngine, CalcStatus } from '../src/index.js';

/** A job.zip with the given files: name -> content (string or a path to copy). */
export async function jobZip(
  dir: string,
  name: string,
  files: Record<string, string | { path: string }>,
): Promise<string> {
  const path = join(dir, name);
  const archive = new ZipArchive();
  const done = pipeline(archive, createWriteStream(path));
  for (const [entry, content] of Object.entries(files)) {
    archive.append(typeof content === 'string' ? content : readFileSync(content.path), {
      name: entry,
    });
  }
  await archive.finalize();
  await done;
  return path;
}

const ENDED: CalcStatus[] = ['complete', 'failed', 'aborted', 'deleted'];

export async function waitForJob(
  engine: CalcEngine,
  id: number,
  timeoutMs = 30_000,
): Promise<CalcStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = engine.job(id).status;
    if (ENDED.includes(status)) return status;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const intersectionIni = (extra = '') => `[general]
description = Grid x square
calculation_mode = intersection

[inputs]
first_file = grid.geojson
first_field = name
second_file = square.geojson
second_field = name
cpus = 0
${extra}`;
