import { utcDate } from '../dates.js';
import type { Interval } from '../types.js';

export const INTERVALS: readonly Interval[] = ['hourly', 'daily', 'weekly', 'monthly', 'annual'];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The start (ms, UTC) of the bucket holding `time`: weeks start on Monday as ISO weeks do. */
export function bucketStart(time: number, interval: Interval): number {
  const date = new Date(time);
  switch (interval) {
    case 'hourly':
      return Math.floor(time / HOUR) * HOUR;
    case 'daily':
      return Math.floor(time / DAY) * DAY;
    case 'weekly': {
      const day = Math.floor(time / DAY) * DAY;
      const weekday = (new Date(day).getUTCDay() + 6) % 7;
      return day - weekday * DAY;
    }
    case 'monthly':
      return utcDate(date.getUTCFullYear(), date.getUTCMonth(), 1).getTime();
    case 'annual':
      return utcDate(date.getUTCFullYear(), 0, 1).getTime();
  }
}
