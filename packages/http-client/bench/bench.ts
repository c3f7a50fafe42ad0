// Transfers FILES bodies of MB megabytes from a local server, 4 at a time, three ways: undici's
// fetch alone, HttpClient.request (timer, redirect loop, typed failures), and HttpClient with a
// reader that calls touch() for every chunk (the idle timeout of a streamed body). Each figure
// is the best of three runs, each round in another order. Usage: npm run bench [-- --files N --mb N]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fetch } from 'undici';
import { HttpClient } from '../src/index.js';

const { values: args } = parseArgs({
  options: {
    files: { type: 'string', default: '100' },
    mb: { type: 'string', default: '20' },
  },
});
const FILES = Number(args.files);
const SIZE = Number(args.mb) * 1_000_000;

const host = fork(fileURLToPath(new URL('./file-server.ts', import.meta.url)), [String(SIZE)], {
  execArgv: ['--import', 'tsx', '--conditions=@geoworks/source'],
});
const { url } = await new Promise<{ url: string }>((resolve) =>
  host.once('message', (message) => resolve(message as { url: string })),
);

async function drain(body: ReadableStream<Uint8Array> | null, onChunk = () => {}) {
  let bytes = 0;
  for await (const chunk of body ?? []) {
    onChunk();
    bytes += chunk.byteLength;
  }
  if (bytes !== SIZE) throw new Error(`received ${bytes} bytes, not ${SIZE}`);
}

const client = new HttpClient();
const ways: Record<string, (path: string) => Promise<void>> = {
  'undici fetch': async (path) => drain((await fetch(`${url}${path}`)).body as never),
  'HttpClient.request': async (path) => drain((await client.request(`${url}${path}`)).body),
  'HttpClient + touch()': (path) =>
    client.request(`${url}${path}`, {}, ({ response, touch }) => drain(response.body, touch)),
};

/** Seconds to run `way` over every file, 4 at a time. */
async function timed(way: (path: string) => Promise<void>): Promise<number> {
  const began = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < FILES) await way(`/file-${next++}`);
    }),
  );
  return (performance.now() - began) / 1000;
}

const best: Record<string, number> = {};
const entries = Object.entries(ways);
for (let round = 0; round < 3; round++) {
  // Each round starts with another way, so none always runs first (or last).
  for (let index = 0; index < entries.length; index++) {
    const [name, way] = entries[(round + index) % entries.length]!;
    best[name] = Math.min(best[name] ?? Infinity, await timed(way));
  }
}
host.disconnect();

const totalMb = (FILES * SIZE) / 1e6;
const baseline = totalMb / best['undici fetch']!;
console.log(
  `http-client bench: ${FILES} bodies x ${SIZE / 1e6} MB = ${totalMb.toFixed(0)} MB from a local server, 4 at a time`,
);
for (const [name, seconds] of Object.entries(best)) {
  const rate = totalMb / seconds;
  console.log(
    `${name.padEnd(22)} ${seconds.toFixed(2)} s, ${rate.toFixed(0)} MB/s (${((100 * rate) / baseline).toFixed(0)} % of fetch)`,
  );
}
