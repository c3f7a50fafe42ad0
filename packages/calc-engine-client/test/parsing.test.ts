import { describe, expect, it } from 'vitest';
import { adler32, filenameFromDisposition, parseEngineTime, sameFsChecksum } from '../src/index.js';
import { serverMessageOf, toCalculation } from '../src/normalize.js';

describe('parseEngineTime', () => {
  it.each([
    ['2024-08-01, 12:00:00 UTC', '2024-08-01T12:00:00.000Z'],
    ['2017-06-05 12:01:26', '2017-06-05T12:01:26.000Z'],
    ['2017-06-05 12:01:28.575776', '2017-06-05T12:01:28.575Z'],
    ['2024-08-01T12:00:00.12', '2024-08-01T12:00:00.120Z'],
    ['2024-08-01T12:00:00Z', '2024-08-01T12:00:00.000Z'],
    ['2024-08-01T14:00:00+02:00', '2024-08-01T12:00:00.000Z'],
    ['2024-08-01 12:00', '2024-08-01T12:00:00.000Z'],
  ])('reads %s', (text, iso) => {
    expect(parseEngineTime(text)?.toISOString()).toBe(iso);
  });

  it('gives null for what it cannot read', () => {
    expect(parseEngineTime(null)).toBeNull();
    expect(parseEngineTime('2024-08-01, 12:00:00 Europe/Rome')).toBeNull();
    expect(parseEngineTime('yesterday')).toBeNull();
  });
});

describe('toCalculation', () => {
  it('accepts what the public doc and older engines send', () => {
    // The doc's example: parent_id as a string, no start_time, no abortable.
    const calc = toCalculation({
      description: 'Hazard Calculation for end-to-end hazard+risk',
      id: 1,
      status: 'executing',
      calculation_mode: 'classical',
      is_running: 1,
      owner: 'michele',
      parent_id: '42',
      url: 'http://localhost:8800/v1/calc/1',
    });
    expect(calc).toMatchObject({
      id: 1,
      isRunning: true,
      abortable: false,
      parentId: 42,
      owner: 'michele',
      sizeMb: null,
      startTime: null,
      startTimeText: null,
    });
  });

  it('refuses an item without id or status', () => {
    expect(() => toCalculation({ status: 'complete' })).toThrow(/integer "id"/);
    expect(() => toCalculation({ id: 3 })).toThrow(/status/);
  });
});

describe('serverMessageOf', () => {
  it('takes the JSON error, error_msg or traceback, or the text, or the HTML text', () => {
    expect(serverMessageOf('{"error": "Job 3 is not running"}', 'application/json')).toBe(
      'Job 3 is not running',
    );
    expect(serverMessageOf('{"status":"failed","error_msg":"Invalid input"}', null)).toBe(
      'Invalid input',
    );
    expect(
      serverMessageOf('{"traceback": ["Traceback:", "ValueError: x"], "job_id": 4}', null),
    ).toBe('Traceback:\nValueError: x');
    expect(serverMessageOf('Invalid login', 'text/plain')).toBe('Invalid login');
    expect(serverMessageOf('<h1>Not Found</h1><p>Nope &amp; nope.</p>', 'text/html')).toBe(
      'Not Found Nope & nope.',
    );
    expect(serverMessageOf('', 'text/plain')).toBe('(empty body)');
  });
});

describe('filenameFromDisposition', () => {
  it.each([
    ['attachment; filename=output-3-hcurves.csv', 'output-3-hcurves.csv'],
    ['attachment; filename="output 3.csv"', 'output 3.csv'],
    ["attachment; filename*=UTF-8''r%C3%A9sultat.csv", 'résultat.csv'],
    ['attachment; filename=../../etc/passwd', 'passwd'],
    ['attachment; filename=..', undefined],
    ['inline', undefined],
  ])('reads %s', (header, name) => {
    expect(filenameFromDisposition(header)).toBe(name);
  });
});

describe('checksums', () => {
  it('computes Adler-32 as zlib does', async () => {
    expect(adler32(new TextEncoder().encode('Wikipedia'))).toBe(0x11e60398);
    expect(adler32(new Uint8Array())).toBe(1);
    expect(adler32(new Uint8Array(100_000).fill(255))).toBe(0x149a302c); // zlib.adler32(b"\xff" * 100000) in Python
    const long = new TextEncoder().encode('x'.repeat(100));
    expect(await sameFsChecksum(long)).toBe(adler32(long.subarray(0, 32)));
  });
});
