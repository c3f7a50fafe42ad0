// The calc-server with the benchmark's extra modes, as a process of its own.
import { handleShutdownSignals } from '@geoworks/service-kit';
import { start } from '../src/server.js';
import { chattyMode, noopMode } from './modes.js';

const handle = await start({ extraModes: [chattyMode, noopMode] });
handleShutdownSignals([handle]);
console.log(`listening ${handle.url}`);
