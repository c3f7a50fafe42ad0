/** Errors service-kit raises while reading a request (its parameters, body or uploads). */
const requestErrors = new WeakSet<object>();

/** Notes that `error` refuses the request as sent, before any use case ran. */
export function markRequestError<T extends object>(error: T): T {
  requestErrors.add(error);
  return error;
}

/**
 * True for the errors service-kit raises while reading a request: a parameter or field that
 * does not fit its declaration, a malformed or oversized upload. `errorHandler`'s
 * `statusByKind` leaves them alone, so an app can re-map the kinds its use cases throw without
 * changing how a malformed request is answered.
 */
export function isRequestError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && requestErrors.has(error);
}
