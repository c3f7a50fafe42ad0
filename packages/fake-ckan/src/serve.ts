// A fake CKAN with generated data, for trying clients by hand:
//   npm run serve -w @geoworks/fake-ckan -- --rows 100000 --columns 20 --port 5000
// Prints the datastore_search URL and a curl line (or, with --json, one JSON line), and serves
// until interrupted. Forked with an IPC channel (see SERVE_MODULE), it also sends
// { type: 'ready', url, apiUrl, resource } and stops when the parent disconnects.
import { parseArgs } from 'node:util';
import { generateRows } from './generate.js';
import { startFakeCkan } from './server.js';
import type { Backend } from './types.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000' },
    columns: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    id: { type: 'string', default: 'generated' },
    backend: { type: 'string', default: 'default' },
    key: { type: 'string' },
    database: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(
    'Usage: serve [--rows N] [--columns N] [--seed N] [--port N] [--host H] [--id ID]\n' +
      '             [--backend default|solr|versioned-datastore] [--key API_KEY (makes it private)]\n' +
      '             [--database FILE|:memory:] [--json]',
  );
  process.exit(0);
}

const backend = values.backend as Backend;
if (!['default', 'solr', 'versioned-datastore'].includes(backend)) {
  console.error(`Unknown backend "${backend}"`);
  process.exit(2);
}

const ckan = await startFakeCkan({
  host: values.host,
  port: Number(values.port),
  database: values.database,
});
const rows = generateRows(Number(values.rows), Number(values.columns), Number(values.seed));
const summary = await ckan.addResource({
  id: values.id,
  fields: rows.fields,
  rows,
  backend,
  private: values.key !== undefined,
  apiKey: values.key,
});
const ready = { type: 'ready', url: ckan.url, apiUrl: ckan.apiUrl, resource: summary };
if (values.json) {
  console.log(JSON.stringify(ready));
} else {
  console.log(
    `fake CKAN at ${ckan.url}: resource "${summary.id}", ${summary.total} rows x ` +
      `${summary.fields.length} fields (with _id), loaded in ${(summary.milliseconds / 1000).toFixed(1)} s`,
  );
  console.log(`datastore_search: ${ckan.apiUrl}`);
  const auth = values.key === undefined ? '' : ` -H 'Authorization: ${values.key}'`;
  console.log(
    `try: curl -s${auth} -H 'Content-Type: application/json' ` +
      `-d '{"resource_id": "${summary.id}", "limit": 2}' ${ckan.apiUrl}`,
  );
}

const shutdown = () => {
  void ckan.stop().then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
if (process.send) {
  process.send(ready);
  process.once('disconnect', shutdown);
}
