import type { CalcEngine, CalcJob, CalcOutput, ExportType } from '@geoworks/calc-engine';

const pad = (value: number) => String(value).padStart(2, '0');

/** `2024-08-01, 12:00:00 UTC`, as OpenQuake's list shows start times. */
export function listTime(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}, ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC`;
}

/** `2017-06-05 12:01:26`, as OpenQuake's job info shows times. */
export function infoTime(date: Date | null): string | null {
  if (date === null) return null;
  return date.toISOString().replace('T', ' ').replace('Z', '').slice(0, 19);
}

/** An item of /v1/calc/list and /v1/calc/:id/status. */
export function listItem(engine: CalcEngine, job: CalcJob, baseUrl: string) {
  const running = engine.isRunning(job);
  return {
    id: job.id,
    owner: job.owner,
    calculation_mode: job.calculationMode,
    status: job.status,
    is_running: running,
    description: job.description,
    url: `${baseUrl}/v1/calc/${job.id}`,
    parent_id: job.parentId,
    abortable: running,
    size_mb: job.sizeMb,
    start_time: listTime(job.startTime),
  };
}

/** /v1/calc/:id */
export function jobInfo(engine: CalcEngine, job: CalcJob) {
  return {
    user_name: job.owner,
    status: job.status,
    start_time: infoTime(job.startTime),
    stop_time: infoTime(job.stopTime),
    is_running: engine.isRunning(job),
  };
}

/** A log row: [timestamp (ISO, 22 characters), level, process, message]. */
export function logRow(row: {
  time: Date;
  level: string;
  process: string;
  message: string;
}): [string, string, string, string] {
  return [row.time.toISOString().slice(0, 22), row.level, row.process, row.message];
}

/** `<start>:<stop>` with empty bounds meaning the start and the end. */
export function parseSlice(slice: string): { start: number; stop: number | null } | null {
  const match = /^(\d*):(\d*)$/.exec(slice);
  if (match === null) return null;
  const start = match[1] === '' ? 0 : Number(match[1]);
  const stop = match[2] === '' ? null : Number(match[2]);
  // Past the safe integers a bound is no longer exact, and SQLite refuses it as a row number.
  if (!Number.isSafeInteger(start) || (stop !== null && !Number.isSafeInteger(stop))) return null;
  return { start, stop };
}

/** An item of /v1/calc/:id/results. */
export function outputItem(output: CalcOutput & { exportTypes: ExportType[] }, baseUrl: string) {
  return {
    id: output.id,
    name: output.name,
    type: output.key,
    outtypes: output.exportTypes,
    url: `${baseUrl}/v1/calc/result/${output.id}`,
    size_mb: output.sizeMb,
  };
}
