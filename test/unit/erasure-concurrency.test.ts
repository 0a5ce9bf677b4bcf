import { DeleteObjectsCommand, GetBucketVersioningCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { RetryPolicy } from '../../functions/core/erasure/config';
import { eraseStore } from '../../functions/core/erasure/erase-store';
import { StoreFailed } from '../../functions/core/errors';
import { inFlight } from './helpers/in-flight';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);
const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
const retry: RetryPolicy = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100, sleep: vi.fn(async () => {}) };
const input = (store: string) => ({ requestId: 'r1', customerId: 'c1', store }) as Parameters<typeof eraseStore>[1];
const keys = (count: number, from = 0) => Array.from({ length: count }, (_, i) => ({ Key: `customers/c1/u${String(from + i).padStart(5, '0')}/p.jpg`, Size: 10 }));

beforeEach(() => {
  docMock.reset();
  s3Mock.reset();
  s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-audit' }).resolves({ Contents: [] });
  s3Mock.on(PutObjectCommand, { Bucket: 'dsr-audit' }).resolves({});
});

describe('bucket eraser with several DeleteObjects in flight', () => {
  it('lists a round of pages ahead (after the last key, no token), records each page, then deletes them concurrently', async () => {
    // Arrange: 3 pages; every DeleteObjects takes a while
    s3Mock.on(GetBucketVersioningCommand).resolves({});
    s3Mock
      .on(ListObjectsV2Command, { Bucket: 'dsr-uploaded-photos' })
      .resolvesOnce({ Contents: keys(1000), IsTruncated: true, NextContinuationToken: 't1' })
      .resolvesOnce({ Contents: keys(1000, 1000), IsTruncated: true, NextContinuationToken: 't2' })
      .resolvesOnce({ Contents: keys(500, 2000), IsTruncated: false });
    const deletes = inFlight();
    s3Mock.on(DeleteObjectsCommand).callsFake((command: { Delete: { Objects: unknown[] } }) => deletes.run(`delete ${command.Delete.Objects.length}`, {}));

    // Act
    const result = await eraseStore({ doc, s3, auditBucket: 'dsr-audit', retry, env, concurrency: 4 }, input('uploaded-photos'));

    // Assert
    const listings = s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input).filter((call) => call.Bucket === 'dsr-uploaded-photos');
    expect(listings.map((call) => [call.StartAfter, call.ContinuationToken])).toEqual([
      [undefined, undefined],
      ['customers/c1/u00999/p.jpg', undefined],
      ['customers/c1/u01999/p.jpg', undefined],
    ]);
    expect(deletes.state.max).toBe(3);
    expect(s3Mock.commandCalls(PutObjectCommand).map((call) => JSON.parse(String(call.args[0].input.Body)).entries.length)).toEqual([1000, 1000, 500]);
    expect(result).toMatchObject({ deleted: 2500, bytes: 25_000 });
  });

  it('lists from the start again after a round, and deletes at most `concurrency` pages at once', async () => {
    // Arrange: 3 pages, concurrency 2: a round of 2 pages, then the rest listed from the start
    s3Mock.on(GetBucketVersioningCommand).resolves({});
    s3Mock
      .on(ListObjectsV2Command, { Bucket: 'dsr-uploaded-photos' })
      .resolvesOnce({ Contents: keys(1000), IsTruncated: true })
      .resolvesOnce({ Contents: keys(1000, 1000), IsTruncated: true })
      .resolvesOnce({ Contents: keys(500, 2000), IsTruncated: false });
    const deletes = inFlight();
    s3Mock.on(DeleteObjectsCommand).callsFake(() => deletes.run('delete', {}));

    // Act
    await eraseStore({ doc, s3, auditBucket: 'dsr-audit', retry, env, concurrency: 2 }, input('uploaded-photos'));

    // Assert
    const listings = s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input).filter((call) => call.Bucket === 'dsr-uploaded-photos');
    expect(listings.map((call) => call.StartAfter)).toEqual([undefined, 'customers/c1/u00999/p.jpg', undefined]);
    expect(deletes.state.max).toBe(2);
  });

  it('fails with the named store error of one batch after the other batches settled', async () => {
    // Arrange: the second DeleteObjects fails at once, the others are slow
    s3Mock.on(GetBucketVersioningCommand).resolves({});
    s3Mock
      .on(ListObjectsV2Command, { Bucket: 'dsr-uploaded-photos' })
      .resolvesOnce({ Contents: keys(1000), IsTruncated: true })
      .resolvesOnce({ Contents: keys(1000, 1000), IsTruncated: true })
      .resolvesOnce({ Contents: keys(500, 2000), IsTruncated: false });
    const deletes = inFlight();
    s3Mock
      .on(DeleteObjectsCommand)
      .callsFakeOnce(() => deletes.run('first', {}, 30))
      .callsFakeOnce(() => Promise.reject(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })))
      .callsFake(() => deletes.run('third', {}, 30));

    // Act
    const attempt = eraseStore({ doc, s3, auditBucket: 'dsr-audit', retry, env, concurrency: 8 }, input('uploaded-photos'));

    // Assert
    await expect(attempt).rejects.toThrow(StoreFailed);
    await expect(attempt).rejects.toThrow(/uploaded-photos/);
    expect(deletes.state.now).toBe(0);
    expect(deletes.state.events).toEqual(['start first', 'start third', 'end first', 'end third']);
  });
});

describe('table eraser with several BatchWriteItem calls in flight', () => {
  it('keeps at most `concurrency` batches in flight and each retained put before the delete of its batch', async () => {
    // Arrange: 200 orders in one page (8 batches), concurrency 3
    const orders = Array.from({ length: 200 }, (_, i) => ({ customerId: 'c1', orderId: `o${String(i).padStart(3, '0')}`, invoiceNumber: `INV-${i}`, invoiceDate: '2024-03-15T10:00:00.000Z', grossAmount: 1 }));
    docMock.on(QueryCommand, { ExpressionAttributeValues: { ':value': 'c1' } }).resolves({ Items: orders });
    const writes = inFlight();
    docMock.on(BatchWriteCommand).callsFake((command: { RequestItems: Record<string, { PutRequest?: { Item: { orderId: string } }; DeleteRequest?: { Key: { orderId: string } } }[]> }) => {
      const requests = Object.values(command.RequestItems)[0]!;
      const first = requests[0]!;
      return writes.run(`${first.PutRequest ? 'put' : 'delete'} ${first.PutRequest?.Item.orderId ?? first.DeleteRequest!.Key.orderId}`, {});
    });

    // Act
    const result = await eraseStore({ doc, s3, auditBucket: 'dsr-audit', retry, env, concurrency: 3 }, input('orders'));

    // Assert
    expect(writes.state.max).toBe(3);
    for (let batch = 0; batch < 8; batch += 1) {
      const id = `o${String(batch * 25).padStart(3, '0')}`;
      expect(writes.state.events.indexOf(`end put ${id}`)).toBeLessThan(writes.state.events.indexOf(`start delete ${id}`));
    }
    expect(result).toMatchObject({ deleted: 200, retained: 200 });
  });
});
