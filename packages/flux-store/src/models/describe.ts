import { createHash } from 'node:crypto';

/** `YYYY-MM-DDTHH:MM:SS` in UTC, the original's date format. */
export function isoSeconds(date: Date): string {
  return date.toISOString().slice(0, 19);
}

/**
 * A float as Python's `repr` writes it: the shortest digits that round-trip, `.0` on whole
 * numbers, and exponent notation below 1e-4 or from 1e16 with a two-digit exponent.
 */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let text: string;
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const sign = exponent < 0 ? '-' : '+';
    text = `${digits[0]}${fraction}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  } else if (exponent < 0) {
    text = `0.${'0'.repeat(-exponent - 1)}${digits}`;
  } else if (digits.length <= exponent + 1) {
    text = `${digits}${'0'.repeat(exponent + 1 - digits.length)}.0`;
  } else {
    text = `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  }
  return negative ? `-${text}` : text;
}

/**
 * The original's `bboxmd5`: md5 of the bbox written as Python prints a tuple of floats,
 * `(-166.5, 10.5, -50.5, 69.5)`. The client uses it to tell grids apart.
 */
export function bboxMd5(bbox: readonly number[]): string {
  return createHash('md5')
    .update(`(${bbox.map(pythonFloatRepr).join(', ')})`)
    .digest('hex');
}

/** Rounds to `decimals` places (half away from zero, as the stored values are). */
export function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return (Math.sign(value) * Math.round(Math.abs(value) * factor)) / factor;
}
