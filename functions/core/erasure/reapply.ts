import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Brand } from '../brands';
import type { Item } from '../connectors/dynamodb-store';
import { CUSTOMER_STORES, getStore, resourceName, type CustomerStoreId, type StoreDefinition } from '../data-map';
import { storeError } from '../errors';
import { customerKey, hashKey } from '../keyed-hash';
import type { Ledger } from '../ledger';
import { DEFAULT_RETRY, type RetryPolicy } from './config';
import { eraseStore } from './erase-store';
import { captureSuppressionKeys } from './suppression';

/**
 * Re-applies completed erasures after a restore from backup (DynamoDB point-in-time recovery, S3
 * version restore). The ledger keeps only the keyed hash of an erased customer, so restored data is
 * found by scanning every business store, hashing each record's or object's customer id and matching
 * it against the erasures completed since the given date; each customer found is erased again with the
 * same erasers (and suppression) the workflow uses. Nothing readable is reported: counts and hashes.
 */

/** What the re-apply needs. */
export interface ReapplyDeps {
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  ledger: Pick<Ledger, 'list'>;
  retry?: RetryPolicy;
  env?: NodeJS.ProcessEnv;
}

/** Outcome of a re-apply run. */
export interface ReapplyReport {
  since: string;
  /** Completed erasures since the date. */
  erasures: number;
  /** Keyed hashes of the customers whose data was found again and erased. */
  customerKeys: string[];
  stores: Record<string, { deleted: number; retained: number; versionsDeleted: number }>;
}

/** The customer keys (with brand) of erasures completed at or after `since`. */
export async function completedErasuresSince(ledger: Pick<Ledger, 'list'>, since: Date): Promise<Map<string, Brand>> {
  const erased = new Map<string, Brand>();
  let nextToken: string | undefined;
  do {
    const page = await ledger.list({ status: 'completed', limit: 100, nextToken });
    for (const record of page.items) {
      if (record.type === 'erasure' && record.updatedAt >= since.toISOString()) erased.set(record.customerKey, record.brand);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return erased;
}

/** A matcher for a key-prefix template: the customer id of a key, or undefined. */
function prefixMatcher(template: string): (key: string) => string | undefined {
  const pattern = template
    .split(/(\{customerId\}|\{brand\})/)
    .map((part) => (part === '{customerId}' ? '(?<customerId>[A-Za-z0-9_-]{1,64})' : part === '{brand}' ? '[a-z]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const regex = new RegExp(`^${pattern}`);
  return (key) => regex.exec(key)?.groups?.customerId;
}

/** Every customer id in a store (records' customer attribute, objects' key prefix), page by page. */
async function* customerIdsIn(deps: ReapplyDeps, store: StoreDefinition): AsyncGenerator<string[]> {
  const locator = store.locator!;
  const name = resourceName(store, deps.env);
  if (locator.by === 'key-prefix') {
    const customerOf = prefixMatcher(locator.prefixTemplate);
    let token: string | undefined;
    do {
      let page;
      try {
        page = await deps.s3.send(new ListObjectsV2Command({ Bucket: name, ContinuationToken: token }));
      } catch (error) {
        throw storeError(store.id, error);
      }
      yield (page.Contents ?? []).map((object) => customerOf(object.Key ?? '')).filter((id): id is string => id !== undefined);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return;
  }
  const attribute = locator.by === 'index' ? locator.indexPartitionKey : locator.partitionKey;
  let startKey: Item | undefined;
  do {
    let page;
    try {
      page = await deps.doc.send(
        new ScanCommand({ TableName: name, ProjectionExpression: '#customer', ExpressionAttributeNames: { '#customer': attribute }, ExclusiveStartKey: startKey }),
      );
    } catch (error) {
      throw storeError(store.id, error);
    }
    yield (page.Items ?? []).map((item) => item[attribute]).filter((id): id is string => typeof id === 'string' && !id.startsWith('retained#'));
    startKey = page.LastEvaluatedKey as Item | undefined;
  } while (startKey);
}

/** The customers (id → brand) of the erased keys that still, or again, have data in some store. */
export async function findRestoredCustomers(deps: ReapplyDeps, erased: Map<string, Brand>): Promise<Map<string, Brand>> {
  const key = hashKey(deps.env);
  const hashes = new Map<string, string>();
  const found = new Map<string, Brand>();
  if (!erased.size) return found;
  for (const store of CUSTOMER_STORES) {
    for await (const ids of customerIdsIn(deps, store)) {
      for (const id of ids) {
        let hash = hashes.get(id);
        if (hash === undefined) {
          hash = customerKey(id, key);
          hashes.set(id, hash);
        }
        const brand = erased.get(hash);
        if (brand) found.set(id, brand);
      }
    }
  }
  return found;
}

/** Finds the data of customers erased since `since` that a restore brought back, and erases it again. */
export async function reapplyErasures(deps: ReapplyDeps, since: Date): Promise<ReapplyReport> {
  const erased = await completedErasuresSince(deps.ledger, since);
  const restored = await findRestoredCustomers(deps, erased);
  const report: ReapplyReport = { since: since.toISOString(), erasures: erased.size, customerKeys: [], stores: {} };
  const requestId = `reapply-${since.toISOString().slice(0, 10)}`;
  for (const customerId of restored.keys()) {
    await captureSuppressionKeys({ doc: deps.doc, env: deps.env }, { requestId, customerId });
    for (const store of CUSTOMER_STORES) {
      if (store.erasure.action === 'none') continue;
      const result = await eraseStore(
        { doc: deps.doc, s3: deps.s3, auditBucket: resourceName(getStore('audit'), deps.env), retry: deps.retry ?? DEFAULT_RETRY, env: deps.env },
        { requestId, customerId, store: store.id as CustomerStoreId },
      );
      const total = (report.stores[store.id] ??= { deleted: 0, retained: 0, versionsDeleted: 0 });
      total.deleted += result.deleted;
      total.retained += result.retained;
      total.versionsDeleted += result.versionsDeleted;
    }
    report.customerKeys.push(customerKey(customerId, hashKey(deps.env)));
  }
  return report;
}
