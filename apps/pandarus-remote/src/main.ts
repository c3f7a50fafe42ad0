#!/usr/bin/env node
// pandarus-remote: the service's command. Configuration comes from the environment (see README).
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
