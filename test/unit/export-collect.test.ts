import { GetBucketVersioningCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkErasureVerification } from '../../functions/core/erasure/verification';
import { collectInput, collectStore, isPersonalRecord, type VerifyResult } from '../../functions/core/export/collect';
import { getStore } from '../../functions/core/data-map';
import { exportConfig } from '../../functions/core/export/config';
import { customerKey } from '../../functions/core/keyed-hash';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const config = exportConfig({});
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);
const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
const deps = { s3, doc, config, env };
const retainedKey = `retained#${customerKey('c1', env.DSR_HASH_KEY)}`;

function input(store: string, mode?: 'export' | 'verify', customerId = 'c1') {
  return { ...collectInput.parse({ requestId: 'r1', store, mode }), customerId };
}

function stagedText(): string {
  const put = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
  return Buffer.from(put.Body as Uint8Array).toString('utf8');
}

beforeEach(() => {
  docMock.reset();
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"e"' });
});

describe('collectStore (export mode)', () => {
  it('stages every record of every page as JSON Lines and returns only counts and the pointer', async () => {
    docMock
      .on(QueryCommand, { ExpressionAttributeValues: { ':value': 'c1' } })
      .resolvesOnce({ Items: [{ customerId: 'c1', orderId: 'o1' }], LastEvaluatedKey: { customerId: 'c1', orderId: 'o1' } })
      .resolvesOnce({ Items: [{ customerId: 'c1', orderId: 'o2', note: 'line\nbreak' }] });
    docMock.on(QueryCommand, { ExpressionAttributeValues: { ':value': retainedKey } }).resolves({ Items: [] });

    const result = await collectStore(deps, input('orders'));

    const text = stagedText();
    expect(text.split('\n').filter(Boolean).map((line) => JSON.parse(line))).toEqual([
      { customerId: 'c1', orderId: 'o1' },
      { customerId: 'c1', orderId: 'o2', note: 'line\nbreak' },
    ]);
    expect(result).toEqual({ store: 'orders', status: 'completed', items: 2, bytes: Buffer.byteLength(text), stagingKey: 'staging/r1/orders.jsonl' });
    const put = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put.Bucket).toBe('dsr-exports');
    expect(put.Key).toBe('staging/r1/orders.jsonl');
  });

  it('stages a listing of a file store from the listing alone (key and size), never the bytes and no request per file', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'customers/c1/u1/beach.jpg', Size: 1234 }, { Key: 'customers/c1/u2/dune.jpg', Size: 66 }] });

    const result = await collectStore(deps, input('uploaded-photos'));

    expect(stagedText().trim().split('\n').map((line) => JSON.parse(line))).toEqual([
      { key: 'customers/c1/u1/beach.jpg', size: 1234 },
      { key: 'customers/c1/u2/dune.jpg', size: 66 },
    ]);
    expect(result).toMatchObject({ items: 2, bytes: 1300 });
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0]!.args[0].input.Prefix).toBe('customers/c1/');
    expect(s3Mock.calls().filter((call) => !(call.args[0] instanceof ListObjectsV2Command || call.args[0] instanceof PutObjectCommand))).toHaveLength(0);
  });

  it('still answers for a customer with no data: items 0 and an empty staging file', async () => {
    docMock.on(QueryCommand).resolves({ Items: [] });

    const result = await collectStore(deps, input('marketing'));

    expect(result).toEqual({ store: 'marketing', status: 'completed', items: 0, bytes: 0, stagingKey: 'staging/r1/marketing.jsonl' });
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it('fails with StoreUnavailable naming the store when the store throttles', async () => {
    docMock.on(QueryCommand).rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));

    const attempt = collectStore(deps, input('customer-profile'));

    await expect(attempt).rejects.toMatchObject({ name: 'StoreUnavailable', message: expect.stringContaining('customer-profile') });
  });

  it('lists a brand-partitioned store under every brand prefix (the customer id is group-wide)', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'albelli/c3/' }).resolves({ Contents: [{ Key: 'albelli/c3/a/1.jpg', Size: 4 }] });

    const result = await collectStore(deps, input('photo-library', 'export', 'c3'));

    const prefixes = s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.Prefix).sort();
    expect(prefixes).toEqual(['albelli/c3/', 'bonusprint/c3/', 'fotoknudsen/c3/', 'onskefoto/c3/', 'resnap/c3/']);
    expect(result).toMatchObject({ store: 'photo-library', items: 1, bytes: 4 });
  });
});

describe('collectStore (verify mode)', () => {
  it('counts what is left: retained records with only kept attributes are not personal', async () => {
    docMock.on(QueryCommand, { ExpressionAttributeValues: { ':value': 'c1' } }).resolves({ Items: [{ customerId: 'c1', orderId: 'o9', email: 'x' }] });
    docMock.on(QueryCommand, { ExpressionAttributeValues: { ':value': retainedKey } }).resolves({
      Items: [
        { customerId: retainedKey, orderId: 'o1', invoiceNumber: 'I1', grossAmount: 10, retainUntil: '2032-01-01' },
        { customerId: retainedKey, orderId: 'o2', invoiceNumber: 'I2', shippingAddress: { street: 'x' } },
      ],
    });

    const result = await collectStore(deps, input('orders', 'verify'));

    expect(result).toEqual({ store: 'orders', items: 3, retainedItems: 2, personalItems: 2 });
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(docMock.commandCalls(QueryCommand).every((call) => call.args[0].input.ConsistentRead === true)).toBe(true);
  });

  it('confirms what an index finds with a consistent read, so items the index still lists after deletion are not leftovers', async () => {
    docMock.on(QueryCommand).resolves({ Items: [{ contactId: 'k1', customerId: 'c1' }, { contactId: 'k2', customerId: 'c1' }] });
    docMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: {}, UnprocessedKeys: { 'dsr-contact-history': { Keys: [{ contactId: 'k2' }] } } })
      .resolves({ Responses: { 'dsr-contact-history': [{ contactId: 'k2', customerId: 'c1', transcript: 'still here' }] } });

    const result = await collectStore(deps, input('contact-history', 'verify'));

    expect(result).toEqual({ store: 'contact-history', items: 1, retainedItems: 0, personalItems: 1 });
    const batches = docMock.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems!['dsr-contact-history']!);
    expect(batches.map((batch) => [batch.Keys, batch.ConsistentRead])).toEqual([
      [[{ contactId: 'k1' }, { contactId: 'k2' }], true],
      [[{ contactId: 'k2' }], true],
    ]);
  });

  it.each([
    ['an old version', { Versions: [{ Key: 'recordings/c1/a.wav', VersionId: 'v1', IsLatest: false }] }],
    ['a delete marker', { DeleteMarkers: [{ Key: 'recordings/c1/a.wav', VersionId: 'm1', IsLatest: true }] }],
  ])('in a versioned bucket, counts %s left as personal, so the erasure fails naming the store', async (_what, page) => {
    s3Mock.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3Mock.on(ListObjectVersionsCommand).resolves({ ...page, IsTruncated: false });

    const result = (await collectStore(deps, input('call-recordings', 'verify'))) as VerifyResult;

    expect(result).toEqual({ store: 'call-recordings', items: 1, retainedItems: 0, personalItems: 1 });
    expect(s3Mock.commandCalls(ListObjectsV2Command)).toHaveLength(0);
    expect(() => checkErasureVerification({ requestId: 'r1', results: [result] })).toThrow(/Personal data left after erasure in: call-recordings/);
  });

  it('in a versioned bucket, follows the version markers across pages and finds nothing when every version is gone', async () => {
    s3Mock.on(GetBucketVersioningCommand).resolves({ Status: 'Suspended' });
    s3Mock
      .on(ListObjectVersionsCommand)
      .resolvesOnce({ Versions: [{ Key: 'recordings/c1/a.wav', VersionId: 'v1' }], IsTruncated: true, NextKeyMarker: 'recordings/c1/a.wav', NextVersionIdMarker: 'v1' })
      .resolves({ IsTruncated: false });

    const result = await collectStore(deps, input('call-recordings', 'verify'));

    expect(result).toEqual({ store: 'call-recordings', items: 1, retainedItems: 0, personalItems: 1 });
    expect(s3Mock.commandCalls(ListObjectVersionsCommand).map((call) => call.args[0].input.KeyMarker)).toEqual([undefined, 'recordings/c1/a.wav']);
  });

  it('counts remaining files of a file store as personal', async () => {
    s3Mock.on(GetBucketVersioningCommand).resolves({});
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'recordings/c1/a.wav', Size: 5 }] });

    const result = await collectStore(deps, input('call-recordings', 'verify'));

    expect(result).toEqual({ store: 'call-recordings', items: 1, retainedItems: 0, personalItems: 1 });
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});

describe('collectStore, settings', () => {
  it('stages JSON Lines under their content type, reads the bucket named in the environment, and names the exports store when staging fails', async () => {
    // Arrange
    s3Mock.on(ListObjectsV2Command, { Bucket: 'acme-photos' }).resolves({ Contents: [{ Key: 'customers/c1/a.jpg', Size: 3 }] });

    // Act
    const result = await collectStore({ ...deps, env: { ...env, DSR_BUCKET_UPLOADED_PHOTOS: 'acme-photos' } }, input('uploaded-photos'));
    const staged = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    docMock.on(QueryCommand).resolves({ Items: [] });
    const failed = collectStore(deps, input('marketing'));

    // Assert
    expect(result).toMatchObject({ items: 1, bytes: 3 });
    expect(staged.ContentType).toBe('application/x-ndjson');
    await expect(failed).rejects.toThrow('Store "exports" failed');
  });

  it('confirms index finds in the table named in the environment', async () => {
    // Arrange
    docMock.on(QueryCommand).resolves({ Items: [{ contactId: 'k1', customerId: 'c1' }] });
    docMock.on(BatchGetCommand).resolves({ Responses: { 'acme-contacts': [{ contactId: 'k1', customerId: 'c1' }] } });

    // Act
    const result = await collectStore({ ...deps, env: { ...env, DSR_TABLE_CONTACT_HISTORY: 'acme-contacts' } }, input('contact-history', 'verify'));

    // Assert
    expect(result).toMatchObject({ items: 1, personalItems: 1 });
    expect(Object.keys(docMock.commandCalls(BatchGetCommand)[0]!.args[0].input.RequestItems!)).toEqual(['acme-contacts']);
  });
});

describe('isPersonalRecord', () => {
  const orders = getStore('orders');
  const invoice = { customerId: 'retained#h', orderId: 'o1', invoiceNumber: 'INV-1', invoiceDate: '2024-03-15', grossAmount: 1210, retainUntil: '2031-03-15T23:59:59.999Z' };

  it('counts every record outside the retained partition as personal', () => {
    expect(isPersonalRecord(orders, invoice, false)).toBe(true);
  });

  it('counts a retained record of a store that deletes as personal', () => {
    expect(isPersonalRecord(getStore('marketing'), { customerId: 'retained#h', entryId: 'e1' }, true)).toBe(true);
  });

  it('counts a retained record with only keys, kept attributes and retainUntil as not personal, and one more attribute as personal', () => {
    expect(isPersonalRecord(orders, invoice, true)).toBe(false);
    expect(isPersonalRecord(orders, { ...invoice, shippingAddress: { city: 'Utrecht' } }, true)).toBe(true);
  });

  it('allows the index keys of a table with indexes', () => {
    // Arrange: orders as if it had two indexes, one without a sort key
    const indexed = { ...orders, table: { partitionKey: 'customerId', sortKey: 'orderId', indexes: [{ name: 'byYear', partitionKey: 'invoiceYear', sortKey: 'invoiceMonth' }, { name: 'byBrand', partitionKey: 'brandKey' }] } };
    const keyed = { ...invoice, invoiceYear: 2024, invoiceMonth: 3, brandKey: 'albelli' };

    // Act
    const answers = [isPersonalRecord(indexed, keyed, true), isPersonalRecord(orders, keyed, true)];

    // Assert
    expect(answers).toEqual([false, true]);
  });

  it('allows no key of a store without a table schema', () => {
    const schemaless = { ...orders, table: undefined };

    expect(isPersonalRecord(schemaless, { invoiceNumber: 'INV-1' }, true)).toBe(false);
    expect(isPersonalRecord(schemaless, { invoiceNumber: 'INV-1', orderId: 'o1' }, true)).toBe(true);
  });
});
