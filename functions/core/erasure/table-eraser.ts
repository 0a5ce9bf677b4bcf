import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf, readCustomerItems, type Item } from '../connectors/dynamodb-store';
import { resourceName, type StoreDefinition } from '../data-map';
import { StoreFailed } from '../errors';
import { retainedPartition, retainedRecord } from './anonymise';
import { BATCH_WRITE_LIMIT, batchWrite } from './batch-write';
import { forEachBounded } from './bounded';
import type { RetryPolicy } from './config';
import { addCounts, entryId, noCounts, type EraseCounts, type RecordedEntry, type StoreProgressLog } from './progress';

/** What a table eraser needs. */
export interface TableEraserDeps {
  doc: DynamoDBDocumentClient;
  retry: RetryPolicy;
  /** The request's progress log for this store (batches are recorded before they are written). */
  progress: StoreProgressLog;
  /** Batches (each one BatchWriteItem, or a put then a delete) in flight at most. */
  concurrency: number;
  env?: NodeJS.ProcessEnv;
}

/** Approximate stored size of a record (its JSON length). */
function recordBytes(item: Item): number {
  return Buffer.byteLength(JSON.stringify(item));
}

/** The attribute holding the customer id in the items a locator finds. */
function customerAttribute(store: StoreDefinition): string {
  const locator = store.locator;
  if (!locator || locator.by === 'key-prefix') throw new Error(`Store "${store.id}" is not a DynamoDB store`);
  return locator.by === 'index' ? locator.indexPartitionKey : locator.partitionKey;
}

/**
 * Erases a customer's records from a DynamoDB store: reads the keys (strongly consistent where the
 * table allows) and deletes them in batches of 25, in key order. The records of each page read are
 * recorded in the progress log first, then its batches run `concurrency` at a time. For an anonymise-and-retain store, each batch first writes the
 * retained records (idempotent puts under `retained#<customerKey>`, same sort key), then deletes the
 * originals, so a crash between the two converges on replay; the retained partition is not read
 * (records already retained are left alone). A replay finds nothing to do and returns zeros. With
 * `select`, only the customer's records it accepts are erased (an objection deletes some kinds of entry).
 */
export async function eraseTable(deps: TableEraserDeps, store: StoreDefinition, customerId: string, select?: (item: Item) => boolean): Promise<EraseCounts> {
  const table = resourceName(store, deps.env);
  const attribute = customerAttribute(store);
  const action = store.erasure;
  const partition = action.action === 'anonymise-and-retain' ? retainedPartition(action, customerId, deps.env?.DSR_HASH_KEY) : undefined;
  const counts = noCounts();
  let buffer: Item[] = [];

  const entryOf = (item: Item): RecordedEntry => ({
    id: entryId(`${table}\u0000${JSON.stringify(primaryKeyOf(store, item))}`, deps.env?.DSR_HASH_KEY),
    deleted: 1,
    retained: partition === undefined ? 0 : 1,
    versionsDeleted: 0,
    bytes: recordBytes(item),
  });

  const flush = async (items: Item[]) => {
    if (partition !== undefined) {
      const retained = items.map((item) => retainedRecord(store, item, partition));
      await batchWrite(deps.doc, store.id, table, retained.map((record) => ({ PutRequest: { Item: record } })), deps.retry);
    }
    await batchWrite(deps.doc, store.id, table, items.map((item) => ({ DeleteRequest: { Key: primaryKeyOf(store, item) } })), deps.retry);
    for (const item of items) addCounts(counts, entryOf(item));
  };

  /** Records then erases the buffered batches (every full one, and the rest too when `all`), `concurrency` at a time. */
  const drain = async (all: boolean) => {
    const groups: Item[][] = [];
    while (buffer.length >= BATCH_WRITE_LIMIT || (all && buffer.length > 0)) {
      groups.push(buffer.slice(0, BATCH_WRITE_LIMIT));
      buffer = buffer.slice(BATCH_WRITE_LIMIT);
    }
    await deps.progress.record(groups.flat().map(entryOf));
    await forEachBounded(groups, deps.concurrency, flush);
  };

  for await (const page of readCustomerItems(deps.doc, store, customerId, { consistentRead: true, env: deps.env, partitions: 'own' })) {
    for (const item of page.items) {
      if (item[attribute] !== customerId) throw new StoreFailed(`Store "${store.id}": the customer query returned another customer's record`);
      if (!select || select(item)) buffer.push(item);
    }
    await drain(false);
  }
  await drain(true);
  return counts;
}
