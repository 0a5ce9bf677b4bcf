import { stringify } from 'csv-stringify/sync';

/**
 * Tabular renderings of a store's records: flattened CSV rows (RFC 4180 quoting by csv-stringify) and
 * the column sets the CSV and the HTML tables use.
 */

/** A record as read from a store. */
export type DataRecord = Record<string, unknown>;

/**
 * Flattens a record for CSV: nested objects become dotted columns (`shippingAddress.city`), arrays
 * are kept as JSON text, null/undefined become empty cells.
 */
export function flattenRecord(record: DataRecord, prefix = '', into: Record<string, string> = {}): Record<string, string> {
  for (const [name, value] of Object.entries(record)) {
    const column = prefix ? `${prefix}.${name}` : name;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) flattenRecord(value as DataRecord, column, into);
    else into[column] = cellText(value);
  }
  return into;
}

/** Text of one value: strings as they are, arrays/objects as JSON, empty for null/undefined. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Collects column names in first-seen order. */
export class ColumnSet {
  private readonly seen = new Set<string>();

  /** Adds the names not seen yet. */
  add(names: Iterable<string>): void {
    for (const name of names) this.seen.add(name);
  }

  /** The columns in first-seen order. */
  get columns(): string[] {
    return [...this.seen];
  }
}

/** One CSV line (with CRLF, per RFC 4180) of the given cells. */
export function csvLine(cells: string[]): string {
  return stringify([cells], { record_delimiter: '\r\n', quoted_match: /[\r\n]/ });
}

/** The CSV line of a flattened record in the given column order. */
export function csvRow(record: DataRecord, columns: string[]): string {
  const flat = flattenRecord(record);
  return csvLine(columns.map((column) => flat[column] ?? ''));
}
