/**
 * The `serve` script (`serve.ts` from sources, `serve.js` once built), for running a fake CKAN
 * in a process of its own: a benchmark then measures its client without the fake's share of
 * the CPU. Forked with an IPC channel, the script sends `{ type: 'ready', url, apiUrl,
 * resource }` once its resource is loaded, and stops when the channel closes.
 */
export const SERVE_MODULE: URL = new URL(
  `./serve${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
);
