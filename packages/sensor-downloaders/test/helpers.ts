// What the provider tests share: closing what a test started, a clock tests move by hand, and
// the seed documents' AOI.
import type { Polygon } from 'geojson';
import { afterEach } from 'vitest';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  // The last started first: a provider before the fake it talks to.
  while (open.length > 0) await open.pop()!.close();
});

/** Closes `thing` (a fake server, a provider) after the current test; returns it. */
export function closeAfterEach<T extends { close(): unknown }>(thing: T): T {
  open.push(thing);
  return thing;
}

/**
 * A clock that moves only when the test says so: given to a fake server and to the provider
 * talking to it, tokens and links expire at once instead of after a real wait.
 */
export function manualClock(start = Date.now()): { now: () => number; advance(ms: number): void } {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

/** Markham (Ontario), the seed documents' area of interest: a counter-clockwise lon/lat box. */
export const MARKHAM: Polygon = {
  type: 'Polygon',
  coordinates: [
    [
      [-79.4, 43.8],
      [-79.3, 43.8],
      [-79.3, 43.9],
      [-79.4, 43.9],
      [-79.4, 43.8],
    ],
  ],
};
