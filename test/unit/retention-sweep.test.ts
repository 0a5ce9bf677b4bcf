import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { getStore } from '../../functions/core/data-map';
import type { RetryPolicy } from '../../functions/core/erasure/config';
import type { RunFile } from '../../functions/core/retention/plan';
import { customerKeyOfItem, readRunFile, sweepSegmentInput, sweepSegmentOutput, sweepSegments, type SweepDeps } from '../../functions/core/retention/sweep';

/** The sweep task: what is past its rule goes in batches of 25 and 1,000, held customers and live records stay, counts only. */

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const s3 = new S3Client({ region: 'eu-west-1' });
const docMock = mockClient(doc);
const s3Mock = mockClient(s3);
const NOW = '2030-06-15T12:00:00.000Z';
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.parse(NOW) - days * DAY).toISOString();
const retry: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {} };
const keyOf = (customerId: string) => `key-${customerId}`;

let run: RunFile;
const requestErasure = vi.fn<SweepDeps['requestErasure']>();
const deps = (): SweepDeps => ({ doc, s3, auditBucket: 'dsr-audit', retry, requestErasure, customerKey: keyOf });
const body = (value: unknown) => ({ transformToString: async () => JSON.stringify(value) }) as never;
const batch = (items: unknown[], dryRun = false) => sweepSegmentInput.parse({ Items: items, BatchInput: { runId: 'run-1', dryRun } });

/** Every key a BatchWriteItem deleted, per call. */
function deletedBatches(table: string): unknown[][] {
  return docMock.commandCalls(BatchWriteCommand).map((call) => call.args[0].input.RequestItems![table]!.map((request) => (request as { DeleteRequest: { Key: unknown } }).DeleteRequest.Key));
}

beforeEach(() => {
  docMock.reset();
  s3Mock.reset();
  requestErasure.mockReset();
  run = { runId: 'run-1', now: NOW, dryRun: false, inactiveAccounts: { enabled: true, months: 36 }, heldCustomerKeys: ['key-held'] };
  s3Mock.on(GetObjectCommand, { Bucket: 'dsr-audit', Key: 'retention/run-1/run.json' }).callsFake(() => ({ Body: body(run) }));
  docMock.on(BatchWriteCommand).resolves({});
  docMock.on(BatchGetCommand).resolves({ Responses: {} });
});

describe('sweepSegments on a table (contact history)', () => {
  const closed = (id: string, customerId: string, closedDaysAgo: number) => ({ contactId: id, customerId, status: 'closed', closedAt: ago(closedDaysAgo) });

  it('deletes the closed contacts past 2 years in batches of 25, page by page, and leaves held customers and the rest', async () => {
    // Arrange
    const expired = Array.from({ length: 30 }, (_, index) => closed(`ct-${index}`, `c${index}`, 800));
    docMock.on(ScanCommand).resolvesOnce({ Items: [...expired.slice(0, 20), closed('ct-new', 'c1', 700), closed('ct-held', 'held', 900)], LastEvaluatedKey: { contactId: 'ct-19' } }).resolvesOnce({
      Items: [...expired.slice(20), { contactId: 'ct-open', customerId: 'c2', status: 'open', createdAt: ago(2000) }],
    });

    // Act
    const result = await sweepSegments(deps(), batch([{ store: 'contact-history', segment: 1, totalSegments: 4 }]));

    // Assert
    expect(sweepSegmentOutput.parse(result)).toEqual({ stores: [{ store: 'contact-history', examined: 33, expired: 31, removed: 30, heldSkipped: 1, remaining: 0 }] });
    expect(deletedBatches('dsr-contact-history').map((keys) => keys.length)).toEqual([20, 10]);
    expect(deletedBatches('dsr-contact-history').flat()).toEqual(expired.map((contact) => ({ contactId: contact.contactId })));
    const scans = docMock.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(scans[0]).toMatchObject({ TableName: 'dsr-contact-history', Segment: 1, TotalSegments: 4, ExpressionAttributeNames: { '#a0': 'contactId', '#a1': 'closedAt', '#a2': 'status', '#a3': 'customerId' } });
    expect(scans[1]!.ExclusiveStartKey).toEqual({ contactId: 'ct-19' });
    expect(docMock.commandCalls(BatchGetCommand).flatMap((call) => call.args[0].input.RequestItems!['dsr-contact-history']!.Keys)).toHaveLength(30);
  });

  it('sends unprocessed deletes again and counts a record still there on the re-check as remaining', async () => {
    // Arrange
    docMock.on(ScanCommand).resolves({ Items: [closed('ct-1', 'c1', 800), closed('ct-2', 'c2', 800)] });
    docMock.on(BatchWriteCommand).resolvesOnce({ UnprocessedItems: { 'dsr-contact-history': [{ DeleteRequest: { Key: { contactId: 'ct-2' } } }] } }).resolves({});
    docMock.on(BatchGetCommand).resolves({ Responses: { 'dsr-contact-history': [{ contactId: 'ct-2' }] } });

    // Act
    const result = await sweepSegments(deps(), batch([{ store: 'contact-history', segment: 0, totalSegments: 1 }]));

    // Assert
    expect(result.stores).toEqual([{ store: 'contact-history', examined: 2, expired: 2, removed: 1, heldSkipped: 0, remaining: 1 }]);
    expect(deletedBatches('dsr-contact-history')).toEqual([[{ contactId: 'ct-1' }, { contactId: 'ct-2' }], [{ contactId: 'ct-2' }]]);
  });

  it('removes nothing on a dry run (from the run file or the batch input) and counts what is past its rule as remaining', async () => {
    // Arrange
    docMock.on(ScanCommand).resolves({ Items: [closed('ct-1', 'c1', 800), closed('ct-2', 'held', 800)] });

    // Act
    const fromBatch = await sweepSegments(deps(), batch([{ store: 'contact-history', segment: 0, totalSegments: 1 }], true));
    run = { ...run, dryRun: true };
    const fromRun = await sweepSegments(deps(), batch([{ store: 'contact-history', segment: 0, totalSegments: 1 }]));

    // Assert
    for (const result of [fromBatch, fromRun]) expect(result.stores).toEqual([{ store: 'contact-history', examined: 2, expired: 2, removed: 0, heldSkipped: 1, remaining: 1 }]);
    expect(docMock.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });
});

describe('sweepSegments on retained invoices and the ledger', () => {
  it('reads only the retained partitions of orders and deletes those past retainUntil, unless the customer is held', async () => {
    // Arrange
    docMock.on(ScanCommand).resolves({
      Items: [
        { customerId: 'retained#key-c1', orderId: 'o1', retainUntil: ago(1) },
        { customerId: 'retained#key-c1', orderId: 'o2', retainUntil: ago(-1) },
        { customerId: 'retained#key-held', orderId: 'o3', retainUntil: ago(1) },
      ],
    });

    // Act
    const result = await sweepSegments(deps(), batch([{ store: 'orders', segment: 0, totalSegments: 1 }]));

    // Assert
    expect(result.stores).toEqual([{ store: 'orders', examined: 3, expired: 2, removed: 1, heldSkipped: 1, remaining: 0 }]);
    expect(docMock.commandCalls(ScanCommand)[0]!.args[0].input).toMatchObject({
      FilterExpression: 'begins_with(#pk, :retained)',
      ExpressionAttributeValues: { ':retained': 'retained#' },
      ExpressionAttributeNames: { '#pk': 'customerId', '#a0': 'customerId', '#a1': 'orderId', '#a2': 'retainUntil' },
    });
    expect(deletedBatches('dsr-orders')).toEqual([[{ customerId: 'retained#key-c1', orderId: 'o1' }]]);
  });

  it('deletes closed requests 5 years after their last change, never open ones, and skips the open markers', async () => {
    // Arrange
    docMock.on(ScanCommand).resolves({
      Items: [
        { requestId: 'r1', customerKey: 'key-c1', status: 'completed', updatedAt: ago(5 * 366) },
        { requestId: 'r2', customerKey: 'key-c1', status: 'in_progress', updatedAt: ago(5 * 366) },
        { requestId: 'r3', customerKey: 'key-held', status: 'cancelled', updatedAt: ago(5 * 366) },
        { requestId: 'open#erasure#key-c1' },
      ],
    });

    // Act
    const result = await sweepSegments(deps(), batch([{ store: 'request-ledger', segment: 0, totalSegments: 1 }]));

    // Assert
    expect(result.stores).toEqual([{ store: 'request-ledger', examined: 3, expired: 2, removed: 1, heldSkipped: 1, remaining: 0 }]);
    expect(deletedBatches('dsr-request-ledger')).toEqual([[{ requestId: 'r1' }]]);
  });

  it('finds the customer of an item by retained partition, customerKey, or its customer id hashed', () => {
    // Assert
    expect(customerKeyOfItem(getStore('orders'), { customerId: 'retained#abc', orderId: 'o' }, keyOf)).toBe('abc');
    expect(customerKeyOfItem(getStore('orders'), { customerId: 'c7', orderId: 'o' }, keyOf)).toBe('key-c7');
    expect(customerKeyOfItem(getStore('request-ledger'), { requestId: 'r', customerKey: 'k' }, keyOf)).toBe('k');
    expect(customerKeyOfItem(getStore('contact-history'), { contactId: 'ct', customerId: 'c8' }, keyOf)).toBe('key-c8');
    expect(customerKeyOfItem(getStore('request-ledger'), { requestId: 'open#x' }, keyOf)).toBeUndefined();
  });
});

describe('sweepSegments on a bucket (call recordings)', () => {
  const listed = (key: string, uploadedDaysAgo: number) => ({ Key: key, Size: 10, LastModified: new Date(Date.parse(NOW) - uploadedDaysAgo * DAY) });

  it('deletes recordings past 90 days after the call (no HeadObject for one uploaded before that) and keeps the rest and held customers', async () => {
    // Arrange
    s3Mock.on(GetBucketVersioningCommand).resolves({});
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [listed('recordings/c1/old.wav', 200), listed('recordings/c1/recent-call-old.wav', 1), listed('recordings/c1/new.wav', 1), listed('recordings/held/a.wav', 200)],
      })
      .resolves({ Contents: [listed('recordings/c1/new.wav', 1), listed('recordings/held/a.wav', 200)] });
    s3Mock.on(HeadObjectCommand, { Key: 'recordings/c1/recent-call-old.wav' }).resolves({ Metadata: { 'recorded-at': ago(91) } });
    s3Mock.on(HeadObjectCommand, { Key: 'recordings/c1/new.wav' }).resolves({ Metadata: { 'recorded-at': ago(89) } });
    s3Mock.on(DeleteObjectsCommand).resolves({});

    // Act
    const result = await sweepSegments({ ...deps(), concurrency: 4 }, batch([{ store: 'call-recordings', prefix: 'recordings/c' }, { store: 'call-recordings', prefix: 'recordings/h' }]));

    // Assert
    expect(result.stores).toEqual([{ store: 'call-recordings', examined: 4, expired: 3, removed: 2, heldSkipped: 1, remaining: 0 }]);
    expect(s3Mock.commandCalls(HeadObjectCommand).map((call) => call.args[0].input.Key)).toEqual(['recordings/c1/recent-call-old.wav', 'recordings/c1/new.wav']);
    expect(s3Mock.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete!.Objects)).toEqual([[{ Key: 'recordings/c1/old.wav' }, { Key: 'recordings/c1/recent-call-old.wav' }]]);
    expect(s3Mock.commandCalls(GetBucketVersioningCommand)).toHaveLength(1);
  });

  it('deletes every version and delete marker of an expired object in a versioned bucket, across listing pages', async () => {
    // Arrange
    s3Mock.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    const version = (key: string, id: string, latest: boolean, daysAgo: number) => ({ Key: key, VersionId: id, IsLatest: latest, LastModified: new Date(Date.parse(NOW) - daysAgo * DAY) });
    s3Mock
      .on(ListObjectVersionsCommand)
      .resolvesOnce({ Versions: [version('recordings/c1/a.wav', 'v2', true, 200)], IsTruncated: true, NextKeyMarker: 'recordings/c1/a.wav', NextVersionIdMarker: 'v2' })
      .resolvesOnce({
        Versions: [version('recordings/c1/a.wav', 'v1', false, 300), version('recordings/c1/b.wav', 'v1', false, 300), version('recordings/c1/c.wav', 'v1', true, 1)],
        DeleteMarkers: [{ Key: 'recordings/c1/b.wav', VersionId: 'd1', IsLatest: true, LastModified: new Date(NOW) }],
      })
      .resolves({ Versions: [version('recordings/c1/c.wav', 'v1', true, 1)] });
    s3Mock.on(HeadObjectCommand).resolves({ Metadata: { 'recorded-at': ago(10) } });
    s3Mock.on(DeleteObjectsCommand).resolves({});

    // Act
    const result = await sweepSegments(deps(), batch([{ store: 'call-recordings', prefix: 'recordings/c' }]));

    // Assert
    expect(result.stores).toEqual([{ store: 'call-recordings', examined: 2, expired: 1, removed: 1, heldSkipped: 0, remaining: 0 }]);
    expect(s3Mock.commandCalls(DeleteObjectsCommand).flatMap((call) => call.args[0].input.Delete!.Objects)).toEqual([
      { Key: 'recordings/c1/a.wav', VersionId: 'v2' },
      { Key: 'recordings/c1/a.wav', VersionId: 'v1' },
    ]);
    expect(s3Mock.commandCalls(HeadObjectCommand).map((call) => call.args[0].input)).toEqual([{ Bucket: 'dsr-call-recordings', Key: 'recordings/c1/c.wav', VersionId: 'v1' }]);
  });

  it('counts an object still listed after its deletion as remaining, and refuses a prefix outside the store', async () => {
    // Arrange
    s3Mock.on(GetBucketVersioningCommand).resolves({});
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [listed('recordings/c1/old.wav', 200)] });
    s3Mock.on(DeleteObjectsCommand).resolves({});

    // Act
    const result = await sweepSegments(deps(), batch([{ store: 'call-recordings', prefix: 'recordings/c' }]));

    // Assert
    expect(result.stores).toEqual([{ store: 'call-recordings', examined: 1, expired: 1, removed: 0, heldSkipped: 0, remaining: 1 }]);
    await expect(sweepSegments(deps(), batch([{ store: 'call-recordings', prefix: 'customers/' }]))).rejects.toThrow('Segment prefix is outside store "call-recordings"');
  });

  it('removes nothing from a bucket on a dry run', async () => {
    // Arrange
    s3Mock.on(GetBucketVersioningCommand).resolves({});
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [listed('recordings/c1/old.wav', 200)] });

    // Act
    const result = await sweepSegments(deps(), batch([{ store: 'call-recordings', prefix: 'recordings/c' }], true));

    // Assert
    expect(result.stores).toEqual([{ store: 'call-recordings', examined: 1, expired: 1, removed: 0, heldSkipped: 0, remaining: 1 }]);
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });
});

describe('sweep input and the run file', () => {
  it('refuses a segment of a store the sweep does not enforce a rule in, or of the wrong kind', async () => {
    // Act / Assert
    await expect(sweepSegments(deps(), batch([{ store: 'uploaded-photos', prefix: 'customers/' }]))).rejects.toThrow('Store "uploaded-photos" has no rule the retention sweep enforces');
    await expect(sweepSegments(deps(), batch([{ store: 'contact-history', prefix: 'x' }]))).rejects.toThrow('Store "contact-history" is not swept by key prefix');
    await expect(sweepSegments(deps(), batch([{ store: 'call-recordings', segment: 0, totalSegments: 1 }]))).rejects.toThrow('Store "call-recordings" is not swept by table segment');
    expect(sweepSegmentInput.safeParse({ Items: [], BatchInput: { runId: 'r', dryRun: false } }).success).toBe(false);
  });

  it('names the audit bucket when the run file cannot be read, and refuses one that is not a run file', async () => {
    // Arrange
    s3Mock.on(GetObjectCommand, { Key: 'retention/gone/run.json' }).rejects(Object.assign(new Error('none'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));
    s3Mock.on(GetObjectCommand, { Key: 'retention/bad/run.json' }).callsFake(() => ({ Body: body({ runId: 'bad' }) }));

    // Act / Assert
    await expect(readRunFile(s3, 'dsr-audit', 'gone')).rejects.toThrow('Store "audit" failed: NoSuchKey: none');
    await expect(readRunFile(s3, 'dsr-audit', 'bad')).rejects.toThrow();
  });
});
