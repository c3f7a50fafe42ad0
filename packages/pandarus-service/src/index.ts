export { PandarusService } from './service.js';
export { displayName, safeDatasetName } from './names.js';
export type {
  CalculationKind,
  PandarusServiceOptions,
  ReceivedFile,
  UploadFields,
  UploadResult,
} from './service.js';
export { Catalog } from './catalog.js';
export type { CatalogSummary, DatasetKind, FileRecord, IntersectionRecord } from './catalog.js';
