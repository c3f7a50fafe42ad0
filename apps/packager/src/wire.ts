import { deserializeError } from '@geoworks/errors';
import type { Packager } from '@geoworks/packager';
import {
  type FormattedError,
  httpStatusFor,
  type InputProblem,
  type PublicError,
} from '@geoworks/service-kit';
import type { Request } from 'express';

// ckanpackager's wire format: its error bodies and names, its words for bad parameters, and
// the snake_case status of a request.

/** ckanpackager's words for a parameter that is missing or bad. */
export function describeProblem(problem: InputProblem): string | undefined {
  const name = `Parameter ${problem.name}`;
  if (problem.in === 'query' || problem.in === 'path') return undefined;
  if (problem.problem === 'missing') return `${name} is required`;
  if (problem.problem === 'repeated') return `${name} must be given once, not as a list`;
  if (problem.schema.type === 'integer' && problem.schema.maximum === undefined)
    return `${name} must be a whole number >= 0`;
  return `${name} ${problem.expected === 'must be text' ? 'must be a string' : problem.expected}`;
}

// The ckanpackager wire names of our error kinds.
const ERROR_NAMES: Record<number, string> = {
  400: 'BadRequestError',
  401: 'NotAuthorizedError',
  403: 'ForbiddenError',
  404: 'NotFoundError',
  413: 'RequestTooLargeError',
  415: 'UnsupportedMediaTypeError',
  503: 'ServiceUnavailableError',
};

function errorName(status: number): string {
  return ERROR_NAMES[status] ?? (status >= 500 ? 'InternalServerError' : 'RequestError');
}

/** ckanpackager's error body: `{"status": "failed", "error": <name>, "message": ...}`. */
export function formatError(
  _error: unknown,
  status: number,
  _req: Request,
  view: PublicError,
): FormattedError {
  return { body: { status: 'failed', error: errorName(status), message: view.message } };
}

/** A request's status in the wire style of the other answers (snake_case, ckanpackager's error names). */
export async function requestStatusBody(
  packager: Packager,
  jobId: string,
): Promise<Record<string, unknown>> {
  const request = await packager.requestStatus(jobId);
  const failure = request.error === null ? null : deserializeError(request.error);
  const status = failure === null ? undefined : httpStatusFor(failure);
  const email = request.email;
  return {
    job_id: request.jobId,
    status: request.status,
    queue: request.queue,
    resource_id: request.resourceId,
    error:
      request.error === null
        ? null
        : { error: errorName(status!), status, message: request.error.message },
    email_status: email?.status ?? null,
    email_attempts: email?.attempts ?? 0,
    email_error: email?.error ?? null,
    email_next_attempt:
      email?.nextAttemptAt == null ? null : new Date(email.nextAttemptAt).toISOString(),
  };
}
