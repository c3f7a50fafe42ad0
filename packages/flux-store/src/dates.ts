/** `Date.UTC` without its mapping of years 0-99 to 1900-1999 (a year 0099 stays 0099). */
export function utcDate(
  year: number,
  month: number,
  day: number,
  hours = 0,
  minutes = 0,
  seconds = 0,
  milliseconds = 0,
): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  date.setUTCHours(hours, minutes, seconds, milliseconds);
  return date;
}

/** The widest UTC offset in use (Kiribati's +14:00; the lowest is -12:00). */
const MAX_OFFSET_MINUTES = 14 * 60;

const ISO_DATE =
  /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A date from ISO 8601 text, `YYYY` to `YYYY-MM-DDTHH:MM:SS[.sss]` (a space may stand for the
 * `T`), UTC unless it names an offset; undefined when it is not one. Impossible dates
 * (2004-02-31, 24:00) are refused rather than rolled over, and so are offsets no zone has:
 * beyond ±14:00 or with minutes past 59 (`+99:99` would otherwise move the time by four days).
 * The one parser of the package: API parameters and configuration timestamps alike.
 */
export function parseIsoDate(text: string): Date | undefined {
  const match = ISO_DATE.exec(text.trim());
  if (match === null) return undefined;
  const [
    ,
    year,
    month = '01',
    day = '01',
    hour = '00',
    minute = '00',
    second = '00',
    milli = '0',
    zone,
  ] = match;
  const date = utcDate(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    Number(milli.padEnd(3, '0')),
  );
  if (
    date.getUTCMonth() !== Number(month) - 1 ||
    date.getUTCDate() !== Number(day) ||
    Number(hour) > 23 ||
    Number(minute) > 59 ||
    Number(second) > 59
  ) {
    return undefined;
  }
  if (zone === undefined || zone === 'Z') return date;
  const [, sign, hours, minutes] = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
  const offset = Number(hours) * 60 + Number(minutes);
  if (Number(minutes) > 59 || offset > MAX_OFFSET_MINUTES) return undefined;
  return new Date(date.getTime() - (sign === '-' ? -1 : 1) * offset * 60_000);
}
