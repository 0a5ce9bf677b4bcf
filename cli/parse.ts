import { InvalidArgumentError } from 'commander';

/** Argument parsers shared by `dsr` commands (they throw commander's InvalidArgumentError). */

/** A non-negative integer, also accepting size suffixes K, M, G (powers of 1024), e.g. `5M`. */
export function parseCount(value: string): number {
  const match = /^(\d+)([KMG]?)$/i.exec(value.trim());
  if (!match) throw new InvalidArgumentError('must be a non-negative integer (optionally with K, M or G)');
  const factor = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[match[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  const result = Number(match[1]) * factor;
  if (!Number.isSafeInteger(result)) throw new InvalidArgumentError('is too large');
  return result;
}

/** An ISO date or date-time, e.g. `2032-01-01` or `2032-01-01T00:00:00Z`. */
export function parseDate(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('must be an ISO date, e.g. 2032-01-01 or 2032-01-01T00:00:00Z');
  return date;
}
