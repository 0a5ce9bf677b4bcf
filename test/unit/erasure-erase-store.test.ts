import {
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { RetryPolicy } from '../../functions/core/erasure/config';
import { eraseStore, eraseStoreInput, eraseStoreOutput } from '../../functions/core/erasure/erase-store';
import { entryId } from '../../functions/core/erasure/progress';
import { InvalidInput, StoreFailed, StoreUnavailable } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);
const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
const sleep = vi.fn(async (_ms: number) => {});
const retry: RetryPolicy = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100, sleep };
const deps = { doc, s3, auditBucket: 'dsr-audit', retry, env, now: () => new Date('2025-06-01T12:00:00.000Z') };
const input = (store: string, customerId = 'c1') => ({ requestId: 'r1', customerId, store }) as Parameters<typeof eraseStore>[1];

/** The progress objects written to the audit bucket, in call order. */
function progressWrites(): { key: string; body: { store: string; entries: { id: string; deleted: number }[] } }[] {
  return s3Mock
    .commandCalls(PutObjectCommand)
    .map((call) => ({ key: call.args[0].input.Key!, body: JSON.parse(String(call.args[0].input.Body)) }));
}

type Request = { PutRequest?: { Item: Record<string, unknown> }; DeleteRequest?: { Key: Record<string, unknown> } };

/** The requests of every BatchWriteItem call, in call order. */
function batchWrites(): Request[][] {
  return docMock.commandCalls(BatchWriteCommand).map((call) => Object.values(call.args[0].input.RequestItems ?? {})[0] as Request[]);
}

function contact(index: number, customerId = 'c1') {
  return { contactId: `k${index}`, customerId, createdAt: `2024-01-01T00:00:${String(index % 60).padStart(2, '0')}.000Z`, subject: 'secret' };
}

function order(index: number) {
  return {
    customerId: 'c1',
    orderId: `o${String(index).padStart(3, '0')}`,
    brand: 'albelli',
    invoiceNumber: `INV-${index}`,
    invoiceDate: '2024-03-15T10:00:00.000Z',
    orderedAt: '2024-03-14T09:00:00.000Z',
    currency: 'EUR',
    netAmount: 1000,
    vatRate: 21,
    vatAmount: 210,
    grossAmount: 1210,
    country: 'NL',
    status: 'delivered',
    paymentStatus: 'paid',
    shippingAddress: { street: 'Damrak 1', city: 'Amsterdam' },
    billingAddress: { street: 'Damrak 1', city: 'Amsterdam' },
    paymentReference: 'PAY-1',
    customerNote: 'ring twice',
    lines: [{ sku: 'book', projectId: 'p1', photoKeys: ['customers/c1/a.jpg'] }],
  };
}

beforeEach(() => {
  docMock.reset();
  s3Mock.reset();
  s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-audit' }).resolves({ Contents: [] });
  s3Mock.on(PutObjectCommand, { Bucket: 'dsr-audit' }).resolves({});
  sleep.mockClear();
});

describe('delete eraser, DynamoDB', () => {
  it('deletes every key found through the index in batches of 25, across query pages', async () => {
    docMock
      .on(QueryCommand)
      .resolvesOnce({ Items: Array.from({ length: 40 }, (_, i) => contact(i)), LastEvaluatedKey: { contactId: 'k39' } })
      .resolvesOnce({ Items: Array.from({ length: 20 }, (_, i) => contact(40 + i)) });
    docMock.on(BatchWriteCommand).resolves({});

    const result = await eraseStore(deps, input('contact-history'));

    expect(batchWrites().map((batch) => batch.length)).toEqual([25, 25, 10]);
    expect(batchWrites().flat().map((request) => request.DeleteRequest!.Key)).toEqual(Array.from({ length: 60 }, (_, i) => ({ contactId: `k${i}` })));
    expect(result).toMatchObject({ store: 'contact-history', action: 'delete', deleted: 60, retained: 0, versionsDeleted: 0, finishedAt: '2025-06-01T12:00:00.000Z' });
    expect(result.bytes).toBeGreaterThan(0);
    expect(progressWrites().map(({ key, body }) => [key.startsWith('progress/r1/contact-history/'), body.entries.length])).toEqual([
      [true, 25],
      [true, 25],
      [true, 10],
    ]);
    expect(new Set(progressWrites().flatMap(({ body }) => body.entries.map((entry) => entry.id))).size).toBe(60);
  });

  it('records each record in the progress log before deleting it, and a replay does not record it again', async () => {
    // Arrange: an earlier execution recorded the first 25 records and crashed before deleting them
    const items = Array.from({ length: 30 }, (_, i) => contact(i));
    const recorded = items.slice(0, 25).map((item) => ({ id: entryId(`dsr-contact-history\u0000${JSON.stringify({ contactId: item.contactId })}`, env.DSR_HASH_KEY), deleted: 1, retained: 0, versionsDeleted: 0, bytes: 1 }));
    s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-audit' }).resolves({ Contents: [{ Key: 'progress/r1/contact-history/a.json' }] });
    s3Mock.on(GetObjectCommand).resolves({
      Body: { transformToString: async () => JSON.stringify({ store: 'contact-history', entries: recorded }) } as never,
    });
    docMock.on(QueryCommand).resolves({ Items: items });
    docMock.on(BatchWriteCommand).resolves({});

    // Act
    const result = await eraseStore(deps, input('contact-history'));

    // Assert: every record deleted, only the five not yet recorded newly recorded
    expect(batchWrites().map((batch) => batch.length)).toEqual([25, 5]);
    expect(progressWrites().map(({ body }) => body.entries.length)).toEqual([5]);
    expect(result.deleted).toBe(30);
  });

  it('writes nothing when the progress log cannot be written', async () => {
    s3Mock.on(PutObjectCommand, { Bucket: 'dsr-audit' }).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    docMock.on(QueryCommand).resolves({ Items: [contact(0)] });

    await expect(eraseStore(deps, input('contact-history'))).rejects.toThrow(/Store "audit" failed/);
    expect(docMock.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });

  it('sends UnprocessedItems again with backoff until they are written', async () => {
    docMock.on(QueryCommand).resolves({ Items: Array.from({ length: 5 }, (_, i) => contact(i)) });
    docMock
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { 'dsr-contact-history': [{ DeleteRequest: { Key: { contactId: 'k3' } } }, { DeleteRequest: { Key: { contactId: 'k4' } } }] } })
      .resolvesOnce({});

    const result = await eraseStore(deps, input('contact-history'));

    expect(batchWrites().map((batch) => batch.map((request) => request.DeleteRequest!.Key.contactId))).toEqual([
      ['k0', 'k1', 'k2', 'k3', 'k4'],
      ['k3', 'k4'],
    ]);
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(result.deleted).toBe(5);
  });

  it('fails with StoreUnavailable naming the store when items stay unprocessed', async () => {
    docMock.on(QueryCommand).resolves({ Items: [contact(0)] });
    docMock.on(BatchWriteCommand).resolves({ UnprocessedItems: { 'dsr-contact-history': [{ DeleteRequest: { Key: { contactId: 'k0' } } }] } });

    const outcome = eraseStore(deps, input('contact-history'));

    await expect(outcome).rejects.toThrow(StoreUnavailable);
    await expect(outcome).rejects.toThrow(/contact-history/);
    expect(docMock.commandCalls(BatchWriteCommand)).toHaveLength(3);
  });

  it('refuses to delete a record of another customer returned by the query', async () => {
    docMock.on(QueryCommand).resolves({ Items: [contact(0, 'c12')] });

    await expect(eraseStore(deps, input('contact-history'))).rejects.toThrow(StoreFailed);
    expect(docMock.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });

  it('returns zeros when nothing is left (a replay)', async () => {
    docMock.on(QueryCommand).resolves({ Items: [] });

    const result = await eraseStore(deps, input('marketing'));

    expect(result).toMatchObject({ deleted: 0, retained: 0, versionsDeleted: 0, bytes: 0 });
    expect(docMock.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });

  it('rejects a store that is not erased', async () => {
    await expect(eraseStore(deps, input('audit'))).rejects.toThrow(InvalidInput);
    await expect(eraseStore(deps, input('audit'))).rejects.toThrow('Store "audit" is not erased');
  });

  it('keeps the progress log of the request and store in the audit bucket it is given, and dates the result now without a clock', async () => {
    docMock.on(QueryCommand).resolves({ Items: [contact(0)] });
    docMock.on(BatchWriteCommand).resolves({});
    s3Mock.on(ListObjectsV2Command, { Bucket: 'acme-audit' }).resolves({ Contents: [] });
    s3Mock.on(PutObjectCommand, { Bucket: 'acme-audit' }).resolves({});
    const before = Date.now();

    const result = await eraseStore({ doc, s3, auditBucket: 'acme-audit', retry, env }, input('contact-history'));

    expect(s3Mock.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toMatchObject({ Bucket: 'acme-audit', Prefix: 'progress/r1/contact-history/' });
    expect(progressWrites().map(({ key }) => key.startsWith('progress/r1/contact-history/'))).toEqual([true]);
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Bucket).toBe('acme-audit');
    expect(Date.parse(result.finishedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(result.finishedAt)).toBeLessThanOrEqual(Date.now());
  });
});

describe('anonymise-and-retain eraser (orders)', () => {
  const retainedKey = `retained#${customerKey('c1', env.DSR_HASH_KEY)}`;

  it('writes the retained records before deleting the originals, batch by batch', async () => {
    docMock.on(QueryCommand, { ExpressionAttributeValues: { ':value': 'c1' } }).resolves({ Items: Array.from({ length: 30 }, (_, i) => order(i)) });
    docMock.on(QueryCommand, { ExpressionAttributeValues: { ':value': retainedKey } }).resolves({ Items: [] });
    docMock.on(BatchWriteCommand).resolves({});

    const result = await eraseStore(deps, input('orders'));

    const batches = batchWrites();
    expect(batches.map((batch) => [batch[0]!.PutRequest ? 'put' : 'delete', batch.length])).toEqual([
      ['put', 25],
      ['delete', 25],
      ['put', 5],
      ['delete', 5],
    ]);
    expect(batches[1]!.map((request) => request.DeleteRequest!.Key)).toEqual(batches[0]!.map((request) => ({ customerId: 'c1', orderId: request.PutRequest!.Item.orderId })));
    expect(result).toMatchObject({ store: 'orders', action: 'anonymise-and-retain', deleted: 30, retained: 30 });
  });

  it('keeps only the invoice attributes and retainUntil under the hashed partition', async () => {
    docMock.on(QueryCommand, { ExpressionAttributeValues: { ':value': 'c1' } }).resolves({ Items: [order(7)] });
    docMock.on(QueryCommand, { ExpressionAttributeValues: { ':value': retainedKey } }).resolves({ Items: [] });
    docMock.on(BatchWriteCommand).resolves({});

    await eraseStore(deps, input('orders'));

    expect(batchWrites()[0]![0]!.PutRequest!.Item).toEqual({
      customerId: retainedKey,
      orderId: 'o007',
      invoiceNumber: 'INV-7',
      invoiceDate: '2024-03-15T10:00:00.000Z',
      orderedAt: '2024-03-14T09:00:00.000Z',
      currency: 'EUR',
      netAmount: 1000,
      vatAmount: 210,
      vatRate: 21,
      grossAmount: 1210,
      country: 'NL',
      brand: 'albelli',
      retainUntil: '2031-03-15T23:59:59.999Z',
    });
  });

  it('leaves already retained records alone (never reads them), so a replay returns zeros', async () => {
    docMock.on(QueryCommand, { ExpressionAttributeValues: { ':value': 'c1' } }).resolves({ Items: [] });
    docMock.on(QueryCommand, { ExpressionAttributeValues: { ':value': retainedKey } }).resolves({ Items: [{ customerId: retainedKey, orderId: 'o001', retainUntil: '2031-03-15T23:59:59.999Z' }] });

    const result = await eraseStore(deps, input('orders'));

    expect(result).toMatchObject({ deleted: 0, retained: 0 });
    expect(docMock.commandCalls(BatchWriteCommand)).toHaveLength(0);
    expect(docMock.commandCalls(QueryCommand).map((call) => call.args[0].input.ExpressionAttributeValues)).toEqual([{ ':value': 'c1' }]);
  });

  it('does not delete an order whose retention start is missing', async () => {
    const { invoiceDate: _invoiceDate, ...withoutDate } = order(1);
    docMock.on(QueryCommand, { ExpressionAttributeValues: { ':value': 'c1' } }).resolves({ Items: [withoutDate] });
    docMock.on(QueryCommand, { ExpressionAttributeValues: { ':value': retainedKey } }).resolves({ Items: [] });

    await expect(eraseStore(deps, input('orders'))).rejects.toThrow(StoreFailed);
    expect(docMock.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });
});

describe('delete eraser, S3', () => {
  const keys = (count: number, from = 0) => Array.from({ length: count }, (_, i) => ({ Key: `customers/c1/u${from + i}/p.jpg`, Size: 10 }));

  it('deletes every listed object in batches of at most 1,000, listing from the start again after each deleted page', async () => {
    s3Mock.on(GetBucketVersioningCommand).resolves({});
    s3Mock
      .on(ListObjectsV2Command, { Bucket: 'dsr-uploaded-photos' })
      .resolvesOnce({ Contents: keys(1000), IsTruncated: true, NextContinuationToken: 't1' })
      .resolvesOnce({ Contents: keys(1000, 1000), IsTruncated: true, NextContinuationToken: 't2' })
      .resolvesOnce({ Contents: keys(500, 2000), IsTruncated: false });
    s3Mock.on(DeleteObjectsCommand).resolves({});

    const result = await eraseStore(deps, input('uploaded-photos'));

    const calls = s3Mock.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input);
    expect(calls.map((call) => call.Delete!.Objects!.length)).toEqual([1000, 1000, 500]);
    const listings = s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input).filter((call) => call.Bucket === 'dsr-uploaded-photos');
    expect(listings.map((call) => [call.Prefix, call.ContinuationToken])).toEqual([
      ['customers/c1/', undefined],
      ['customers/c1/', undefined],
      ['customers/c1/', undefined],
    ]);
    expect(progressWrites().map(({ body }) => body.entries.length)).toEqual([1000, 1000, 500]);
    expect(calls.every((call) => call.Bucket === 'dsr-uploaded-photos' && call.Delete!.Objects!.every((object) => object.Key!.startsWith('customers/c1/')))).toBe(true);
    expect(result).toMatchObject({ store: 'uploaded-photos', deleted: 2500, versionsDeleted: 0, bytes: 25_000 });
  });

  it('sends keys that failed transiently again, and only those', async () => {
    s3Mock.on(GetBucketVersioningCommand).resolves({});
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: keys(3) });
    s3Mock
      .on(DeleteObjectsCommand)
      .resolvesOnce({ Errors: [{ Key: 'customers/c1/u1/p.jpg', Code: 'SlowDown', Message: 'slow down' }] })
      .resolvesOnce({});

    const result = await eraseStore(deps, input('uploaded-photos'));

    const calls = s3Mock.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete!.Objects!.map((object) => object.Key));
    expect(calls).toEqual([['customers/c1/u0/p.jpg', 'customers/c1/u1/p.jpg', 'customers/c1/u2/p.jpg'], ['customers/c1/u1/p.jpg']]);
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(result.deleted).toBe(3);
  });

  it('fails naming the store and the error code when a key is refused', async () => {
    s3Mock.on(GetBucketVersioningCommand).resolves({});
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: keys(2) });
    s3Mock.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'customers/c1/u0/p.jpg', Code: 'AccessDenied', Message: 'denied' }] });

    const outcome = eraseStore(deps, input('uploaded-photos'));

    await expect(outcome).rejects.toThrow(StoreFailed);
    await expect(outcome).rejects.toThrow(/uploaded-photos.*AccessDenied/);
    await expect(outcome).rejects.not.toThrow(/u0/);
  });

  it('raises StoreUnavailable when keys keep failing transiently', async () => {
    s3Mock.on(GetBucketVersioningCommand).resolves({});
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: keys(1) });
    s3Mock.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'customers/c1/u0/p.jpg', Code: 'InternalError' }] });

    await expect(eraseStore(deps, input('uploaded-photos'))).rejects.toThrow(StoreUnavailable);
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(3);
  });

  it('deletes every version and delete marker in a versioned bucket', async () => {
    s3Mock.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3Mock
      .on(ListObjectVersionsCommand)
      .resolvesOnce({
        Versions: [
          { Key: 'recordings/c1/a.wav', VersionId: 'v2', IsLatest: true, Size: 100 },
          { Key: 'recordings/c1/a.wav', VersionId: 'v1', IsLatest: false, Size: 90 },
        ],
        DeleteMarkers: [{ Key: 'recordings/c1/b.wav', VersionId: 'm1', IsLatest: true }],
        IsTruncated: true,
        NextKeyMarker: 'recordings/c1/b.wav',
        NextVersionIdMarker: 'm1',
      })
      .resolvesOnce({ Versions: [{ Key: 'recordings/c1/b.wav', VersionId: 'v0', IsLatest: false, Size: 50 }], IsTruncated: false });
    s3Mock.on(DeleteObjectsCommand).resolves({});

    const result = await eraseStore(deps, input('call-recordings'));

    const listed = s3Mock.commandCalls(ListObjectVersionsCommand).map((call) => call.args[0].input);
    expect(listed.map((call) => [call.Prefix, call.KeyMarker, call.VersionIdMarker])).toEqual([
      ['recordings/c1/', undefined, undefined],
      ['recordings/c1/', undefined, undefined],
    ]);
    const deleted = s3Mock.commandCalls(DeleteObjectsCommand).flatMap((call) => call.args[0].input.Delete!.Objects!);
    expect(deleted).toEqual([
      { Key: 'recordings/c1/a.wav', VersionId: 'v2' },
      { Key: 'recordings/c1/a.wav', VersionId: 'v1' },
      { Key: 'recordings/c1/b.wav', VersionId: 'm1' },
      { Key: 'recordings/c1/b.wav', VersionId: 'v0' },
    ]);
    expect(s3Mock.commandCalls(ListObjectsV2Command).filter((call) => call.args[0].input.Bucket !== 'dsr-audit')).toHaveLength(0);
    expect(result).toMatchObject({ deleted: 1, versionsDeleted: 4, bytes: 240 });
  });

  it('treats a suspended bucket as versioned (old versions remain)', async () => {
    s3Mock.on(GetBucketVersioningCommand).resolves({ Status: 'Suspended' });
    s3Mock.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: 'recordings/c1/a.wav', VersionId: 'null', IsLatest: true, Size: 5 }] });
    s3Mock.on(DeleteObjectsCommand).resolves({});

    const result = await eraseStore(deps, input('call-recordings'));

    expect(result).toMatchObject({ deleted: 1, versionsDeleted: 1 });
  });

  it('falls back to plain deletes when the store does not implement versioning', async () => {
    s3Mock.on(GetBucketVersioningCommand).rejects(Object.assign(new Error('not implemented'), { name: 'NotImplemented', $metadata: { httpStatusCode: 501 } }));
    s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-photo-library' }).resolves({ Contents: [] });
    s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-photo-library', Prefix: 'onskefoto/c1/' }).resolves({ Contents: [{ Key: 'onskefoto/c1/al/f.jpg', Size: 7 }] });
    s3Mock.on(DeleteObjectsCommand).resolves({});

    const result = await eraseStore(deps, input('photo-library', 'c1'));

    expect(s3Mock.commandCalls(DeleteObjectsCommand)[0]!.args[0].input.Delete!.Objects).toEqual([{ Key: 'onskefoto/c1/al/f.jpg' }]);
    expect(result).toMatchObject({ deleted: 1, versionsDeleted: 0, bytes: 7 });
  });

  it('searches a brand-partitioned store under every brand prefix, whatever the request says', async () => {
    s3Mock.on(GetBucketVersioningCommand).resolves({});
    s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-photo-library' }).resolves({ Contents: [] });
    s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-photo-library', Prefix: 'fotoknudsen/c3/' }).resolvesOnce({ Contents: [{ Key: 'fotoknudsen/c3/a/1.jpg', Size: 3 }] }).resolves({ Contents: [] });
    s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-photo-library', Prefix: 'albelli/c3/' }).resolvesOnce({ Contents: [{ Key: 'albelli/c3/a/2.jpg', Size: 4 }] }).resolves({ Contents: [] });
    s3Mock.on(DeleteObjectsCommand).resolves({});

    const result = await eraseStore(deps, input('photo-library', 'c3'));

    const listedPrefixes = s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input).filter((call) => call.Bucket === 'dsr-photo-library').map((call) => call.Prefix);
    expect(listedPrefixes.sort()).toEqual(['albelli/c3/', 'bonusprint/c3/', 'fotoknudsen/c3/', 'onskefoto/c3/', 'resnap/c3/']);
    expect(s3Mock.commandCalls(DeleteObjectsCommand).flatMap((call) => call.args[0].input.Delete!.Objects!.map((object) => object.Key)).sort()).toEqual([
      'albelli/c3/a/2.jpg',
      'fotoknudsen/c3/a/1.jpg',
    ]);
    expect(result).toMatchObject({ deleted: 2, bytes: 7 });
  });
});

describe('eraser step contracts', () => {
  it('takes a request id and a customer store, and answers the action with non-negative whole counts', () => {
    const requestId = '6f1c2f0e-8a4b-4c2d-9e1f-0a1b2c3d4e5f';
    const output = { store: 'orders', action: 'anonymise-and-retain', deleted: 1, retained: 1, versionsDeleted: 0, bytes: 10, finishedAt: '2025-06-01T12:00:00.000Z' };

    expect(eraseStoreInput.parse({ requestId, store: 'orders' })).toEqual({ requestId, store: 'orders' });
    expect(eraseStoreInput.safeParse({ requestId, store: 'audit' }).success).toBe(false);
    expect(eraseStoreInput.safeParse({ store: 'orders' }).success).toBe(false);
    expect(eraseStoreOutput.parse(output)).toEqual(output);
    expect(eraseStoreOutput.safeParse({ ...output, action: 'none' }).success).toBe(false);
    expect(eraseStoreOutput.safeParse({ ...output, deleted: -1 }).success).toBe(false);
    expect(eraseStoreOutput.safeParse({ ...output, bytes: 1.5 }).success).toBe(false);
  });
});
