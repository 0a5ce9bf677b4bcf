import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Brand } from '../brands';
import { primaryKeyOf, readCustomerItems, type Item } from '../connectors/dynamodb-store';
import { resourceName, type StoreDefinition } from '../data-map';
import { StoreFailed } from '../errors';
import { retainedPartition, retainedRecord } from './anonymise';
import { BATCH_WRITE_LIMIT, batchWrite } from './batch-write';
import type { RetryPolicy } from './config';

/** Counts of one store's erasure step. */
export interface EraseCounts {
  /** Records or objects removed (for anonymise-and-retain: originals replaced by a retained record). */
  deleted: number;
  /** Retained (anonymised) records written by this run. */
  retained: number;
  /** Object versions and delete markers removed (versioned buckets). */
  versionsDeleted: number;
  /** Bytes removed (object sizes; JSON size of records). */
  bytes: number;
}

/** What a table eraser needs. */
export interface TableEraserDeps {
  doc: DynamoDBDocumentClient;
  retry: RetryPolicy;
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
 * table allows) and deletes them in batches of 25. For an anonymise-and-retain store, each batch first
 * writes the retained records (idempotent puts under `retained#<customerKey>`, same sort key), then
 * deletes the originals, so a crash between the two converges on replay; the retained partition is
 * not read (records already retained are left alone). A replay finds nothing to do and returns zeros.
 */
export async function eraseTable(deps: TableEraserDeps, store: StoreDefinition, customerId: string, brand: Brand): Promise<EraseCounts> {
  const table = resourceName(store, deps.env);
  const attribute = customerAttribute(store);
  const action = store.erasure;
  const partition = action.action === 'anonymise-and-retain' ? retainedPartition(action, customerId, deps.env?.DSR_HASH_KEY) : undefined;
  const counts: EraseCounts = { deleted: 0, retained: 0, versionsDeleted: 0, bytes: 0 };
  let buffer: Item[] = [];

  const flush = async (items: Item[]) => {
    if (!items.length) return;
    if (partition !== undefined) {
      const retained = items.map((item) => retainedRecord(store, item, partition));
      await batchWrite(deps.doc, store.id, table, retained.map((record) => ({ PutRequest: { Item: record } })), deps.retry);
      counts.retained += retained.length;
    }
    await batchWrite(deps.doc, store.id, table, items.map((item) => ({ DeleteRequest: { Key: primaryKeyOf(store, item) } })), deps.retry);
    counts.deleted += items.length;
    counts.bytes += items.reduce((sum, item) => sum + recordBytes(item), 0);
  };

  for await (const page of readCustomerItems(deps.doc, store, customerId, brand, { consistentRead: true, env: deps.env, partitions: 'own' })) {
    for (const item of page.items) {
      if (item[attribute] !== customerId) throw new StoreFailed(`Store "${store.id}": the customer query returned another customer's record`);
      buffer.push(item);
    }
    while (buffer.length >= BATCH_WRITE_LIMIT) {
      await flush(buffer.slice(0, BATCH_WRITE_LIMIT));
      buffer = buffer.slice(BATCH_WRITE_LIMIT);
    }
  }
  await flush(buffer);
  return counts;
}
