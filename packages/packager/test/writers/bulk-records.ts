// Records shaped like a natural-history datastore's, and a zip that discards its bytes: shared
// by the streaming tests and the writers' bench script.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import type { Field } from '../../src/writers/index.js';

export const fields: Field[] = [
  { id: '_id', type: 'int' },
  { id: 'catalogNumber', type: 'text' },
  { id: 'Scientific name', type: 'text' },
  { id: 'Event date', type: 'timestamp' },
  { id: 'decimalLatitude', type: 'numeric' },
  { id: 'decimalLongitude', type: 'numeric' },
  { id: 'locality', type: 'text' },
  { id: 'recordedBy', type: 'text' },
  { id: 'count', type: 'int4' },
  { id: 'verified', type: 'bool' },
  { id: 'extra', type: 'json' },
  { id: 'remarks', type: 'text' },
];

/** Records shaped like a natural-history datastore's, cheap to make. */
export function record(i: number): Record<string, unknown> {
  return {
    _id: i,
    catalogNumber: `NHMUK ${1_000_000 + i}`,
    'Scientific name': i % 3 === 0 ? 'Puma concolor (Linnaeus, 1771)' : 'Felis catus',
    'Event date': `20${10 + (i % 13)}-0${1 + (i % 9)}-1${i % 10}`,
    decimalLatitude: 51.4967 + (i % 1000) / 1e4,
    decimalLongitude: -0.1764 - (i % 700) / 1e4,
    locality: i % 5 === 0 ? 'London, "South Kensington"' : 'Tring',
    recordedBy: 'A. Collector',
    count: i % 17,
    verified: i % 2 === 0,
    extra: i % 10 === 0 ? { preparation: 'skin', parts: ['skull', 'pelt'] } : null,
    remarks: i % 7 === 0 ? 'multi-line\nremark' : null,
  };
}

export async function* records(count: number, each?: (i: number) => void) {
  for (let i = 0; i < count; i++) {
    each?.(i);
    yield record(i);
  }
}

/** A zip piped to a sink that throws the bytes away, like a fast disk. */
export function discardingZip() {
  const archive = new ZipArchive();
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback();
    },
  });
  const writing = pipeline(archive, sink);
  writing.catch(() => {});
  return { archive, writing, bytes: () => bytes };
}
