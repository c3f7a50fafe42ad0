// Serves the fake OpenQuake server by itself, to try the client and the CLI without an engine:
//   npx tsx --conditions=@geoworks/source test/helpers/serve.ts [port]
// Jobs whose description contains "fail" fail, "hang" run until aborted; others complete.
import { startFakeEngine } from './fake-engine.js';

const port = Number(process.argv[2] ?? process.env.PORT ?? 8800);
const engine = await startFakeEngine({ port, rows: 10, tickMs: 300 });
console.log(`Fake OpenQuake engine server on ${engine.url} (Ctrl-C stops it)`);
process.once('SIGINT', () => void engine.close());
