export { forkModule, needsTypeScript, siblingModule, startThread } from './launch.js';
export type { LaunchOptions } from './launch.js';
export { ProcessPool, serveProcessPool } from './process-pool.js';
export type { PoolWorker } from './process-pool.js';
