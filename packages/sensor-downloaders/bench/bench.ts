// Downloads 200 scenes of 20 MB from a local server with 4 concurrent transfers, compares with
// curl fetching the same files one after the other, and resumes a download cut at 50 %.
// Each measure is the best of two alternating runs. Usage: npm run bench [-- --scenes N --mb N]
import { execFile, fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import {
  Downloader,
  downloadAll,
  fetchFile,
  HttpClient,
  Scene,
  type RemoteFile,
} from '../src/index.js';

const { values: args } = parseArgs({
  options: {
    scenes: { type: 'string', default: '200' },
    mb: { type: 'string', default: '20' },
    // Where files are written. Default: /dev/shm (memory) when there is one, so the figures
    // compare the downloaders and not the page cache's writeback, which on a VM disk swings
    // from run to run by a factor of two; `--dir /some/disk` measures with the disk.
    dir: { type: 'string' },
  },
});
const SCENES = Number(args.scenes);
const OUT_ROOT = args.dir ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
const SIZE = Number(args.mb) * 1_000_000;

// The file host (bench/file-server.ts) runs in its own process and tells its payload's MD5, so
// this process holds none of the data: its memory is the downloader's.
const host = fork(fileURLToPath(new URL('./file-server.ts', import.meta.url)), [String(SIZE)], {
  execArgv: ['--import', 'tsx', '--conditions=@geoworks/source'],
});
const server = await new Promise<{ url: string; md5: string }>((resolve) =>
  host.once('message', (message) => resolve(message as { url: string; md5: string })),
);
const md5 = server.md5;

const client = new HttpClient({ provider: 'Bench' });
class BenchDownloader extends Downloader {
  readonly maxConcurrent = 4;
  async activate(): Promise<boolean> {
    return true;
  }
  protected async remoteFiles(): Promise<RemoteFile[]> {
    return [
      {
        url: `${server.url}/scenes/${this.sceneId}`,
        filename: `${this.sceneId}.bin`,
        key: this.sceneId,
        size: SIZE,
        md5,
      },
    ];
  }
}
const scenes = Array.from(
  { length: SCENES },
  (_, index) =>
    new Scene(
      {
        provider: 'Bench',
        platformName: 'Bench',
        sceneId: `scene-${index}`,
        footprint: null,
        acqDate: new Date(0),
        cloudCoverPercentage: null,
        downloadLinks: [],
        filenames: [],
        raw: {},
      },
      (scene, options) => new BenchDownloader(scene, client, options),
    ),
);

const totalMb = (SCENES * SIZE) / 1e6;
let peakRss = process.memoryUsage.rss();
// rss() alone: process.memoryUsage() also gathers V8 heap statistics, and sampled every 50 ms
// during the transfers it halved their throughput.
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);

async function ours(withMd5: boolean): Promise<number> {
  const dir = mkdtempSync(join(OUT_ROOT, 'sensor-bench-'));
  const began = performance.now();
  const summary = await downloadAll(scenes, dir, {
    concurrency: 4,
    downloader: { verifyChecksum: withMd5 },
  });
  const seconds = (performance.now() - began) / 1000;
  if (summary.failed.length > 0)
    throw new Error(`${summary.failed.length} scenes failed: ${summary.failed[0]!.error.message}`);
  rmSync(dir, { recursive: true, force: true });
  return seconds;
}
async function curl(): Promise<number> {
  const dir = mkdtempSync(join(OUT_ROOT, 'sensor-bench-curl-'));
  const curlArgs = ['-s', '--fail'];
  for (let index = 0; index < SCENES; index++) {
    curlArgs.push(`${server.url}/scenes/scene-${index}`, '-o', join(dir, `scene-${index}.bin`));
  }
  const began = performance.now();
  await promisify(execFile)('curl', curlArgs, { maxBuffer: 1 << 20 });
  const seconds = (performance.now() - began) / 1000;
  rmSync(dir, { recursive: true, force: true });
  return seconds;
}

// 4 GB is more than the page cache takes before writeback throttles writers, so each run
// starts from a synced disk (what one run left dirty must not slow the next); the runs
// alternate, twice, and each keeps its best time.
const settle = () => promisify(execFile)('sync');
const best = { curl: Infinity, md5: Infinity, plain: Infinity };
for (let round = 0; round < 2; round++) {
  await settle();
  best.curl = Math.min(best.curl, await curl());
  await settle();
  best.plain = Math.min(best.plain, await ours(false));
  await settle();
  best.md5 = Math.min(best.md5, await ours(true));
}
const oursSeconds = best.md5;
const oursPlainSeconds = best.plain;
const curlSeconds = best.curl;

const resumeDir = mkdtempSync(join(OUT_ROOT, 'sensor-bench-resume-'));
const began = performance.now();
const resumed = await fetchFile(
  client,
  'cut',
  { url: `${server.url}/cut`, filename: 'cut.bin', key: 'cut', size: SIZE, md5 },
  { outdir: resumeDir },
);
const resumeSeconds = (performance.now() - began) / 1000;
rmSync(resumeDir, { recursive: true, force: true });
clearInterval(sampler);
host.disconnect();

const rate = (seconds: number) => totalMb / seconds;
console.log(
  `sensor-downloaders bench: ${SCENES} scenes x ${SIZE / 1e6} MB = ${totalMb.toFixed(0)} MB from a local server, written to ${OUT_ROOT}`,
);
console.log(
  `downloadAll, 4 at once  ${oursSeconds.toFixed(1)} s, ${rate(oursSeconds).toFixed(0)} MB/s (MD5 verified, .part + rename)`,
);
console.log(
  `  without MD5           ${oursPlainSeconds.toFixed(1)} s, ${rate(oursPlainSeconds).toFixed(0)} MB/s (verifyChecksum: false; size checked, .part + rename)`,
);
console.log(
  `curl, one after another ${curlSeconds.toFixed(1)} s, ${rate(curlSeconds).toFixed(0)} MB/s`,
);
console.log(
  `ratio                   ${((100 * rate(oursSeconds)) / rate(curlSeconds)).toFixed(0)} % of curl with MD5, ${((100 * rate(oursPlainSeconds)) / rate(curlSeconds)).toFixed(0)} % without (target >= 80 %)`,
);
console.log(
  `resume after a cut at 50 %: ${resumeSeconds.toFixed(2)} s, ${resumed.bytes === SIZE ? 'complete and verified' : 'INCOMPLETE'}`,
);
console.log(
  `peak RSS                ${(peakRss / 1e6).toFixed(0)} MB with files of ${SIZE / 1e6} MB (the server is another process)`,
);
