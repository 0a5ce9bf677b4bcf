import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { BATCH_WRITE_LIMIT, batchWrite, type WriteRequest } from '../../functions/core/erasure/batch-write';
import type { RetryPolicy } from '../../functions/core/erasure/config';
import { StoreFailed, StoreUnavailable } from '../../functions/core/errors';

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);
const sleeps: number[] = [];
const retry: RetryPolicy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000, sleep: async (ms) => void sleeps.push(ms) };

/** `count` delete requests for order ids o0, o1, … */
function deletes(count: number): WriteRequest[] {
  return Array.from({ length: count }, (_, i) => ({ DeleteRequest: { Key: { customerId: 'c1', orderId: `o${i}` } } }));
}

/** The request batches sent, as order ids. */
function sentBatches(): string[][] {
  return docMock.commandCalls(BatchWriteCommand).map((call) =>
    (call.args[0].input.RequestItems!.orders as WriteRequest[]).map((request) => String(('DeleteRequest' in request ? request.DeleteRequest.Key : request.PutRequest.Item).orderId)),
  );
}

beforeEach(() => {
  docMock.reset();
  sleeps.length = 0;
});

describe('batchWrite', () => {
  it('writes in batches of 25 to the named table', async () => {
    docMock.on(BatchWriteCommand).resolves({});

    await batchWrite(doc, 'orders', 'orders', deletes(51), retry);

    expect(BATCH_WRITE_LIMIT).toBe(25);
    expect(sentBatches().map((batch) => batch.length)).toEqual([25, 25, 1]);
    expect(sentBatches()[1]![0]).toBe('o25');
    expect(sleeps).toEqual([]);
  });

  it('writes nothing for no requests', async () => {
    await batchWrite(doc, 'orders', 'orders', [], retry);

    expect(docMock.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });

  it('sends the unprocessed writes again after a backoff, then goes on', async () => {
    const requests = deletes(3);
    docMock
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { orders: [requests[1]!] } })
      .resolves({});

    await batchWrite(doc, 'orders', 'orders', requests, retry);

    expect(sentBatches()).toEqual([['o0', 'o1', 'o2'], ['o1']]);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(0);
    expect(sleeps[0]).toBeLessThan(100);
  });

  it('gives up with StoreUnavailable, naming the store and counts, when writes stay unprocessed after the last attempt', async () => {
    const requests = deletes(2);
    docMock.on(BatchWriteCommand).resolves({ UnprocessedItems: { orders: requests } });

    const writing = batchWrite(doc, 'orders', 'orders', requests, retry);

    await expect(writing).rejects.toThrow(StoreUnavailable);
    await expect(writing).rejects.toThrow('Store "orders": 2 writes still unprocessed after 3 attempts');
    expect(sentBatches()).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it('wraps a failed call naming the store', async () => {
    docMock.on(BatchWriteCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));

    const writing = batchWrite(doc, 'orders', 'orders', deletes(1), retry);

    await expect(writing).rejects.toThrow(StoreFailed);
    await expect(writing).rejects.toThrow('Store "orders" failed: AccessDeniedException: denied');
  });
});
