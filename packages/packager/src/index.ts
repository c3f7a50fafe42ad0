export { Packager, DEFAULT_SUCCESS_MESSAGE } from './packager.js';
export type {
  PackageJobResult,
  PackagerOptions,
  PackagerStatus,
  RequestStatus,
  Submission,
} from './packager.js';
export { EmailSpool } from './mail-spool.js';
export type { EmailRetryOptions } from './mail-spool.js';
export { backoffDelay, systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { parseTask, cacheParameters, requestedRecords } from './tasks.js';
export { MAX_JSON_DEPTH, MAX_JSON_VALUES, MAX_LENGTHS, MAX_TEXT } from './parameters.js';
export type { DatastoreTask, PackageTask, TaskKind, UrlTask } from './tasks.js';
export { openDatastore } from './ckan.js';
export type { CkanField, DatastoreQuery, DatastoreReader, DatastoreReadOptions } from './ckan.js';
export { openUrlDownload, urlFileName } from './url-source.js';
export type { UrlDownload, UrlDownloadOptions } from './url-source.js';
export { hostAllowed, hostNamed, parseTaskUrl } from './http.js';
export { checkResolvedHost, nonPublicRange } from './addresses.js';
export type { AllowedHosts } from './http.js';
export { buildPackage } from './build.js';
export type { BuildContext, BuildResult, BuildSettings, DwcSettings } from './build.js';
export { PackageStore } from './store.js';
export type { PackageStoreOptions, StoredPackage } from './store.js';
export { parseStatsQuery, StatsStore } from './stats.js';
export { EMAIL_STATUSES } from './stats.js';
export type {
  EmailOutcome,
  EmailState,
  EmailStatus,
  ErrorEntry,
  RequestEntry,
  SpooledEmail,
  ResourceTotals,
  StatsQuery,
  StatsStoreOptions,
} from './stats.js';
export {
  checkEmailTemplates,
  composeDownloadEmail,
  DEFAULT_EMAIL_TEMPLATES,
  EMAIL_PLACEHOLDERS,
} from './notify.js';
export type { DownloadNotice, EmailTemplates } from './notify.js';
export {
  DEFAULT_MEDIA_FIELDS,
  defaultEmlTemplate,
  loadDwcSettings,
  loadEmailTemplates,
} from './settings.js';
export {
  BadTaskParameterError,
  CkanError,
  DownloadTooLargeError,
  HostNotAllowedError,
  PrivateAddressError,
} from './errors.js';
export * from './writers/index.js';
