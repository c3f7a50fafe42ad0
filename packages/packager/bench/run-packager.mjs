// One packaging run of the benchmark, in a plain `node` process on the built package (dist),
// as the service runs in production: no TypeScript loader in the way of the memory figures.
// argv: apiUrl limit|all pageSize zipLevel|default. Prints one JSON line with the figures.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMailer } from '@geoworks/mailer';
import { loadDwcSettings, Packager } from '@geoworks/packager';

const [apiUrl, limit, pageSize, zipLevel] = process.argv.slice(2);
const dataDir = mkdtempSync(join(tmpdir(), 'packager-bench-'));
const mailer = createMailer({ outboxDir: join(dataDir, 'outbox'), from: 'bench@localhost' });
const packager = await Packager.open({
  dataDir,
  downloadBaseUrl: 'http://localhost:8765/downloads/',
  // The fake CKAN listens on loopback, refused unless allowed.
  allowPrivateAddresses: true,
  mailer,
  dwc: await loadDwcSettings(),
  build: {
    pageSize: Number(pageSize),
    ...(zipLevel === 'default' ? {} : { zipLevel: Number(zipLevel) }),
  },
});
const idleRss = process.memoryUsage().rss;
let peakRss = idleRss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);
const started = performance.now();
const cpuBefore = process.cpuUsage();
try {
  const submission = await packager.submit('datastore', {
    resource_id: 'bench',
    email: 'bench@example.org',
    api_url: apiUrl,
    ...(limit === 'all' ? {} : { limit }),
  });
  const job = await packager.queue.wait(submission.jobId);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  if (job.status !== 'finished') throw new Error(`job ${job.status}: ${job.error?.message}`);
  console.log(
    JSON.stringify({
      rows: job.result.count,
      seconds,
      zipBytes: job.result.size,
      idleRss,
      peakRss: Math.max(peakRss, process.resourceUsage().maxRSS * 1024),
      cpuPercent: (cpu.user + cpu.system) / 1e4 / seconds,
    }),
  );
} finally {
  await packager.close();
  mailer.close();
  rmSync(dataDir, { recursive: true, force: true });
}
