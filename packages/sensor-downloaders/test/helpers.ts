// What the provider tests share: closing what a test started, and the seed documents' AOI.
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
