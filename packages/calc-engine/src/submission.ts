// A submission made ready to run: its inputs placed in the job folder and its job.ini read
// against the calculation modes and the server's limits. Anything wrong is a JobConfigError.
import { existsSync } from 'node:fs';
import { copyFile, readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { extractArchive, type ArchiveLimits } from './archive.js';
import type { SubmitRequest } from './engine-types.js';
import { JobConfigError } from './errors.js';
import { parseJobIni } from './ini.js';
import type { CalculationMode, ParameterValue } from './modes/types.js';
import { resolveParameters, type JobLimits } from './params.js';
import { shortName, systemErrorText } from './public-text.js';

export async function placeInputs(
  request: SubmitRequest,
  dir: string,
  archiveLimits: ArchiveLimits | undefined,
): Promise<void> {
  if (request.archive !== undefined) {
    await extractArchive(request.archive, dir, archiveLimits);
  }
  for (const file of request.files ?? []) {
    const name = basename(file.name.replaceAll('\\', '/'));
    if (name === '' || name.startsWith('.'))
      throw new JobConfigError(`Bad input file name ${shortName(file.name)}`, 'BAD_FILE_NAME');
    try {
      await copyFile(file.path, join(dir, name));
    } catch (error) {
      // Named by the client's name: the system's message shows the server paths.
      const problem = systemErrorText(error);
      if (problem === null) throw error;
      throw new JobConfigError(
        `The input file ${shortName(name)} cannot be stored: ${problem}`,
        'BAD_FILE_NAME',
      );
    }
  }
}

export async function readJob(
  dir: string,
  jobIni: string | undefined,
  modes: ReadonlyMap<string, CalculationMode>,
  limits: JobLimits,
): Promise<{
  mode: CalculationMode;
  description: string;
  params: Record<string, ParameterValue>;
}> {
  const iniName = jobIni ?? (await findIni(dir));
  if (iniName === null)
    throw new JobConfigError('There are no .ini files in the archive', 'NO_INI');
  const iniPath = join(dir, basename(iniName));
  if (!existsSync(iniPath))
    throw new JobConfigError(`No such file: ${basename(iniName)}`, 'NO_SUCH_FILE');
  const raw = parseJobIni(await readFile(iniPath, 'utf8'), basename(iniName));
  const description = raw.description ?? '';
  if (description.trim() === '')
    throw new JobConfigError(
      `${basename(iniName)}: description must not be empty`,
      'NO_DESCRIPTION',
    );
  const modeName = raw.calculation_mode ?? '';
  const mode = modes.get(modeName);
  if (mode === undefined) {
    throw new JobConfigError(
      `${basename(iniName)}: calculation_mode ${modeName === '' ? 'is missing' : `"${modeName}" is unknown`}; known: ${[...modes.keys()].join(', ')}`,
      'UNKNOWN_MODE',
    );
  }
  return {
    mode,
    description,
    params: resolveParameters(raw, mode, dir, basename(iniName), limits),
  };
}

async function findIni(dir: string): Promise<string | null> {
  const names = (await readdir(dir)).filter((name) => name.toLowerCase().endsWith('.ini')).sort();
  // job.ini first, as OpenQuake prefers it.
  return names.includes('job.ini') ? 'job.ini' : (names[0] ?? null);
}
