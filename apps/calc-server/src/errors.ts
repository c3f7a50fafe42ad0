import { JobSubmitError } from '@geoworks/calc-engine';
import { ForbiddenError } from '@geoworks/errors';
import {
  BadParameterError,
  type FormattedError,
  type InputProblem,
  type PublicError,
} from '@geoworks/service-kit';
import type { Request } from 'express';

/** A login refused for a wrong username or password, or a disabled account (403 text). */
export class LoginRefusedError extends ForbiddenError {
  constructor(reason: 'invalid' | 'disabled') {
    super(reason === 'disabled' ? 'Disabled account' : 'Invalid login', {
      code: reason === 'disabled' ? 'DISABLED_ACCOUNT' : 'INVALID_LOGIN',
    });
  }
}

/**
 * The calc-server's wire format of errors, in one place: OpenQuake's `{"error": message}`; a
 * run that could not start as `{traceback, job_id}` (500, the job exists and failed); and the
 * refusals OpenQuake's views answer as bare text: a refused login and a missing form field.
 */
export function formatError(
  error: unknown,
  _status: number,
  _req: Request,
  view: PublicError,
): FormattedError {
  if (error instanceof JobSubmitError) {
    return { body: { traceback: error.traceback, job_id: error.jobId } };
  }
  const text =
    error instanceof LoginRefusedError ||
    (error instanceof BadParameterError &&
      error.problem.in === 'form' &&
      error.problem.problem === 'missing');
  return text
    ? { body: view.message, contentType: 'text/plain; charset=utf-8' }
    : { body: { error: view.message } };
}

/** OpenQuake's own words for the fields its views check by hand; others keep service-kit's. */
export function describeProblem(problem: InputProblem): string | undefined {
  if (problem.name === 'archive' && problem.problem === 'missing') return 'Missing archive file';
  if (problem.name === 'xml_text' && problem.problem === 'missing')
    return 'Please provide the "xml_text" parameter';
  if (problem.name === 'hazard_job_id' && problem.problem === 'invalid')
    return `hazard_job_id must be a job id (a decimal integer), not ${JSON.stringify(problem.value ?? '')}`;
  return undefined;
}
