// @geoworks/http-client: the outbound HTTP client every geoworks package builds on.
export {
  HttpClient,
  type Exchange,
  type HttpClientOptions,
  type RedirectPolicy,
  type RequestBody,
  type RequestOptions,
} from './client.js';
export {
  backoffDelay,
  parseRetryAfter,
  retry,
  waitBeforeRetry,
  type RetryOptions,
  type RetryPolicy,
  type RetryWait,
} from './retry.js';
export { sleep, type Sleep } from './sleep.js';
export { readBytes, readJson, readText, type ReadBodyOptions } from './body.js';
export {
  AddressRefusedError,
  BodyTooLargeError,
  classifyNetworkError,
  describeChain,
  displayUrl,
  HostRefusedError,
  HttpTimeoutError,
  NetworkError,
  RedirectError,
  type NetworkFailure,
  type NetworkFailureKind,
} from './errors.js';
export { hostAllowed, hostNamed, type AllowedHosts } from './hosts.js';
export {
  addressCheckingAgent,
  nonPublicRange,
  refusedAddress,
  refusedLiteral,
  type AddressPolicy,
  type AddressRefusal,
} from './addresses.js';
export { CookieJar, cookieValue, removeCookie, setCookieLines, storeCookies } from './cookies.js';
