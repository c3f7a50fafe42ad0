// flux-server's wire format of errors: plain text, and the original's words for parameters that
// do not fit their declaration.
import type { Request } from 'express';
import type { FormattedError, InputProblem, PublicError } from '@geoworks/service-kit';

/**
 * The schema keyword of a required parameter that says what it is required for: service-kit
 * refuses it when absent or empty (`minLength: 1`), and the message says `time is required for
 * a GeoTIFF map`.
 */
export const REQUIRED_FOR = 'x-required-for';

/** flux-server answers errors as plain text. */
export function formatError(
  _error: unknown,
  _status: number,
  _req: Request,
  view: PublicError,
): FormattedError {
  return { body: view.message };
}

/**
 * The flux API's words for a query parameter service-kit refuses: a required one absent or
 * empty, or a value outside its choices (`''`, which stands for an absent value, is not named
 * among them). A parameter given twice keeps service-kit's words.
 */
export function describeProblem(problem: InputProblem): string | undefined {
  const { name, schema } = problem;
  if (problem.problem === 'repeated') return undefined;
  const requiredFor = schema[REQUIRED_FOR];
  if (typeof requiredFor === 'string') return `${name} is required ${requiredFor}`;
  if (Array.isArray(schema.enum)) {
    const choices = schema.enum.filter((choice) => choice !== '').join(', ');
    return `${name} must be one of ${choices}, not "${problem.value}"`;
  }
  return undefined;
}
