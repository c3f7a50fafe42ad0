import type { SerializedError } from '@geoworks/errors';
import type { EngineSetup, PairResult } from './engine.js';

export interface FeatureBatch {
  kind: 'batch';
  seq: number;
  features: { index: number; wkb: Uint8Array }[];
}

export type ToWorker = { kind: 'setup'; setup: EngineSetup } | FeatureBatch;

export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'results'; seq: number; results: PairResult[] }
  | { kind: 'error'; error: SerializedError };
