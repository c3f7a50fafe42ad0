export {
  AbortedError,
  ConflictError,
  deserializeError,
  ForbiddenError,
  GeoworksError,
  InvalidInputError,
  isGeoworksError,
  NotFoundError,
  NotImplementedError,
  serializeError,
  TimeoutError,
  TooLargeError,
  UnauthorizedError,
  UnavailableError,
  UnsupportedMediaTypeError,
  UpstreamError,
} from './errors.js';
export type { ErrorKind, GeoworksErrorOptions, SerializedError } from './errors.js';
