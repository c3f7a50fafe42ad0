#!/usr/bin/env node
// pandarus-remote: the service's command. Configuration comes from the environment (see README).
import { runService } from '@geoworks/service-kit';
import { start } from './server.js';

await runService(start);
