#!/usr/bin/env node
// packager: a ckanpackager-compatible service. Configuration from the environment.
import { runService } from '@geoworks/service-kit';
import { start } from './server.js';

await runService(start);
