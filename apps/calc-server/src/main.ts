#!/usr/bin/env node
// calc-server: an OpenQuake engine server compatible API. Configuration from the environment.
import { ConfigError, handleShutdownSignals } from '@geoworks/service-kit';
import { start } from './server.js';

try {
  const handle = await start();
  handleShutdownSignals([handle]);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
