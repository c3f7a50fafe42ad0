import { describe, expect, it } from 'vitest';
import {
  closeRing,
  flatSignedArea,
  isCounterClockwise,
  rewindRing,
  signedArea,
  toFlat,
} from '../src/index.js';

const counterClockwise = [
  [0, 0],
  [2, 0],
  [2, 1],
  [0, 1],
  [0, 0],
];
const clockwise = [...counterClockwise].reverse();

describe('signedArea', () => {
  it('is positive counter-clockwise, negative clockwise, in square coordinate units', () => {
    expect(signedArea(counterClockwise)).toBe(2);
    expect(signedArea(clockwise)).toBe(-2);
    expect(isCounterClockwise(counterClockwise)).toBe(true);
    expect(isCounterClockwise(clockwise)).toBe(false);
  });

  it('gives an open ring what its closed form gives', () => {
    expect(signedArea(counterClockwise.slice(0, -1))).toBe(2);
    expect(flatSignedArea(toFlat(clockwise.slice(0, -1)))).toBe(-2);
  });

  it('is the same number for the flat form', () => {
    const star = Array.from({ length: 31 }, (_, k) => {
      const r = k % 2 === 0 ? 0.3 : 0.12;
      return [10 + r * Math.cos((Math.PI * k) / 15), 45 + r * Math.sin((Math.PI * k) / 15)];
    });
    expect(flatSignedArea(toFlat(star))).toBe(signedArea(star));
  });

  it('is 0 for degenerate rings: empty, one or two positions, all on a line', () => {
    expect(signedArea([])).toBe(0);
    expect(signedArea([[3, 4]])).toBe(0);
    expect(
      signedArea([
        [0, 0],
        [1, 1],
        [0, 0],
      ]),
    ).toBe(0);
    expect(
      signedArea([
        [0, 0],
        [1, 1],
        [2, 2],
        [0, 0],
      ]),
    ).toBe(0);
    expect(isCounterClockwise([[0, 0]])).toBe(false);
  });

  it('takes longitude as a plain x: a ring across the antimeridian spans it the long way', () => {
    // 179 E to 179 W over one degree of latitude: 358 degrees wide, not 2.
    const across = [
      [179, 0],
      [-179, 0],
      [-179, 1],
      [179, 1],
    ];
    expect(signedArea(across)).toBe(-358);
  });
});

describe('rewindRing', () => {
  it('winds counter-clockwise by default and clockwise when asked, as copies', () => {
    const ccw = rewindRing(clockwise);
    expect(ccw).toEqual(counterClockwise);
    expect(rewindRing(counterClockwise)).toEqual(counterClockwise);
    expect(rewindRing(counterClockwise)).not.toBe(counterClockwise);
    expect(rewindRing(counterClockwise, { clockwise: true })).toEqual(clockwise);
    expect(rewindRing(clockwise, { clockwise: true })).toEqual(clockwise);
    ccw[0]![0] = 99;
    expect(clockwise.at(-1)).toEqual([0, 0]);
  });

  it('counts a degenerate ring as clockwise', () => {
    const line = [
      [0, 0],
      [1, 1],
      [2, 2],
    ];
    expect(rewindRing(line)).toEqual([
      [2, 2],
      [1, 1],
      [0, 0],
    ]);
    expect(rewindRing(line, { clockwise: true })).toEqual(line);
  });
});

describe('closeRing', () => {
  it('appends a copy of the first position to an open ring', () => {
    const open = counterClockwise.slice(0, -1);
    const closed = closeRing(open);
    expect(closed).toEqual(counterClockwise);
    expect(closed.at(-1)).not.toBe(open[0]);
    expect(open).toHaveLength(4);
  });

  it('copies a closed ring as it is, comparing x and y only', () => {
    expect(closeRing(counterClockwise)).toEqual(counterClockwise);
    const withHeights = [
      [0, 0, 5],
      [1, 0, 6],
      [1, 1, 6],
      [0, 0, 7],
    ];
    expect(closeRing(withHeights)).toEqual(withHeights);
  });

  it('leaves an empty ring empty', () => {
    expect(closeRing([])).toEqual([]);
  });
});
