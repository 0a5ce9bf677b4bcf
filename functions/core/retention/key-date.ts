/**
 * Dates in object file names: a bucket rule with `datedFileNames` (the call recordings) names each
 * object `<customer prefix><date>_<name>`, the date in ISO 8601 basic format, UTC
 * (`20260901T101500Z_call-1.wav`, milliseconds when not zero: `20260901T101500.250Z_...`), so the
 * listing alone tells the date a retention period counts from.
 */

/** The date part at the start of a file name, with its `_` separator. */
const FILE_NAME_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?:\.(\d{3}))?Z_/;

/** The date an object key's file name starts with, or undefined when it has none (or an impossible one such as 30 February). */
export function keyDateOf(key: string): Date | undefined {
  const match = FILE_NAME_DATE.exec(key.slice(key.lastIndexOf('/') + 1));
  if (!match) return undefined;
  const [year, month, day, hour, minute, second, millisecond] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millisecond));
  // Date.UTC rolls impossible values over (month 13, 30 February, 24:00, years 0-99 to 1900-1999): those
  // are no dates. A roll-over changes the digits the date writes back, so it is exact when they match.
  const exact = date.toISOString().slice(0, 19).replace(/[-:]/g, '') === match[0].slice(0, 15);
  return exact ? date : undefined;
}

/** A file name starting with `date` as `keyDateOf` reads it back: `20260901T101500Z_<name>`. */
export function datedFileName(date: Date, name: string): string {
  const iso = date.toISOString();
  const milliseconds = iso.slice(19, 23) === '.000' ? '' : iso.slice(19, 23);
  return `${iso.slice(0, 19).replace(/[-:]/g, '')}${milliseconds}Z_${name}`;
}
