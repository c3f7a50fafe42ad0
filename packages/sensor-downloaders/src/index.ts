// @geoworks/sensor-downloaders: one interface to search and download satellite scenes.
export {
  AuthenticationError,
  DownloadCancelled,
  DownloadError,
  IntegrityError,
  NotActivatableError,
  ProviderError,
  SearchParameterError,
  StalledTransferError,
} from './errors.js';
export {
  Scene,
  SearchIterator,
  type SceneInit,
  type SceneQuery,
  type SearchPage,
  type PageFetcher,
} from './search.js';
export { SensorApi, type NormalizedQuery } from './sensor-api.js';
export {
  Downloader,
  DownloadResult,
  FailedDownload,
  type DownloaderOptions,
  type DownloadOptions,
  type SceneProgress,
} from './download.js';
export {
  BulkDownloader,
  downloadAll,
  type BulkDownloadOptions,
  type BulkProgress,
  type BulkSummary,
} from './bulk.js';
export {
  HttpClient,
  type AuthProvider,
  type HttpClientOptions,
  type RequestOptions,
  type RetryPolicy,
} from './http/client.js';
export {
  fetchFile,
  safeFileName,
  type FetchedFile,
  type FetchFileOptions,
  type RemoteFile,
} from './http/download.js';
export { ArchiveError, archiveKind, extractArchive } from './archive.js';
export {
  AoiError,
  AoiFileNotFoundError,
  bboxPolygon,
  polygonsOf,
  resolveAoi,
  type Aoi,
  type AoiInput,
  type Bbox,
} from './aoi.js';
export {
  InvalidShapeIdError,
  segmentBoundingCorners,
  segmentBoundingGeoJson,
  shapeToGeoJson,
  toGeoJsonPolygon,
  toGeoJsonPolygonString,
} from './vector.js';
export { Cmr, type CmrOptions } from './providers/cmr.js';
export { Copernicus, type CopernicusOptions } from './providers/copernicus.js';
export { Usgs, UsgsEtm, UsgsOt, UsgsTm, type UsgsOptions } from './providers/usgs.js';
export { Planet, type PlanetOptions } from './providers/planet.js';
export {
  createInstance,
  CredentialsError,
  hasCredentials,
  SENSOR_NAMES,
  SENSOR_REGISTRY,
  type Credentials,
  type SensorRegistration,
} from './registry.js';
export { AggregateSearch, AggregateSensorApi, type ProviderFailure } from './aggregate.js';
