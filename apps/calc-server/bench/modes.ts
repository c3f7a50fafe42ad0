// Calculation modes for the benchmark only: one that logs a lot, one that does nothing.
import { defineCalculationMode } from '@geoworks/calc-engine';

export const chattyMode = defineCalculationMode({
  name: 'chatty',
  description: 'Writes `lines` log rows (benchmark)',
  parameters: { lines: { type: 'integer', default: 1000, description: 'How many' } },
  outputs: [],
  module: import.meta.url,
  exportName: 'chattyMode',
  async run(context) {
    const lines = Number(context.params.lines);
    for (let i = 0; i < lines; i++) {
      context.log.info(`log row ${i} of ${lines}: the quick brown fox jumps over the lazy dog`);
      // Let the IPC channel drain now and then.
      if (i % 10_000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return [];
  },
});

export const noopMode = defineCalculationMode({
  name: 'noop',
  description: 'Does nothing (benchmark)',
  parameters: {},
  outputs: [],
  module: import.meta.url,
  exportName: 'noopMode',
  async run() {
    return [];
  },
});
