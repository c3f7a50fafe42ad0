import { ForbiddenError, InvalidInputError, NotFoundError } from '@geoworks/errors';

/** A job.ini or an archive that cannot be run; the message is what the client sees. */
export class JobConfigError extends InvalidInputError {
  constructor(message: string, code = 'BAD_JOB') {
    super(message, { code });
  }
}

export class UnknownCalculationError extends NotFoundError {
  constructor(id: number) {
    super(`Unknown job ${id}`, { code: 'UNKNOWN_JOB', details: { id } });
  }
}

export class CalculationPermissionError extends ForbiddenError {
  constructor(message: string) {
    super(message, { code: 'NO_PERMISSION' });
  }
}
