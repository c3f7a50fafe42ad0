import type { JobContext, JobLogger, LogLevel } from '../types.js';

export interface ContextSinks {
  log(level: LogLevel, message: string): void;
  progress(percent: number): void;
}

/** Builds the context a handler sees, the same inline, in a thread or in a process. */
export function createJobContext(
  job: { jobId: string; type: string; attempt: number },
  signal: AbortSignal,
  sinks: ContextSinks,
): JobContext {
  const write = (level: LogLevel) => (message: string) => sinks.log(level, String(message));
  const log: JobLogger = {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    critical: write('critical'),
  };
  return {
    jobId: job.jobId,
    type: job.type,
    attempt: job.attempt,
    signal,
    log,
    progress(percent: number) {
      if (typeof percent !== 'number' || !Number.isFinite(percent)) return;
      sinks.progress(Math.min(100, Math.max(0, percent)));
    },
  };
}
