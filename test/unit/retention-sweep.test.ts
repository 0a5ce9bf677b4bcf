import { Readable } from 'node:stream';
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
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { RetryPolicy } from '../../functions/core/erasure/config';
import { StoreFailed, StoreUnavailable } from '../../functions/core/errors';
import { retentionRequestId } from '../../functions/core/retention/inactive-accounts';
import type { ExpiredFile, RunFile } from '../../functions/core/retention/plan';
import { readRunFile, sweepSegmentInput, sweepSegmentOutput, sweepSegments, type SweepDeps } from '../../functions/core/retention/sweep';
import { restoredAfterEach } from './helpers/replacements';

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
const deps = (): SweepDeps => ({ doc, s3, workBucket: 'dsr-exports', retry, requestErasure, customerKey: keyOf });
const body = (value: unknown) => Readable.from([Buffer.from(JSON.stringify(value))]) as never;
const batch = (items: unknown[], dryRun = false) => sweepSegmentInput.parse({ Items: items, BatchInput: { runId: 'run-1', dryRun } });

/** Every key a BatchWriteItem deleted, per call. */
function deletedBatches(table: string): unknown[][] {
  return docMock.commandCalls(BatchWriteCommand).map((call) => call.args[0].input.RequestItems![table]!.map((request) => (request as { DeleteRequest: { Key: unknown } }).DeleteRequest.Key));
}

beforeEach(() => {
  docMock.reset();
  s3Mock.reset();
  requestErasure.mockReset();
  run = { runId: 'run-1', now: NOW, dryRun: false, inactiveAccounts: { enabled: true, months: 36 }, versionedBuckets: { 'dsr-call-recordings': false }, heldCustomerKeys: ['key-held'] };
  s3Mock.on(GetObjectCommand, { Bucket: 'dsr-exports', Key: 'retention/run-1/run.json' }).callsFake(() => ({ Body: body(run) }));
  docMock.on(BatchWriteCommand).resolves({});
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
    expect(scans[0]!.FilterExpression).toBeUndefined();
  });

  it('sends unprocessed deletes again, and fails the task when DynamoDB still leaves some unprocessed (nothing counted as removed that was not)', async () => {
    // Arrange
    docMock.on(ScanCommand).resolves({ Items: [closed('ct-1', 'c1', 800), closed('ct-2', 'c2', 800)] });
    docMock.on(BatchWriteCommand).resolvesOnce({ UnprocessedItems: { 'dsr-contact-history': [{ DeleteRequest: { Key: { contactId: 'ct-2' } } }] } }).resolves({});

    // Act
    const result = await sweepSegments(deps(), batch([{ store: 'contact-history', segment: 0, totalSegments: 1 }]));
    docMock.on(BatchWriteCommand).resolves({ UnprocessedItems: { 'dsr-contact-history': [{ DeleteRequest: { Key: { contactId: 'ct-2' } } }] } });
    const stuck = sweepSegments(deps(), batch([{ store: 'contact-history', segment: 0, totalSegments: 1 }]));

    // Assert
    expect(result.stores).toEqual([{ store: 'contact-history', examined: 2, expired: 2, removed: 2, heldSkipped: 0, remaining: 0 }]);
    expect(deletedBatches('dsr-contact-history').slice(0, 2)).toEqual([[{ contactId: 'ct-1' }, { contactId: 'ct-2' }], [{ contactId: 'ct-2' }]]);
    await expect(stuck).rejects.toThrow(StoreUnavailable);
    await expect(stuck).rejects.toThrow('Store "contact-history": 1 writes still unprocessed after 3 attempts');
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

describe('sweepSegments on a table segment the planner read (orders, contacts)', () => {
  const file = (store: string, records: ExpiredFile['records']): ExpiredFile => ({ store, records });
  const serve = (key: string, content: unknown) => s3Mock.on(GetObjectCommand, { Bucket: 'dsr-exports', Key: key }).callsFake(() => ({ Body: body(content) }));

  it('deletes the records of the expired-records file, unless the customer is held, and counts what the planner examined', async () => {
    // Arrange
    serve('retention/run-1/expired/orders/3.json', file('orders', [
      { key: { customerId: 'retained#key-c1', orderId: 'o1' }, customerKey: 'key-c1' },
      { key: { customerId: 'retained#key-held', orderId: 'o3' }, customerKey: 'key-held' },
    ]));

    // Act
    const result = await sweepSegments(deps(), batch([{ store: 'orders', scanned: 7, expiredFile: 'retention/run-1/expired/orders/3.json' }, { store: 'orders', scanned: 5 }]));

    // Assert
    expect(result.stores).toEqual([{ store: 'orders', examined: 12, expired: 2, removed: 1, heldSkipped: 1, remaining: 0 }]);
    expect(deletedBatches('dsr-orders')).toEqual([[{ customerId: 'retained#key-c1', orderId: 'o1' }]]);
    expect(docMock.commandCalls(ScanCommand)).toHaveLength(0);
  });

  it('deletes in batches of 25 and removes nothing on a dry run', async () => {
    // Arrange
    const records = Array.from({ length: 26 }, (_, index) => ({ key: { contactId: `ct-${index}` }, customerKey: `key-c${index}` }));
    serve('retention/run-1/expired/contact-history/0.json', file('contact-history', records));
    const item = { store: 'contact-history', scanned: 40, expiredFile: 'retention/run-1/expired/contact-history/0.json' };

    // Act
    const removing = await sweepSegments(deps(), batch([item]));
    const dry = await sweepSegments(deps(), batch([item], true));

    // Assert
    expect(removing.stores).toEqual([{ store: 'contact-history', examined: 40, expired: 26, removed: 26, heldSkipped: 0, remaining: 0 }]);
    expect(deletedBatches('dsr-contact-history').map((keys) => keys.length)).toEqual([25, 1]);
    expect(dry.stores).toEqual([{ store: 'contact-history', examined: 40, expired: 26, removed: 0, heldSkipped: 0, remaining: 26 }]);
    expect(docMock.commandCalls(BatchWriteCommand)).toHaveLength(2);
  });

  it('refuses a file of another store, and names the exports bucket when the file cannot be read', async () => {
    // Arrange
    serve('retention/run-1/expired/orders/0.json', file('contact-history', [{ key: { contactId: 'ct-1' } }]));
    s3Mock.on(GetObjectCommand, { Key: 'retention/run-1/expired/orders/1.json' }).rejects(Object.assign(new Error('gone'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));

    // Act / Assert
    await expect(sweepSegments(deps(), batch([{ store: 'orders', scanned: 1, expiredFile: 'retention/run-1/expired/orders/0.json' }]))).rejects.toThrow(
      'Expired-records file retention/run-1/expired/orders/0.json is of store "contact-history", not "orders"',
    );
    await expect(sweepSegments(deps(), batch([{ store: 'orders', scanned: 1, expiredFile: 'retention/run-1/expired/orders/1.json' }]))).rejects.toThrow('Store "exports" failed: NoSuchKey: gone');
    expect(docMock.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });
});

describe('sweepSegments on the ledger', () => {
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
});

describe('sweepSegments on a bucket (call recordings)', () => {
  const listed = (key: string, uploadedDaysAgo: number) => ({ Key: key, Size: 10, LastModified: new Date(Date.parse(NOW) - uploadedDaysAgo * DAY) });
  const dated = (customerId: string, recordedAt: string, call: string) => `recordings/${customerId}/${recordedAt}_${call}.wav`;

  it('decides by the date in the file name, without a HeadObject, a second either side of 90 days after the call', async () => {
    // Arrange: NOW is 2030-06-15T12:00:00Z; 90 days before is 2030-03-17T12:00:00Z.
    s3Mock.on(ListObjectsV2Command).resolves({
      Contents: [
        listed(dated('c1', '20300317T115959Z', 'call-a'), 1),
        listed(dated('c1', '20300317T120001Z', 'call-b'), 200),
        listed(dated('c1', '20300317T120000Z', 'call-c'), 1),
        listed(dated('c1', '20300317T115959.500Z', 'call-d'), 1),
      ],
    });
    s3Mock.on(DeleteObjectsCommand).resolves({});

    // Act
    const result = await sweepSegments(deps(), batch([{ store: 'call-recordings', prefix: 'recordings/c' }]));

    // Assert: exactly 90 days is not past yet; the upload date does not matter.
    expect(result.stores).toEqual([{ store: 'call-recordings', examined: 4, expired: 2, removed: 2, heldSkipped: 0, remaining: 0 }]);
    expect(s3Mock.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'dsr-call-recordings', Delete: { Objects: [{ Key: dated('c1', '20300317T115959Z', 'call-a') }, { Key: dated('c1', '20300317T115959.500Z', 'call-d') }], Quiet: true } },
    ]);
    expect(s3Mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(GetBucketVersioningCommand)).toHaveLength(0);
  });

  it('reads an object named without a date by its upload time, or HeadObject when uploaded within 90 days, and keeps held customers', async () => {
    // Arrange
    s3Mock.on(ListObjectsV2Command, { Prefix: 'recordings/c' }).resolves({
      Contents: [listed('recordings/c1/old.wav', 200), listed('recordings/c1/recent-call-old.wav', 1), listed('recordings/c1/new.wav', 1), listed('recordings/c1/20301301T000000Z_bad-date.wav', 1)],
    });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'recordings/h' }).resolves({ Contents: [listed('recordings/held/a.wav', 200)] });
    s3Mock.on(HeadObjectCommand, { Key: 'recordings/c1/recent-call-old.wav' }).resolves({ Metadata: { 'recorded-at': ago(91) } });
    s3Mock.on(HeadObjectCommand, { Key: 'recordings/c1/new.wav' }).resolves({ Metadata: { 'recorded-at': ago(89) } });
    s3Mock.on(HeadObjectCommand, { Key: 'recordings/c1/20301301T000000Z_bad-date.wav' }).resolves({ Metadata: { 'recorded-at': ago(89) } });
    s3Mock.on(DeleteObjectsCommand).resolves({});

    // Act
    const result = await sweepSegments({ ...deps(), concurrency: 4 }, batch([{ store: 'call-recordings', prefix: 'recordings/c' }, { store: 'call-recordings', prefix: 'recordings/h' }]));

    // Assert
    expect(result.stores).toEqual([{ store: 'call-recordings', examined: 5, expired: 3, removed: 2, heldSkipped: 1, remaining: 0 }]);
    // An impossible date (month 13) is no date: read like any other name.
    expect(s3Mock.commandCalls(HeadObjectCommand).map((call) => call.args[0].input.Key)).toEqual(['recordings/c1/recent-call-old.wav', 'recordings/c1/new.wav', 'recordings/c1/20301301T000000Z_bad-date.wav']);
    expect(s3Mock.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete!.Objects)).toEqual([[{ Key: 'recordings/c1/old.wav' }, { Key: 'recordings/c1/recent-call-old.wav' }]]);
  });

  it('sends DeleteObjects 1,000 keys at a time across the prefixes of a batch, the rest at its end', async () => {
    // Arrange
    const page = (first: string) => ({ Contents: Array.from({ length: 400 }, (_, index) => listed(dated(`${first}${index}`, '20300101T000000Z', 'call'), 1)) });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'recordings/a' }).resolves(page('a'));
    s3Mock.on(ListObjectsV2Command, { Prefix: 'recordings/b' }).resolves(page('b'));
    s3Mock.on(ListObjectsV2Command, { Prefix: 'recordings/c' }).resolves(page('c'));
    s3Mock.on(DeleteObjectsCommand).resolves({});

    // Act
    const result = await sweepSegments(deps(), batch(['a', 'b', 'c'].map((first) => ({ store: 'call-recordings', prefix: `recordings/${first}` }))));

    // Assert
    expect(result.stores).toEqual([{ store: 'call-recordings', examined: 1200, expired: 1200, removed: 1200, heldSkipped: 0, remaining: 0 }]);
    const sent = s3Mock.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete!.Objects!);
    expect(sent.map((objects) => objects.length)).toEqual([1000, 200]);
    expect(sent.flat().map((object) => object.Key)).toEqual(['a', 'b', 'c'].flatMap((first) => page(first).Contents.map((object) => object.Key)));
  });

  it('deletes every version and delete marker of an expired object in a versioned bucket, across listing pages', async () => {
    // Arrange
    run = { ...run, versionedBuckets: { 'dsr-call-recordings': true } };
    const version = (key: string, id: string, latest: boolean, daysAgo: number) => ({ Key: key, VersionId: id, IsLatest: latest, LastModified: new Date(Date.parse(NOW) - daysAgo * DAY) });
    s3Mock
      .on(ListObjectVersionsCommand)
      .resolvesOnce({ Versions: [version('recordings/c1/a.wav', 'v2', true, 200)], IsTruncated: true, NextKeyMarker: 'recordings/c1/a.wav', NextVersionIdMarker: 'v2' })
      .resolvesOnce({
        Versions: [version('recordings/c1/a.wav', 'v1', false, 300), version('recordings/c1/b.wav', 'v1', false, 300), version('recordings/c1/c.wav', 'v1', true, 1)],
        DeleteMarkers: [{ Key: 'recordings/c1/b.wav', VersionId: 'd1', IsLatest: true, LastModified: new Date(NOW) }],
      });
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
    expect(s3Mock.commandCalls(ListObjectsV2Command)).toHaveLength(0);
  });

  it('fails the task when S3 refuses a delete, and refuses a prefix outside the store or a bucket the run file does not describe', async () => {
    // Arrange
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [listed('recordings/c1/old.wav', 200)] });
    s3Mock.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'recordings/c1/old.wav', Code: 'AccessDenied' }] });

    // Act
    const refused = sweepSegments(deps(), batch([{ store: 'call-recordings', prefix: 'recordings/c' }]));

    // Assert
    await expect(refused).rejects.toThrow(StoreFailed);
    await expect(refused).rejects.toThrow('Store "call-recordings": 1 objects could not be deleted (AccessDenied)');
    await expect(sweepSegments(deps(), batch([{ store: 'call-recordings', prefix: 'customers/' }]))).rejects.toThrow('Segment prefix is outside store "call-recordings"');
    run = { ...run, versionedBuckets: {} };
    await expect(sweepSegments(deps(), batch([{ store: 'call-recordings', prefix: 'recordings/c' }]))).rejects.toThrow('Run file has no versioning status of bucket "dsr-call-recordings"');
  });

  it('removes nothing from a bucket on a dry run', async () => {
    // Arrange
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
    await expect(sweepSegments(deps(), batch([{ store: 'call-recordings', scanned: 1 }]))).rejects.toThrow('Store "call-recordings" is not swept from the planner\'s scan');
    expect(sweepSegmentInput.safeParse({ Items: [], BatchInput: { runId: 'r', dryRun: false } }).success).toBe(false);
  });

  it('names the exports bucket when the run file cannot be read, and refuses one that is not a run file', async () => {
    // Arrange
    s3Mock.on(GetObjectCommand, { Key: 'retention/gone/run.json' }).rejects(Object.assign(new Error('none'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));
    s3Mock.on(GetObjectCommand, { Key: 'retention/bad/run.json' }).callsFake(() => ({ Body: body({ runId: 'bad' }) }));

    // Act / Assert
    await expect(readRunFile(s3, 'dsr-exports', 'gone')).rejects.toThrow('Store "exports" failed: NoSuchKey: none');
    await expect(readRunFile(s3, 'dsr-exports', 'bad')).rejects.toThrow();
  });
});

describe('sweepSegments on the customer profiles (inactive accounts)', () => {
  it('requests the erasure of an inactive account with the run\'s id, and only counts it on a dry run', async () => {
    // Arrange: 36 months before NOW is 2027-06-15; c-old last logged in before, c-recent after.
    docMock.on(ScanCommand, { TableName: 'dsr-customer-profile' }).resolves({
      Items: [
        { customerId: 'c-old', brand: 'albelli', lastLoginAt: ago(1200) },
        { customerId: 'c-recent', brand: 'albelli', lastLoginAt: ago(30) },
        { customerId: 'held', brand: 'albelli', lastLoginAt: ago(1200) },
      ],
    });
    docMock.on(QueryCommand).resolves({ Items: [] });
    requestErasure.mockResolvedValue('created');

    // Act
    const removing = await sweepSegments(deps(), batch([{ store: 'customer-profile', segment: 1, totalSegments: 3 }]));
    const dry = await sweepSegments(deps(), batch([{ store: 'customer-profile', segment: 1, totalSegments: 3 }], true));

    // Assert
    expect(removing.stores).toEqual([{ store: 'customer-profile', examined: 3, expired: 2, removed: 1, heldSkipped: 1, remaining: 0 }]);
    expect(dry.stores).toEqual([{ store: 'customer-profile', examined: 3, expired: 2, removed: 0, heldSkipped: 1, remaining: 1 }]);
    expect(requestErasure.mock.calls.map(([request]) => request)).toEqual([{ requestId: retentionRequestId('run-1', 'key-c-old'), customerId: 'c-old', brand: 'albelli' }]);
    expect(docMock.commandCalls(ScanCommand)[0]!.args[0].input).toMatchObject({ TableName: 'dsr-customer-profile', Segment: 1, TotalSegments: 3 });
  });
});

describe('sweepSegments with the configured hash key', () => {
  const replacements = restoredAfterEach();

  it('hashes customer ids with DSR_HASH_KEY when no customerKey is given, so a held customer\'s records stay', async () => {
    // Arrange: HMAC-SHA256 of "customer:c1" with 32 times "k" (openssl dgst -sha256 -hmac).
    replacements.setEnv('DSR_HASH_KEY', 'k'.repeat(32));
    run = { ...run, heldCustomerKeys: ['f4457a143d5957954905d8d4a649c6f75efc1b17549269f71311d3f998f4208d'] };
    docMock.on(ScanCommand).resolves({
      Items: [
        { contactId: 'ct-1', customerId: 'c1', status: 'closed', closedAt: ago(800) },
        { contactId: 'ct-9', customerId: 'c9', status: 'closed', closedAt: ago(800) },
      ],
    });

    // Act
    const result = await sweepSegments({ ...deps(), customerKey: undefined }, batch([{ store: 'contact-history', segment: 0, totalSegments: 1 }]));

    // Assert
    expect(result.stores).toEqual([{ store: 'contact-history', examined: 2, expired: 2, removed: 1, heldSkipped: 1, remaining: 0 }]);
    expect(deletedBatches('dsr-contact-history')).toEqual([[{ contactId: 'ct-9' }]]);
  });
});

describe('sweepSegments on a bucket: objects without a date in the name', () => {
  const listed = (key: string, uploadedDaysAgo?: number) => ({ Key: key, Size: 10, LastModified: uploadedDaysAgo === undefined ? undefined : new Date(Date.parse(NOW) - uploadedDaysAgo * DAY) });

  it('reads HeadObject for an object uploaded exactly 90 days ago or without an upload time, and keeps one without metadata', async () => {
    // Arrange
    s3Mock.on(ListObjectsV2Command).resolves({
      Contents: [listed('recordings/c1/exactly-90.wav', 90), listed('recordings/c1/no-upload-time.wav'), listed('recordings/c1/no-metadata.wav', 1)],
    });
    s3Mock.on(HeadObjectCommand, { Key: 'recordings/c1/exactly-90.wav' }).resolves({ Metadata: { 'recorded-at': ago(89) } });
    s3Mock.on(HeadObjectCommand, { Key: 'recordings/c1/no-upload-time.wav' }).resolves({ Metadata: { 'recorded-at': ago(91) } });
    s3Mock.on(HeadObjectCommand, { Key: 'recordings/c1/no-metadata.wav' }).resolves({});
    s3Mock.on(DeleteObjectsCommand).resolves({});

    // Act
    const result = await sweepSegments(deps(), batch([{ store: 'call-recordings', prefix: 'recordings/c' }]));

    // Assert
    expect(result.stores).toEqual([{ store: 'call-recordings', examined: 3, expired: 1, removed: 1, heldSkipped: 0, remaining: 0 }]);
    expect(s3Mock.commandCalls(HeadObjectCommand).map((call) => call.args[0].input)).toEqual(
      ['exactly-90', 'no-upload-time', 'no-metadata'].map((name) => ({ Bucket: 'dsr-call-recordings', Key: `recordings/c1/${name}.wav`, VersionId: undefined })),
    );
    expect(s3Mock.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete!.Objects)).toEqual([[{ Key: 'recordings/c1/no-upload-time.wav' }]]);
  });

  it('keeps an object that is gone by the time HeadObject reads it, and fails the task on any other HeadObject error', async () => {
    // Arrange
    s3Mock.on(ListObjectsV2Command, { Prefix: 'recordings/g' }).resolves({ Contents: [listed('recordings/g1/not-found.wav', 1), listed('recordings/g1/no-such-key.wav', 1)] });
    s3Mock.on(HeadObjectCommand, { Key: 'recordings/g1/not-found.wav' }).rejects(Object.assign(new Error('gone'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }));
    s3Mock.on(HeadObjectCommand, { Key: 'recordings/g1/no-such-key.wav' }).rejects(Object.assign(new Error('gone'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));
    s3Mock.on(ListObjectsV2Command, { Prefix: 'recordings/d' }).resolves({ Contents: [listed('recordings/d1/denied.wav', 1)] });
    s3Mock.on(HeadObjectCommand, { Key: 'recordings/d1/denied.wav' }).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    s3Mock.on(ListObjectsV2Command, { Prefix: 'recordings/n' }).resolves({ Contents: [listed('recordings/n1/odd.wav', 1)] });
    s3Mock.on(HeadObjectCommand, { Key: 'recordings/n1/odd.wav' }).callsFake(async () => Promise.reject({ name: 'NotFound' }));

    // Act
    const gone = await sweepSegments(deps(), batch([{ store: 'call-recordings', prefix: 'recordings/g' }]));
    const denied = sweepSegments(deps(), batch([{ store: 'call-recordings', prefix: 'recordings/d' }]));
    const odd = sweepSegments(deps(), batch([{ store: 'call-recordings', prefix: 'recordings/n' }]));

    // Assert
    expect(gone.stores).toEqual([{ store: 'call-recordings', examined: 2, expired: 0, removed: 0, heldSkipped: 0, remaining: 0 }]);
    await expect(denied).rejects.toThrow(StoreFailed);
    await expect(denied).rejects.toThrow('Store "call-recordings" failed: AccessDenied: denied');
    // Something thrown that is no Error is not taken for a missing object, whatever its name.
    await expect(odd).rejects.toThrow('Store "call-recordings" failed: [object Object]');
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  it('attributes an object to a customer only under a customer folder: loose objects are never taken for a held customer\'s', async () => {
    // Arrange: every customer id hashes to the held key here.
    s3Mock.on(ListObjectsV2Command, { Prefix: 'recordings/' }).resolves({ Contents: [listed('recordings/c1/old.wav', 200), listed('recordings//no-customer.wav', 200), listed('recordings/loose.wav', 200)] });
    s3Mock.on(DeleteObjectsCommand).resolves({});

    // Act
    const result = await sweepSegments({ ...deps(), customerKey: () => 'key-held' }, batch([{ store: 'call-recordings', prefix: 'recordings/' }]));

    // Assert
    expect(result.stores).toEqual([{ store: 'call-recordings', examined: 3, expired: 3, removed: 2, heldSkipped: 1, remaining: 0 }]);
    expect(s3Mock.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete!.Objects)).toEqual([[{ Key: 'recordings//no-customer.wav' }, { Key: 'recordings/loose.wav' }]]);
  });

  it('sends a full DeleteObjects batch as soon as 1,000 keys are queued, before a later segment of the batch fails', async () => {
    // Arrange
    s3Mock.on(ListObjectsV2Command, { Prefix: 'recordings/a' }).resolves({ Contents: Array.from({ length: 1000 }, (_, index) => listed(`recordings/a${index}/old.wav`, 200)) });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'recordings/b' }).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    s3Mock.on(DeleteObjectsCommand).resolves({});

    // Act
    const swept = sweepSegments(deps(), batch([{ store: 'call-recordings', prefix: 'recordings/a' }, { store: 'call-recordings', prefix: 'recordings/b' }]));

    // Assert
    await expect(swept).rejects.toThrow('Store "call-recordings" failed: AccessDenied: denied');
    expect(s3Mock.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete!.Objects!.length)).toEqual([1000]);
  });
});

describe('sweepSegments on a versioned bucket: listing', () => {
  const version = (key: string, id: string, latest: boolean, daysAgo: number) => ({ Key: key, VersionId: id, IsLatest: latest, LastModified: new Date(Date.parse(NOW) - daysAgo * DAY) });

  beforeEach(() => {
    run = { ...run, versionedBuckets: { 'dsr-call-recordings': true } };
    s3Mock.on(DeleteObjectsCommand).resolves({});
  });

  it('deletes an object\'s older delete markers with its versions, though S3 lists markers after the next key\'s versions, and pages with both markers', async () => {
    // Arrange
    s3Mock
      .on(ListObjectVersionsCommand)
      .resolvesOnce({
        Versions: [version('recordings/c1/a.wav', 'v3', true, 200), version('recordings/c1/a.wav', 'v1', false, 400), version('recordings/c1/b.wav', 'v1', true, 200)],
        DeleteMarkers: [{ Key: 'recordings/c1/a.wav', VersionId: 'd2', IsLatest: false, LastModified: new Date(Date.parse(NOW) - 300 * DAY) }],
        IsTruncated: true,
        NextKeyMarker: 'recordings/c1/b.wav',
        NextVersionIdMarker: 'v1',
      })
      .resolvesOnce({ Versions: [version('recordings/c1/c.wav', 'v1', true, 200)] });

    // Act
    const result = await sweepSegments(deps(), batch([{ store: 'call-recordings', prefix: 'recordings/c' }]));

    // Assert
    expect(result.stores).toEqual([{ store: 'call-recordings', examined: 3, expired: 3, removed: 3, heldSkipped: 0, remaining: 0 }]);
    expect(s3Mock.commandCalls(DeleteObjectsCommand).flatMap((call) => call.args[0].input.Delete!.Objects)).toEqual([
      { Key: 'recordings/c1/a.wav', VersionId: 'v3' },
      { Key: 'recordings/c1/a.wav', VersionId: 'v1' },
      { Key: 'recordings/c1/a.wav', VersionId: 'd2' },
      { Key: 'recordings/c1/b.wav', VersionId: 'v1' },
      { Key: 'recordings/c1/c.wav', VersionId: 'v1' },
    ]);
    expect(s3Mock.commandCalls(ListObjectVersionsCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'dsr-call-recordings', Prefix: 'recordings/c', KeyMarker: undefined, VersionIdMarker: undefined },
      { Bucket: 'dsr-call-recordings', Prefix: 'recordings/c', KeyMarker: 'recordings/c1/b.wav', VersionIdMarker: 'v1' },
    ]);
  });

  it('examines nothing of a prefix whose only key is deleted already (its latest version a delete marker)', async () => {
    // Arrange
    s3Mock.on(ListObjectVersionsCommand).resolves({
      Versions: [version('recordings/c1/gone.wav', 'v1', false, 400)],
      DeleteMarkers: [{ Key: 'recordings/c1/gone.wav', VersionId: 'd1', IsLatest: true, LastModified: new Date(Date.parse(NOW) - 300 * DAY) }],
    });

    // Act
    const result = await sweepSegments(deps(), batch([{ store: 'call-recordings', prefix: 'recordings/c' }]));

    // Assert
    expect(result.stores).toEqual([{ store: 'call-recordings', examined: 0, expired: 0, removed: 0, heldSkipped: 0, remaining: 0 }]);
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });

  it('keeps an object open across a page that has delete markers only, so its older marker goes with it', async () => {
    // Arrange
    s3Mock
      .on(ListObjectVersionsCommand)
      .resolvesOnce({ Versions: [version('recordings/c1/a.wav', 'v2', true, 200)], IsTruncated: true, NextKeyMarker: 'recordings/c1/a.wav', NextVersionIdMarker: 'v2' })
      .resolvesOnce({ DeleteMarkers: [{ Key: 'recordings/c1/a.wav', VersionId: 'd1', IsLatest: false, LastModified: new Date(Date.parse(NOW) - 300 * DAY) }] });

    // Act
    const result = await sweepSegments(deps(), batch([{ store: 'call-recordings', prefix: 'recordings/c' }]));

    // Assert
    expect(result.stores).toEqual([{ store: 'call-recordings', examined: 1, expired: 1, removed: 1, heldSkipped: 0, remaining: 0 }]);
    expect(s3Mock.commandCalls(DeleteObjectsCommand).flatMap((call) => call.args[0].input.Delete!.Objects)).toEqual([
      { Key: 'recordings/c1/a.wav', VersionId: 'v2' },
      { Key: 'recordings/c1/a.wav', VersionId: 'd1' },
    ]);
  });

  it('names the bucket\'s store when the version listing fails', async () => {
    // Arrange
    s3Mock.on(ListObjectVersionsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));

    // Act / Assert
    await expect(sweepSegments(deps(), batch([{ store: 'call-recordings', prefix: 'recordings/c' }]))).rejects.toThrow('Store "call-recordings" failed: AccessDenied: denied');
  });
});
