import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { primaryKeyOf, type Item } from '../connectors/dynamodb-store';
import { CUSTOMER_STORES, resourceName } from '../data-map';
import { storeError } from '../errors';
import { batchWrite } from './batch-write';
import { DEFAULT_RETRY, type RetryPolicy } from './config';

/**
 * The scheduled purge of retained records (EventBridge schedule `rate(1 day)` in AWS,
 * `dsr purge-retained` locally): in every anonymise-and-retain store, deletes the retained records
 * whose `retainUntil` has passed. Scans with a filter on the retained partitions (paginated) and
 * deletes in batches of 25. Running it again deletes nothing more.
 */

/** Input of `purge-retained`: optional `now` (ISO) for runs against a chosen date; extra event fields are ignored. */
export const purgeRetainedInput = z.looseObject({ now: z.iso.datetime().optional() });

/** What the purge needs. */
export interface PurgeDeps {
  doc: DynamoDBDocumentClient;
  retry?: RetryPolicy;
  env?: NodeJS.ProcessEnv;
}

/** Outcome of a purge, per store. */
export interface PurgeResult {
  now: string;
  stores: { store: string; purged: number }[];
}

/** Deletes the retained records that expired before `now`. */
export async function purgeRetained(deps: PurgeDeps, now: Date): Promise<PurgeResult> {
  const result: PurgeResult = { now: now.toISOString(), stores: [] };
  for (const store of CUSTOMER_STORES) {
    if (store.erasure.action !== 'anonymise-and-retain' || !store.table) continue;
    const table = resourceName(store, deps.env);
    const prefix = store.erasure.retainedPartitionTemplate.slice(0, store.erasure.retainedPartitionTemplate.indexOf('{customerKey}'));
    const names: Record<string, string> = { '#pk': store.table.partitionKey, '#until': 'retainUntil' };
    if (store.table.sortKey) names['#sk'] = store.table.sortKey;
    const entry = { store: store.id, purged: 0 };
    let exclusiveStartKey: Item | undefined;
    do {
      let page;
      try {
        page = await deps.doc.send(
          new ScanCommand({
            TableName: table,
            FilterExpression: 'begins_with(#pk, :prefix) AND #until < :now',
            ProjectionExpression: store.table.sortKey ? '#pk, #sk' : '#pk',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':prefix': prefix, ':now': result.now },
            ExclusiveStartKey: exclusiveStartKey,
          }),
        );
      } catch (error) {
        throw storeError(store.id, error);
      }
      const expired = (page.Items ?? []) as Item[];
      await batchWrite(deps.doc, store.id, table, expired.map((item) => ({ DeleteRequest: { Key: primaryKeyOf(store, item) } })), deps.retry ?? DEFAULT_RETRY);
      entry.purged += expired.length;
      exclusiveStartKey = page.LastEvaluatedKey as Item | undefined;
    } while (exclusiveStartKey);
    result.stores.push(entry);
  }
  return result;
}
