// Configuration is @geoworks/config's, shared with the command-line tools; re-exported so an
// app's start reads all it needs from here.
export {
  ConfigError,
  defineConfig,
  describeConfig,
  geoworksDataDir,
  loadConfig,
  withServiceDataDir,
} from '@geoworks/config';
export type {
  BooleanField,
  BytesField,
  ConfigField,
  ConfigFieldType,
  ConfigFieldValue,
  ConfigProblem,
  ConfigSchema,
  ConfigValues,
  DurationField,
  EnumField,
  Env,
  IntegerField,
  ListField,
  NumberField,
  PathField,
  StringField,
  UrlField,
} from '@geoworks/config';
export { RouteDefinitionError } from './errors.js';
export { createLogger, LOG_LEVEL_CONFIG, LOG_LEVELS, requestLogger } from './logger.js';
export type { CreateLoggerOptions, LogLevel } from './logger.js';
export type { Logger } from 'pino';
export { errorHandler, httpStatusFor, notFoundHandler, publicError } from './http-errors.js';
export type {
  ErrorFormatter,
  ErrorHandlerOptions,
  FormattedError,
  PublicError,
  StatusByKind,
} from './http-errors.js';
export { isRequestError } from './request-errors.js';
export { attachment, RangeNotSatisfiableError, sendDownload } from './download.js';
export type { DownloadOptions } from './download.js';
export { receiveUploads, uploadLimits } from './uploads.js';
export {
  DEFAULT_HTTP_LIMITS,
  DEFAULT_UPLOAD_LIMITS,
  httpConfig,
  httpLimits,
  uploadConfig,
} from './http-limits.js';
export type { HttpLimits, UploadLimits } from './http-limits.js';
export type { ReceiveUploadsOptions, UploadedFile, Uploads } from './uploads.js';
export { safeFileName } from './safe-filename.js';
export { listen } from './listen.js';
export type { Closer, ListenOptions, ServerHandle } from './listen.js';
export { handleShutdownSignals, runService } from './signals.js';
export { mailTransportOptions, SMTP_CONFIG } from './smtp-config.js';
export type { MailTransportOptions } from './smtp-config.js';
export type { ShutdownSignalOptions } from './signals.js';
export { binaryResponse, createApi, jsonResponse, textResponse } from './openapi.js';
export { BadParameterError } from './parameters.js';
export type { InputOptions } from './parameters.js';
export { defaultProblemMessage } from './input-schema.js';
export type {
  InputProblem,
  InputSource,
  PathValues,
  ProblemDescriber,
  QueryValues,
  SchemaValue,
} from './input-schema.js';
export type { UploadSpec } from './request-body.js';
export type {
  Api,
  ApiInfo,
  HttpMethod,
  JsonSchema,
  OpenApiDocument,
  OpenApiMediaType,
  OpenApiOperation,
  OpenApiParameter,
  OpenApiRequestBody,
  OpenApiResponse,
  PathParams,
  RouteHandler,
  RouteRequest,
  RouteSpec,
} from './openapi.js';
export { createApp } from './app.js';
export { serveApp } from './serve.js';
export type { ServeAppOptions } from './serve.js';
export type { CreateAppOptions } from './app.js';
export { recordRouteAnswers } from './answers.js';
export type { RouteAnswer, RouteAnswerRecorder } from './answers.js';
export { jobQueueConfig } from './queue-config.js';
