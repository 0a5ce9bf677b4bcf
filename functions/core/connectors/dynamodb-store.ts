import { BatchGetCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { assertSafeCustomerId, resourceName, type StoreDefinition } from '../data-map';
import { StoreUnavailable, storeError } from '../errors';
import { customerKey } from '../keyed-hash';

/** A DynamoDB item as plain JS values. */
export type Item = Record<string, unknown>;

/** Where a customer's items sit in one table: the partition key values to query, and through which index. */
export interface TableQuery {
  table: string;
  indexName?: string;
  keyAttribute: string;
  keyValue: string;
  /** True for the partition that holds retained (anonymised) records. */
  retained: boolean;
}

/** The queries that find every item of a customer in a DynamoDB store (own partition, retained partition). */
export function customerTableQueries(store: StoreDefinition, customerId: string, env: NodeJS.ProcessEnv = process.env): TableQuery[] {
  assertSafeCustomerId(customerId);
  const locator = store.locator;
  if (store.kind !== 'dynamodb-table' || !locator || locator.by === 'key-prefix') {
    throw new Error(`Store "${store.id}" is not a DynamoDB store with a customer locator`);
  }
  const table = resourceName(store, env);
  const queries: TableQuery[] =
    locator.by === 'partition-key'
      ? [{ table, keyAttribute: locator.partitionKey, keyValue: customerId, retained: false }]
      : [{ table, indexName: locator.indexName, keyAttribute: locator.indexPartitionKey, keyValue: customerId, retained: false }];
  if (store.erasure.action === 'anonymise-and-retain') {
    const retainedKey = store.erasure.retainedPartitionTemplate.replaceAll('{customerKey}', customerKey(customerId, env.DSR_HASH_KEY));
    queries.push({ ...queries[0]!, keyValue: retainedKey, retained: true });
  }
  return queries;
}

/** Options for reading a customer's items. */
export interface ReadOptions {
  /** Strongly consistent reads (not available on global secondary indexes). */
  consistentRead?: boolean;
  /** Page size (DynamoDB `Limit`); DynamoDB caps a page at 1 MB anyway. */
  pageSize?: number;
  env?: NodeJS.ProcessEnv;
  /** Which partitions to read: the customer's own, the retained one, or both (default). */
  partitions?: 'own' | 'retained' | 'all';
}

/** A page of a customer's items, tagged with the partition it came from. */
export interface ItemPage {
  items: Item[];
  retained: boolean;
}

/**
 * Yields every item of a customer in a DynamoDB store, page by page, following `LastEvaluatedKey`,
 * from the customer's own partition (or index) and the retained partition. Store errors are wrapped
 * into `StoreUnavailable`/`StoreFailed` naming the store.
 */
export async function* readCustomerItems(
  doc: DynamoDBDocumentClient,
  store: StoreDefinition,
  customerId: string,
  options: ReadOptions = {},
): AsyncGenerator<ItemPage> {
  const wanted = options.partitions ?? 'all';
  for (const query of customerTableQueries(store, customerId, options.env)) {
    if (wanted !== 'all' && query.retained !== (wanted === 'retained')) continue;
    let exclusiveStartKey: Item | undefined;
    do {
      let page;
      try {
        page = await doc.send(
          new QueryCommand({
            TableName: query.table,
            IndexName: query.indexName,
            KeyConditionExpression: '#key = :value',
            ExpressionAttributeNames: { '#key': query.keyAttribute },
            ExpressionAttributeValues: { ':value': query.keyValue },
            ExclusiveStartKey: exclusiveStartKey,
            ConsistentRead: query.indexName ? undefined : options.consistentRead,
            Limit: options.pageSize,
          }),
        );
      } catch (error) {
        throw storeError(store.id, error);
      }
      if (page.Items?.length) yield { items: page.Items as Item[], retained: query.retained };
      exclusiveStartKey = page.LastEvaluatedKey as Item | undefined;
    } while (exclusiveStartKey);
  }
}

/** The primary key of an item in a store (partition key, and sort key when the table has one). */
export function primaryKeyOf(store: StoreDefinition, item: Item): Item {
  const schema = store.table;
  if (!schema) throw new Error(`Store "${store.id}" has no table schema`);
  const key: Item = { [schema.partitionKey]: item[schema.partitionKey] };
  if (schema.sortKey) key[schema.sortKey] = item[schema.sortKey];
  return key;
}

/** Keys a BatchGetItem call may carry. */
const BATCH_GET_LIMIT = 100;

/** One segment of a parallel scan of a store's table, reading only `attributes`. */
export interface SegmentScan {
  segment: number;
  totalSegments: number;
  attributes: readonly string[];
}

/** Yields the item pages of one parallel-scan segment of a store's table, projected; a failed call is the store's named error. */
export async function* scanSegmentPages(doc: DynamoDBDocumentClient, store: StoreDefinition, scan: SegmentScan, env: NodeJS.ProcessEnv = process.env): AsyncGenerator<Item[]> {
  const names: Record<string, string> = Object.fromEntries(scan.attributes.map((attribute, index) => [`#a${index}`, attribute]));
  let exclusiveStartKey: Item | undefined;
  do {
    let page;
    try {
      page = await doc.send(
        new ScanCommand({
          TableName: resourceName(store, env),
          Segment: scan.segment,
          TotalSegments: scan.totalSegments,
          ProjectionExpression: Object.keys(names).join(', '),
          ExpressionAttributeNames: names,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
    } catch (error) {
      throw storeError(store.id, error);
    }
    yield (page.Items ?? []) as Item[];
    exclusiveStartKey = page.LastEvaluatedKey as Item | undefined;
  } while (exclusiveStartKey);
}

/**
 * Of items found through a global secondary index (eventually consistent), those that a strongly
 * consistent read of the table still finds: right after an erasure the index may still list deleted
 * items. BatchGetItem in batches of 100, `UnprocessedKeys` retried with exponential backoff.
 */
export async function stillPresent(
  doc: DynamoDBDocumentClient,
  store: StoreDefinition,
  items: Item[],
  options: { env?: NodeJS.ProcessEnv; maxAttempts?: number; baseDelayMs?: number } = {},
): Promise<Item[]> {
  const table = resourceName(store, options.env);
  const maxAttempts = options.maxAttempts ?? 8;
  const present: Item[] = [];
  for (let start = 0; start < items.length; start += BATCH_GET_LIMIT) {
    let keys = items.slice(start, start + BATCH_GET_LIMIT).map((item) => primaryKeyOf(store, item));
    for (let attempt = 1; keys.length > 0; attempt += 1) {
      if (attempt > maxAttempts) throw new StoreUnavailable(`Store "${store.id}" left ${keys.length} keys unprocessed after ${maxAttempts} attempts`);
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, (options.baseDelayMs ?? 50) * 2 ** (attempt - 2)));
      let response;
      try {
        response = await doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }));
      } catch (error) {
        throw storeError(store.id, error);
      }
      present.push(...((response.Responses?.[table] ?? []) as Item[]));
      keys = (response.UnprocessedKeys?.[table]?.Keys ?? []) as Item[];
    }
  }
  return present;
}
