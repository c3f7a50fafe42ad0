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
