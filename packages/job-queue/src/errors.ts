import {
  AbortedError,
  ConflictError,
  GeoworksError,
  InvalidInputError,
  NotFoundError,
  TimeoutError,
  UnavailableError,
} from '@geoworks/errors';

export class UnknownJobTypeError extends InvalidInputError {
  constructor(type: string, known: readonly string[]) {
    super(
      `Unknown job type "${type}"; known types: ${known.length > 0 ? known.join(', ') : '(none)'}`,
      { code: 'UNKNOWN_JOB_TYPE', details: { type, known } },
    );
  }
}

export class UnknownQueueError extends InvalidInputError {
  constructor(queue: string, known: readonly string[]) {
    super(`Unknown queue "${queue}"; queues: ${known.join(', ')}`, {
      code: 'UNKNOWN_QUEUE',
      details: { queue, known },
    });
  }
}

/** A payload or a result that cannot be stored as JSON (functions, cycles, BigInt, ...). */
export class UnserializableValueError extends InvalidInputError {
  constructor(what: string, path: string, reason: string) {
    super(`${what} cannot be serialised: ${path} ${reason}`, {
      code: 'UNSERIALISABLE',
      details: { path, reason },
    });
  }
}

export class JobNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`No job with id "${id}"`, { code: 'JOB_NOT_FOUND', details: { id } });
  }
}

export class JobAbortedError extends AbortedError {
  constructor(reason = 'aborted on request') {
    super(`Job aborted: ${reason}`, { code: 'JOB_ABORTED' });
  }
}

export class JobTimeoutError extends TimeoutError {
  constructor(timeoutMs: number) {
    super(`Job timed out after ${timeoutMs} ms`, {
      code: 'JOB_TIMEOUT',
      details: { timeoutMs },
    });
  }
}

/** The worker thread or process running a job died (killed, out of memory, crashed). */
export class WorkerCrashedError extends GeoworksError {
  constructor(description: string) {
    super('internal', `The worker running the job ${description}`, { code: 'WORKER_CRASHED' });
  }
}

/** The process that ran a job stopped before the job ended (found at the next start-up). */
export class JobInterruptedError extends GeoworksError {
  constructor(description: string) {
    super('internal', `The job was interrupted: ${description}`, { code: 'JOB_INTERRUPTED' });
  }
}

/** Another live process owns this SQLite queue. */
export class QueueLockedError extends ConflictError {
  constructor(file: string, owner: string) {
    super(`Job queue ${file} is in use by ${owner}; only one process may run it`, {
      code: 'QUEUE_LOCKED',
    });
  }
}

/**
 * The queue's store cannot be reached now (Redis down or not answering). Nothing was done;
 * the same call may work once it is back, which `retryAfterSeconds` suggests waiting for.
 */
export class QueueUnavailableError extends UnavailableError {
  constructor(reason: string, retryAfterSeconds: number, cause?: unknown) {
    super(`The job queue is unavailable (${reason}); try again shortly`, {
      code: 'QUEUE_UNAVAILABLE',
      details: { retryAfterSeconds },
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

/**
 * The queue no longer knows a job that was queued or running: its Redis state was lost (a
 * restart without persistence, a flush) or removed by hand. Nothing will ever report its end.
 */
export class JobLostError extends GeoworksError {
  constructor(id: string, was: string) {
    super(
      'internal',
      `The job queue lost job ${id} while it was ${was} (its Redis state is gone, for example after Redis restarted without its data); it was stopped and must be run again`,
      { code: 'JOB_LOST', details: { id } },
    );
  }
}

export class QueueClosedError extends UnavailableError {
  constructor() {
    super('The job queue is closed', { code: 'QUEUE_CLOSED' });
  }
}

/** A job type definition itself is wrong (caught when the queue is created). */
export class JobTypeDefinitionError extends InvalidInputError {
  constructor(message: string) {
    super(message, { code: 'BAD_JOB_TYPE' });
  }
}
