// A MATLAB v5 MAT-file holding one uncompressed double matrix, written column by column (for the
// benchmarks' grids: 1.5 GB cannot be built in memory first).
import { openSync, writeSync, closeSync } from 'node:fs';

const miINT8 = 1;
const miINT32 = 5;
const miUINT32 = 6;
const miDOUBLE = 9;
const miMATRIX = 14;
const mxDOUBLE_CLASS = 6;

function tag(type: number, bytes: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeUInt32LE(type, 0);
  buffer.writeUInt32LE(bytes, 4);
  return buffer;
}

const pad8 = (buffer: Buffer) =>
  Buffer.concat([buffer, Buffer.alloc((8 - (buffer.length % 8)) % 8)]);

/** Writes `name` (rows x columns) to `path`; `column(j)` gives column j's `rows` values. */
export function writeMat5(
  path: string,
  name: string,
  rows: number,
  columns: number,
  column: (index: number) => Float64Array,
): void {
  const header = Buffer.alloc(128, ' ');
  header.write('MATLAB 5.0 MAT-file, written by @geoworks/test-fixtures', 0, 'latin1');
  header.writeUInt16LE(0x0100, 124);
  header.write('IM', 126, 'latin1');
  const flags = Buffer.concat([
    tag(miUINT32, 8),
    Buffer.from([mxDOUBLE_CLASS, 0, 0, 0, 0, 0, 0, 0]),
  ]);
  const dimensions = Buffer.alloc(8);
  dimensions.writeInt32LE(rows, 0);
  dimensions.writeInt32LE(columns, 4);
  const nameBytes = Buffer.from(name, 'latin1');
  const parts = [
    flags,
    tag(miINT32, 8),
    dimensions,
    tag(miINT8, nameBytes.length),
    pad8(nameBytes),
  ];
  const dataBytes = rows * columns * 8;
  const bodyBytes = parts.reduce((sum, part) => sum + part.length, 0) + 8 + dataBytes;
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header);
    writeSync(fd, tag(miMATRIX, bodyBytes));
    for (const part of parts) writeSync(fd, part);
    writeSync(fd, tag(miDOUBLE, dataBytes));
    for (let index = 0; index < columns; index++) {
      const values = column(index);
      writeSync(fd, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
  } finally {
    closeSync(fd);
  }
}
