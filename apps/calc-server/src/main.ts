#!/usr/bin/env node
// calc-server: an OpenQuake engine server compatible API. Configuration from the environment.
import { runService } from '@geoworks/service-kit';
import { start } from './server.js';

await runService(start);
