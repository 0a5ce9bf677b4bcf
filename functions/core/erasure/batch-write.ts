import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Item } from '../connectors/dynamodb-store';
import { StoreUnavailable, storeError } from '../errors';
import { backoffDelay, type RetryPolicy } from './config';

/** Most requests DynamoDB accepts in one BatchWriteItem. */
export const BATCH_WRITE_LIMIT = 25;

/** One put or delete of a BatchWriteItem. */
export type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };

/**
 * Writes the requests in batches of 25. `UnprocessedItems` are sent again with exponential backoff and
 * full jitter; when some stay unprocessed after `maxAttempts`, throws `StoreUnavailable` naming the store
 * (the workflow retries the whole, idempotent step). Store errors are wrapped naming the store.
 */
export async function batchWrite(
  doc: DynamoDBDocumentClient,
  storeId: string,
  table: string,
  requests: readonly WriteRequest[],
  retry: RetryPolicy,
): Promise<void> {
  for (let start = 0; start < requests.length; start += BATCH_WRITE_LIMIT) {
    let pending = requests.slice(start, start + BATCH_WRITE_LIMIT) as WriteRequest[];
    for (let attempt = 1; ; attempt += 1) {
      let response;
      try {
        response = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      } catch (error) {
        throw storeError(storeId, error);
      }
      const unprocessed = (response.UnprocessedItems?.[table] ?? []) as WriteRequest[];
      if (!unprocessed.length) break;
      if (attempt >= retry.maxAttempts) {
        throw new StoreUnavailable(`Store "${storeId}": ${unprocessed.length} writes still unprocessed after ${attempt} attempts`);
      }
      await retry.sleep(backoffDelay(retry, attempt));
      pending = unprocessed;
    }
  }
}
