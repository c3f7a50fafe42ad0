export { forkModule, needsTypeScript, siblingModule, startThread } from './launch.js';
export type { LaunchOptions } from './launch.js';
