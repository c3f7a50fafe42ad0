// The original's models by name, as flux-manage's -m names them.
import { CovarianceMatrix } from './covariance.js';
import { UnknownModelError } from './errors.js';
import { KrigedXCO2Matrix } from './kriged.js';
import type { FluxModel, ModelOptions } from './model.js';
import { SpatioTemporalMatrix } from './spatio-temporal.js';
import { XCO2Matrix } from './xco2.js';

const MODELS = {
  SpatioTemporalMatrix,
  KrigedXCO2Matrix,
  XCO2Matrix,
  CovarianceMatrix,
} as const;

export type ModelName = keyof typeof MODELS;
export const MODEL_NAMES = Object.keys(MODELS) as ModelName[];

/** Opens `path` through the model called `name` (the CLI's `-m`). */
export function openModel(
  name: string,
  path: string,
  options: ModelOptions = {},
): Promise<FluxModel> {
  if (!(name in MODELS)) throw new UnknownModelError(name, MODEL_NAMES);
  return MODELS[name as ModelName].open(path, options);
}
