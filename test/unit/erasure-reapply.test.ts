import { DeleteObjectsCommand, GetBucketVersioningCommand, GetObjectCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Brand } from '../../functions/core/brands';
import { CUSTOMER_STORES } from '../../functions/core/data-map';
import type { RetryPolicy } from '../../functions/core/erasure/config';
import { completedErasuresSince, findRestoredCustomers, reapplyErasures, type ReapplyDeps } from '../../functions/core/erasure/reapply';
import { StoreFailed } from '../../functions/core/errors';
import type { RecordPage, RequestRecord } from '../../functions/core/ledger';

/**
 * Re-applying erasures after a restore: completed erasures read from the ledger, customers found again
 * by hashing every store's customer ids, and erased again. Customer keys are known answers
 * (`printf '%s' 'customer:cust-0001' | openssl dgst -sha256 -hmac "$KEY"`), never computed here.
 */

const KEY = 'kat-hash-key-0123456789abcdef0123';
const env = { DSR_HASH_KEY: KEY };
const KEY_0001 = 'e8b449ab12ad65b6bc3bed67ef606872fe85adbc3a2ea2e750732a56e9c7afca';
const KEY_0002 = '75941a87a366d3d6c44f834328ab007390ddc74e9e467979cf49b7732b97e2ad';
const KEY_0003 = 'cbb06eff72f6eb0d383b715ae9eec1ac2ac28b85652edb2587f4d4730823bfb8';
const SINCE = new Date('2026-03-01T00:00:00.000Z');

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);
const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
const retry: RetryPolicy = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, sleep: vi.fn(async () => {}) };

/** The buckets of the fake S3: key → body. */
let buckets: Record<string, Map<string, string>>;

function bucket(name: string): Map<string, string> {
  return (buckets[name] ??= new Map());
}

/** A ledger whose `list` answers the given pages in turn, recording each filter it was asked. */
function ledgerOf(pages: RecordPage[]) {
  const filters: unknown[] = [];
  let next = 0;
  return { filters, ledger: { list: async (filter: unknown) => (filters.push(filter), pages[next++]!) } };
}

function completed(customerKey: string, fields: Partial<RequestRecord> = {}): RequestRecord {
  return {
    requestId: `r-${customerKey.slice(0, 6)}`,
    type: 'erasure',
    customerKey,
    brand: 'albelli',
    status: 'completed',
    createdAt: '2026-02-01T00:00:00.000Z',
    updatedAt: '2026-03-02T00:00:00.000Z',
    dueAt: '2026-03-03T00:00:00.000Z',
    bodyHash: 'hash',
    stores: {},
    version: 3,
    ...fields,
  } as RequestRecord;
}

const deps = (ledger: ReapplyDeps['ledger'] = { list: async () => ({ items: [] }) }): ReapplyDeps => ({ doc, s3, ledger, retry, env });

beforeEach(() => {
  docMock.reset();
  s3Mock.reset();
  buckets = {};
  docMock.on(ScanCommand).resolves({ Items: [] });
  docMock.on(QueryCommand).resolves({ Items: [] });
  docMock.on(GetCommand).resolves({});
  docMock.on(UpdateCommand).resolves({});
  docMock.on(BatchWriteCommand).resolves({});
  s3Mock.on(GetBucketVersioningCommand).resolves({});
  s3Mock.on(ListObjectsV2Command).callsFake((input: { Bucket: string; Prefix?: string }) => ({
    Contents: [...bucket(input.Bucket).keys()].filter((key) => key.startsWith(input.Prefix ?? '')).map((Key) => ({ Key, Size: 1 })),
  }));
  s3Mock.on(PutObjectCommand).callsFake((input: { Bucket: string; Key: string; Body: string }) => (bucket(input.Bucket).set(input.Key, String(input.Body)), {}));
  s3Mock.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => ({ Body: { transformToString: async () => bucket(input.Bucket).get(input.Key)! } }));
  s3Mock.on(DeleteObjectsCommand).callsFake((input: { Bucket: string; Delete: { Objects: { Key: string }[] } }) => {
    for (const object of input.Delete.Objects) bucket(input.Bucket).delete(object.Key);
    return {};
  });
});

describe('completedErasuresSince', () => {
  it('keeps the erasures completed at or after the date, with their brand, across every page of completed requests', async () => {
    // Arrange
    const { ledger, filters } = ledgerOf([
      { items: [completed(KEY_0001, { brand: 'resnap' }), completed(KEY_0002, { updatedAt: '2026-02-28T23:59:59.999Z' })], nextToken: 'page-2' },
      { items: [completed(KEY_0003, { updatedAt: SINCE.toISOString() }), completed('e'.repeat(64), { type: 'export' })] },
    ]);

    // Act
    const erased = await completedErasuresSince(ledger, SINCE);

    // Assert
    expect([...erased]).toEqual([
      [KEY_0001, 'resnap'],
      [KEY_0003, 'albelli'],
    ]);
    expect(filters).toEqual([
      { status: 'completed', limit: 100, nextToken: undefined },
      { status: 'completed', limit: 100, nextToken: 'page-2' },
    ]);
  });
});

describe('findRestoredCustomers', () => {
  const erased = new Map<string, Brand>([
    [KEY_0001, 'albelli'],
    [KEY_0002, 'onskefoto'],
  ]);

  it('finds nothing, reading no store, when no erasure completed', async () => {
    // Act
    const found = await findRestoredCustomers(deps(), new Map());

    // Assert
    expect(found.size).toBe(0);
    expect(docMock.commandCalls(ScanCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(ListObjectsV2Command)).toHaveLength(0);
  });

  it('finds erased customers by the customer attribute of every table, across scan pages, skipping retained and non-string ids', async () => {
    // Arrange
    docMock
      .on(ScanCommand, { TableName: 'dsr-marketing' })
      .resolvesOnce({ Items: [{ customerId: 'cust-0009' }, { customerId: 42 }, {}], LastEvaluatedKey: { customerId: 'cust-0009', entryId: 'e1' } })
      .resolvesOnce({ Items: [{ customerId: 'cust-0001' }] });
    docMock.on(ScanCommand, { TableName: 'dsr-orders' }).resolves({ Items: [{ customerId: `retained#${KEY_0002}` }] });
    docMock.on(ScanCommand, { TableName: 'dsr-contact-history' }).resolves({ Items: [{ customerId: 'cust-0002' }] });

    // Act
    const found = await findRestoredCustomers(deps(), erased);

    // Assert
    expect([...found]).toEqual([
      ['cust-0002', 'onskefoto'],
      ['cust-0001', 'albelli'],
    ]);
    const marketing = docMock.commandCalls(ScanCommand).map((call) => call.args[0].input).filter((input) => input.TableName === 'dsr-marketing');
    expect(marketing).toEqual([
      { TableName: 'dsr-marketing', ProjectionExpression: '#customer', ExpressionAttributeNames: { '#customer': 'customerId' } },
      { TableName: 'dsr-marketing', ProjectionExpression: '#customer', ExpressionAttributeNames: { '#customer': 'customerId' }, ExclusiveStartKey: { customerId: 'cust-0009', entryId: 'e1' } },
    ]);
  });

  it('finds erased customers by the key prefix of every bucket, across listing pages', async () => {
    // Arrange
    s3Mock
      .on(ListObjectsV2Command, { Bucket: 'dsr-photo-library' })
      .resolvesOnce({ Contents: [{ Key: 'resnap/cust-0009/a.jpg' }, { Key: 'Albelli/cust-0002/a.jpg' }, {}], IsTruncated: true, NextContinuationToken: 't1' })
      .resolvesOnce({ Contents: [{ Key: 'albelli/cust-0002/b/c.jpg' }], IsTruncated: false, NextContinuationToken: 'never' });
    s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-uploaded-photos' }).resolves({
      Contents: [
        { Key: 'old/customers/cust-0003/a.jpg' },
        { Key: 'customers/cust-0003' },
        { Key: 'customers/cust.0003/a.jpg' },
        { Key: `customers/${'c'.repeat(65)}/a.jpg` },
        { Key: 'customers/cust-0001/a.jpg' },
      ],
    });
    s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-call-recordings' }).resolves({ Contents: [{ Key: 'Recordings/cust-0003/a.wav' }, { Key: 'recordings-cust-0003/a.wav' }] });

    // Act: cust-0003 was erased too, but none of these keys is under one of its prefixes
    const found = await findRestoredCustomers(deps(), new Map([...erased, [KEY_0003, 'resnap']]));

    // Assert
    expect([...found]).toEqual([
      ['cust-0001', 'albelli'],
      ['cust-0002', 'onskefoto'],
    ]);
    const library = s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input).filter((input) => input.Bucket === 'dsr-photo-library');
    expect(library).toEqual([{ Bucket: 'dsr-photo-library' }, { Bucket: 'dsr-photo-library', ContinuationToken: 't1' }]);
  });

  it('never reads a number or a key outside the prefix template as a customer id, even of customers "42" and "undefined" erased', async () => {
    // Arrange: known-answer keys of the customer ids "42" and "undefined"
    const oddlyErased = new Map<string, Brand>([
      ['909c8dc7a2d4d0fd708d3164e062ec3cf211f131dbf7892ec8b0cd0aa4fee142', 'albelli'],
      ['49b7d60a2f35ef3ff403d55fc4d695eb48f8213203f8028d03ed337d9753d616', 'albelli'],
    ]);
    docMock.on(ScanCommand, { TableName: 'dsr-marketing' }).resolves({ Items: [{ customerId: 42 }, {}] });
    s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-uploaded-photos' }).resolves({ Contents: [{ Key: 'elsewhere/42/a.jpg' }] });

    // Act
    const found = await findRestoredCustomers(deps(), oddlyErased);

    // Assert
    expect(found.size).toBe(0);
  });

  it('wraps a failing scan or listing naming the store', async () => {
    // Arrange
    const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    docMock.on(ScanCommand, { TableName: 'dsr-orders' }).rejects(denied);

    // Act
    const scan = findRestoredCustomers(deps(), erased);

    // Assert
    await expect(scan).rejects.toThrow(StoreFailed);
    await expect(scan).rejects.toThrow('Store "orders" failed');
    docMock.on(ScanCommand).resolves({ Items: [] });
    s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-call-recordings' }).rejects(denied);
    await expect(findRestoredCustomers(deps(), erased)).rejects.toThrow('Store "call-recordings" failed');
  });
});

describe('reapplyErasures', () => {
  it('erases a restored customer again in every erased store and reports counts and customer keys only', async () => {
    // Arrange: cust-0001's erasure completed; a restore brought back one marketing entry and one photo
    const { ledger } = ledgerOf([{ items: [completed(KEY_0001)] }]);
    docMock.on(ScanCommand, { TableName: 'dsr-marketing' }).resolves({ Items: [{ customerId: 'cust-0001' }] });
    docMock.on(QueryCommand, { TableName: 'dsr-marketing', ExpressionAttributeValues: { ':value': 'cust-0001' } }).resolves({
      Items: [{ customerId: 'cust-0001', entryId: 'e1', channel: 'email', address: 'a@example.com' }],
    });
    bucket('dsr-uploaded-photos').set('customers/cust-0001/a.jpg', 'jpeg');
    bucket('dsr-uploaded-photos').set('customers/cust-00011/b.jpg', 'jpeg');

    // Act
    const report = await reapplyErasures(deps(ledger), SINCE);

    // Assert
    const erasedStores = CUSTOMER_STORES.filter((store) => store.erasure.action !== 'none').map((store) => store.id);
    expect(report.since).toBe('2026-03-01T00:00:00.000Z');
    expect(report.erasures).toBe(1);
    expect(report.customerKeys).toEqual([KEY_0001]);
    expect(Object.keys(report.stores)).toEqual(erasedStores);
    expect(report.stores.marketing).toEqual({ deleted: 1, retained: 0, versionsDeleted: 0 });
    expect(report.stores['uploaded-photos']).toEqual({ deleted: 1, retained: 0, versionsDeleted: 0 });
    expect(report.stores['customer-profile']).toEqual({ deleted: 0, retained: 0, versionsDeleted: 0 });
    expect([...bucket('dsr-uploaded-photos').keys()]).toEqual(['customers/cust-00011/b.jpg']);
    expect(JSON.stringify(report)).not.toContain('cust-0001');
    expect([...bucket('dsr-audit').keys()].every((key) => key.startsWith('progress/reapply-2026-03-01/'))).toBe(true);
    const suppressed = docMock.commandCalls(UpdateCommand).map((call) => call.args[0].input).filter((input) => input.TableName === 'dsr-marketing-suppression');
    // email:a@example.com, and the link entry of cust-0001 (known answers)
    expect(suppressed.map((input) => input.Key)).toEqual([{ hash: '1757e7893a882e5a94c1cf05233b0bd29c48e4ba5f0ebb01e5b93b8a21844813' }, { hash: `customer#${KEY_0001}` }]);
  });

  it('retains restored invoices, deletes every version of restored files, and uses the retry policy given', async () => {
    // Arrange
    const { ledger } = ledgerOf([{ items: [completed(KEY_0001)] }]);
    docMock.on(ScanCommand, { TableName: 'dsr-orders' }).resolves({ Items: [{ customerId: 'cust-0001' }] });
    docMock.on(QueryCommand, { TableName: 'dsr-orders', ExpressionAttributeValues: { ':value': 'cust-0001' } }).resolves({
      Items: [{ customerId: 'cust-0001', orderId: 'o-1', invoiceNumber: 'INV-1', invoiceDate: '2024-03-15T10:00:00.000Z', grossAmount: 1210 }],
    });
    s3Mock.on(GetBucketVersioningCommand, { Bucket: 'dsr-call-recordings' }).resolves({ Status: 'Enabled' });
    s3Mock
      .on(ListObjectVersionsCommand, { Bucket: 'dsr-call-recordings' })
      .resolvesOnce({ Versions: [{ Key: 'recordings/cust-0001/a.wav', VersionId: 'v1', IsLatest: true }, { Key: 'recordings/cust-0001/a.wav', VersionId: 'v0' }] })
      .resolves({});
    s3Mock.on(DeleteObjectsCommand).resolvesOnce({ Errors: [{ Key: 'recordings/cust-0001/a.wav', VersionId: 'v0', Code: 'SlowDown' }] }).resolves({});
    const sleeps: number[] = [];

    // Act
    const report = await reapplyErasures({ ...deps(ledger), retry: { ...retry, maxAttempts: 3, sleep: async (ms) => void sleeps.push(ms) } }, SINCE);

    // Assert
    expect(report.stores.orders).toEqual({ deleted: 1, retained: 1, versionsDeleted: 0 });
    expect(report.stores['call-recordings']).toEqual({ deleted: 1, retained: 0, versionsDeleted: 2 });
    expect(sleeps).toHaveLength(1);
  });

  it('sums the counts of every restored customer per store', async () => {
    // Arrange
    const { ledger } = ledgerOf([{ items: [completed(KEY_0001), completed(KEY_0002)] }]);
    bucket('dsr-uploaded-photos').set('customers/cust-0001/a.jpg', 'jpeg');
    bucket('dsr-uploaded-photos').set('customers/cust-0002/a.jpg', 'jpeg');
    bucket('dsr-uploaded-photos').set('customers/cust-0002/b.jpg', 'jpeg');

    // Act
    const report = await reapplyErasures(deps(ledger), SINCE);

    // Assert
    expect(report.customerKeys).toEqual([KEY_0001, KEY_0002]);
    expect(report.stores['uploaded-photos']).toEqual({ deleted: 3, retained: 0, versionsDeleted: 0 });
    expect(bucket('dsr-uploaded-photos').size).toBe(0);
  });

  it('erases nothing and reports no store when no erased customer came back', async () => {
    // Arrange
    const { ledger } = ledgerOf([{ items: [completed(KEY_0001)] }]);
    bucket('dsr-uploaded-photos').set('customers/cust-0009/a.jpg', 'jpeg');

    // Act
    const report = await reapplyErasures(deps(ledger), SINCE);

    // Assert
    expect(report).toEqual({ since: '2026-03-01T00:00:00.000Z', erasures: 1, customerKeys: [], stores: {} });
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });
});
