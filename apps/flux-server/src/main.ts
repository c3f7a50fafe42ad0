#!/usr/bin/env node
// flux-server: the Carbon Data Explorer's flux API. Configuration from the environment.
import { runService } from '@geoworks/service-kit';
import { start } from './server.js';

await runService(start);
