// How the Redis backend maps BullMQ's jobs and log lines to this package's, apart from the
// queue logic that reads and writes them.
import type { Job as BullJob, JobType as BullState } from 'bullmq';
import type { Redis } from 'ioredis';
import { UpstreamError, type SerializedError } from '@geoworks/errors';
import type { Job, JobStatus, LogLevel, LogLine } from '../types.js';

export const QUEUED_STATES: BullState[] = [
  'waiting',
  'delayed',
  'prioritized',
  'waiting-children',
  'paused',
];
export const STATES_BY_STATUS: Record<JobStatus, BullState[]> = {
  queued: QUEUED_STATES,
  started: ['active'],
  finished: ['completed'],
  failed: ['failed'],
  aborted: ['failed', ...QUEUED_STATES],
};

/**
 * A BullMQ job as this package's Job, with the marks kept beside it in Redis: whether it was
 * aborted (and when) and the error of its last failed attempt.
 */
export function toJob(
  job: BullJob,
  state: BullState | 'unknown',
  abortMark: string | null,
  storedError: string | null,
): Job {
  const id = job.id!;
  const data = job.data as { payload: unknown; key: string | null; timeoutMs: number | null };
  const abort =
    abortMark === null ? null : (JSON.parse(abortMark) as { at: number; error: SerializedError });
  let status: JobStatus;
  if (state === 'completed') status = 'finished';
  else if (state === 'active') status = 'started';
  else if (state === 'failed') status = abort !== null ? 'aborted' : 'failed';
  else status = abort !== null ? 'aborted' : 'queued';
  const error =
    status === 'aborted'
      ? abort!.error
      : status === 'failed' || (status === 'queued' && job.attemptsMade > 0)
        ? storedError !== null
          ? (JSON.parse(storedError) as SerializedError)
          : {
              name: 'Error',
              message: job.failedReason ?? 'failed',
              ...(job.stacktrace?.[0] ? { stack: job.stacktrace[0] } : {}),
            }
        : null;
  const progress = typeof job.progress === 'number' ? job.progress : 0;
  return {
    id,
    type: job.name,
    queue: job.queueName,
    key: data.key ?? null,
    status,
    payload: data.payload,
    progress: status === 'finished' ? 100 : progress,
    result: status === 'finished' ? ((job.returnvalue as unknown) ?? null) : null,
    error,
    // BullMQ counts an attempt when it ends (not when handed back); a running one is the next.
    attempt: state === 'active' ? job.attemptsMade + 1 : job.attemptsMade,
    maxAttempts: job.opts.attempts ?? 1,
    timeoutMs: data.timeoutMs ?? null,
    createdAt: new Date(job.timestamp),
    startedAt:
      job.processedOn === undefined || job.processedOn === null ? null : new Date(job.processedOn),
    finishedAt:
      status === 'aborted' && state !== 'failed'
        ? new Date(abort!.at)
        : job.finishedOn === undefined || job.finishedOn === null
          ? null
          : new Date(job.finishedOn),
  };
}

export function logText(level: LogLevel, source: string, message: string): string {
  return JSON.stringify({ t: Date.now(), l: level, s: source, m: message });
}

export function parseLogLine(text: string, index: number): LogLine {
  try {
    const line = JSON.parse(text) as { t: number; l: LogLevel; s: string; m: string };
    return { index, time: new Date(line.t), level: line.l, source: line.s, message: line.m };
  } catch {
    // A line written by something else than this package (job.log in user code).
    return { index, time: new Date(0), level: 'info', source: 'unknown', message: text };
  }
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** Waits for `promise`, but no longer than `ms`. */
export async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Claim a dedupe key: set it when it still holds the value we read (false: absent). */
const CLAIM_KEY_SCRIPT = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if (current == false and ARGV[2] == '') or current == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
return 0`;

/** A key claimed this recently whose job is not visible yet is being added by someone else. */
const CLAIM_IN_FLIGHT_MS = 10_000;

/**
 * Deduplication on Redis: returns the id of the live job holding `key` (queued, started or
 * finished, or being added by another process right now), or null after claiming the key for
 * `id`, atomically against other processes doing the same.
 */
export async function claimKey(
  redis: Redis,
  keysHash: string,
  key: string,
  id: string,
  get: (id: string) => Promise<Job | null>,
): Promise<string | null> {
  for (let round = 0; round < 10; round++) {
    const current = await redis.hget(keysHash, key);
    if (current !== null) {
      const [existingId = '', claimedAt = '0'] = current.split('|');
      const existing = await get(existingId);
      if (existing === null) {
        if (Date.now() - Number(claimedAt) < CLAIM_IN_FLIGHT_MS) return existingId;
      } else if (
        existing.status === 'queued' ||
        existing.status === 'started' ||
        existing.status === 'finished'
      ) {
        return existingId;
      }
    }
    const claimed = await redis.eval(
      CLAIM_KEY_SCRIPT,
      1,
      keysHash,
      key,
      current ?? '',
      `${id}|${Date.now()}`,
    );
    if (claimed === 1) return null;
  }
  throw new UpstreamError(`Could not claim job key "${key}": too much contention`);
}
