export { CalcEngine } from './engine.js';
export { JobSubmitError } from './engine-types.js';
export type {
  Actor,
  CalcEngineOptions,
  LogRow,
  SubmitRequest,
  SubmittedFile,
} from './engine-types.js';
export type { CalcJob, CalcOutput, CalcStatus } from './store.js';
export { exportArchive } from './exports.js';
export type { ExportDownload } from './exports.js';
export { CalculationPermissionError, JobConfigError, UnknownCalculationError } from './errors.js';
export { extractArchive, safeTarget, DEFAULT_LIMITS } from './archive.js';
export type { ArchiveLimits } from './archive.js';
export { isFileKey, parseJobIni } from './ini.js';
export { iniDefaults } from './params.js';
export { onSameFileSystem } from './same-fs.js';
export { validateXml } from './xml.js';
export type { XmlValidation } from './xml.js';
export { defineCalculationMode } from './modes/types.js';
export type {
  CalculationMode,
  ExportType,
  ExtractContext,
  OutputSpec,
  ParameterSpec,
  ParameterType,
  ParameterValue,
  ParentJob,
  ProducedOutput,
  RunContext,
} from './modes/types.js';
export { intersectionMode } from './modes/intersection.js';
export { remainingMode } from './modes/remaining.js';
export { rasterStatsMode } from './modes/raster-stats.js';
export { BUILT_IN_MODES } from './modes/built-in.js';
