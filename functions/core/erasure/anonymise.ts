import type { Item } from '../connectors/dynamodb-store';
import type { AnonymiseAndRetainAction, StoreDefinition } from '../data-map';
import { StoreFailed } from '../errors';
import { customerKey } from '../keyed-hash';

/**
 * Anonymise-and-retain (GDPR Art. 17(3)(b)): an order's invoice record is kept because tax law requires
 * it, stripped of everything else. Rule for `retainUntil`: the retention start date (the store's
 * `retentionFrom` attribute, the invoice date) plus `retainYears` calendar years (Netherlands: 7 years,
 * Algemene wet inzake rijksbelastingen art. 52), at the end of that day (23:59:59.999 UTC); a 29 February
 * start ends on 28 February. The scheduled purge deletes the record once that instant has passed.
 */

/** The end of the retention period for a record dated `from` (ISO), kept `years` whole years. */
export function retainUntil(from: string, years: number): string {
  const start = new Date(from);
  if (Number.isNaN(start.getTime())) throw new Error('retention start is not a date');
  const year = start.getUTCFullYear() + years;
  const month = start.getUTCMonth();
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(start.getUTCDate(), lastDay);
  return new Date(Date.UTC(year, month, day, 23, 59, 59, 999)).toISOString();
}

/** The partition key value of a customer's retained records (`retained#<customerKey>`). */
export function retainedPartition(action: AnonymiseAndRetainAction, customerId: string, hashKey?: string): string {
  return action.retainedPartitionTemplate.replaceAll('{customerKey}', customerKey(customerId, hashKey));
}

/**
 * The retained record of an item: the retained partition key, the item's sort key, only the
 * `keepAttributes` it has, and `retainUntil`. Throws `StoreFailed` when the retention start is missing
 * (the record cannot be retained lawfully, so it is not deleted either).
 */
export function retainedRecord(store: StoreDefinition, item: Item, partition: string): Item {
  const action = store.erasure;
  const schema = store.table;
  if (action.action !== 'anonymise-and-retain' || !schema) throw new Error(`Store "${store.id}" does not anonymise and retain`);
  const from = item[action.retentionFrom];
  if (typeof from !== 'string' || Number.isNaN(new Date(from).getTime())) {
    const sortValue = schema.sortKey ? String(item[schema.sortKey]) : '';
    throw new StoreFailed(`Store "${store.id}": record ${sortValue} has no valid ${action.retentionFrom}; it cannot be retained`);
  }
  const record: Item = { [schema.partitionKey]: partition };
  if (schema.sortKey) record[schema.sortKey] = item[schema.sortKey];
  for (const attribute of action.keepAttributes) {
    if (item[attribute] !== undefined) record[attribute] = item[attribute];
  }
  record.retainUntil = retainUntil(from, action.retainYears);
  return record;
}
