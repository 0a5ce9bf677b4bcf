import { readFileSync } from 'node:fs';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { getStore } from '../../functions/core/data-map';
import { InvalidInput, StoreUnavailable } from '../../functions/core/errors';
import {
  bucketVersioning,
  CUSTOMER_ID_FIRST_CHARACTERS,
  expiredFileKey,
  expiredFileSchema,
  HOLD_SCAN_CONCURRENCY,
  HOLD_SCAN_STORES,
  manifestKey,
  MAX_SCAN_SEGMENTS,
  planSegments,
  planSweep,
  planSweepInput,
  planSweepOutput,
  reportKey,
  resultsPrefix,
  runFileKey,
  runFileSchema,
  runIdSchema,
  scanHoldTables,
  SEGMENTS_PER_CHILD,
  segmentsOf,
  tableSegmentCounts,
  tableTotalSegments,
  type PlanDeps,
} from '../../functions/core/retention/plan';
import { restoredAfterEach } from './helpers/replacements';

/** The retention planner: segments of every swept store, legal holds collected once, run file and manifest in the audit bucket. */

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const s3 = new S3Client({ region: 'eu-west-1' });
const docMock = mockClient(doc);
const s3Mock = mockClient(s3);
const NOW = new Date('2030-06-15T12:00:00.000Z');

const deps = (overrides: Partial<PlanDeps> = {}): PlanDeps => ({
  doc,
  s3,
  workBucket: 'dsr-exports',
  scanSegments: 2,
  segmentItems: 1000,
  maxConcurrency: 16,
  inactiveAccounts: { enabled: true, months: 36 },
  customerKey: (customerId) => `key-${customerId}`,
  now: () => NOW,
  ...overrides,
});

/** The JSON body of the PutObject call for a key. */
function written(key: string): unknown {
  const call = s3Mock.commandCalls(PutObjectCommand).find((candidate) => candidate.args[0].input.Key === key);
  return call ? JSON.parse(String(call.args[0].input.Body)) : undefined;
}

beforeEach(() => {
  docMock.reset();
  s3Mock.reset();
  docMock.on(ScanCommand).resolves({ Items: [] });
  docMock.on(DescribeTableCommand).resolves({ Table: { ItemCount: 0 } });
  s3Mock.on(PutObjectCommand).resolves({});
  s3Mock.on(GetBucketVersioningCommand).resolves({});
});

const RUN = { runId: 'run-1', now: NOW };
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();

describe('segmentsOf', () => {
  it('splits a table into parallel-scan segments and a bucket into one prefix per first character of the customer id', () => {
    // Act
    const table = segmentsOf(getStore('contact-history'), 3);
    const bucket = segmentsOf(getStore('call-recordings'), 3);

    // Assert
    expect(table).toEqual([0, 1, 2].map((segment) => ({ store: 'contact-history', segment, totalSegments: 3 })));
    expect(bucket).toHaveLength(64);
    expect(bucket.slice(0, 2)).toEqual([{ store: 'call-recordings', prefix: 'recordings/0' }, { store: 'call-recordings', prefix: 'recordings/1' }]);
    expect(new Set(CUSTOMER_ID_FIRST_CHARACTERS.map((character) => /^[A-Za-z0-9_-]$/.test(character)))).toEqual(new Set([true]));
  });

  it('refuses a bucket whose keys do not start at the customer id', () => {
    // Act / Assert
    expect(() => segmentsOf(getStore('photo-library'), 1)).toThrow('Store "photo-library": only a bucket keyed "<prefix>{customerId}/" can be split into segments');
  });

  it('plans every swept store the Map reads itself; the hold-scan tables come from the planner\'s own scan', () => {
    // Act
    const stores = new Set(planSegments(1).map((segment) => segment.store));

    // Assert
    expect([...stores]).toEqual(['customer-profile', 'call-recordings', 'request-ledger']);
    expect(planSegments(1)).toHaveLength(2 + 64);
  });
});

describe('tableTotalSegments', () => {
  it('keeps the minimum for an empty table and for one of exactly the budget times the minimum', () => {
    // Act / Assert
    expect(tableTotalSegments(0, 8, 50_000)).toBe(8);
    expect(tableTotalSegments(0, 1, 50_000)).toBe(1);
    expect(tableTotalSegments(50_000, 1, 50_000)).toBe(1);
    expect(tableTotalSegments(8 * 50_000, 8, 50_000)).toBe(8);
  });

  it('adds a segment for one item over the budget, and holds at most the budget per segment', () => {
    // Act
    const total = tableTotalSegments(8 * 50_000 + 1, 8, 50_000);

    // Assert
    expect(tableTotalSegments(50_001, 1, 50_000)).toBe(2);
    expect(total).toBe(9);
    expect(Math.ceil((8 * 50_000 + 1) / total)).toBeLessThanOrEqual(50_000);
  });

  it('caps a huge table at DynamoDB\'s 1,000,000 segments', () => {
    // Act / Assert
    expect(MAX_SCAN_SEGMENTS).toBe(1_000_000);
    expect(tableTotalSegments(MAX_SCAN_SEGMENTS * 50_000, 8, 50_000)).toBe(MAX_SCAN_SEGMENTS);
    expect(tableTotalSegments(MAX_SCAN_SEGMENTS * 50_000 + 1, 8, 50_000)).toBe(MAX_SCAN_SEGMENTS);
    expect(tableTotalSegments(Number.MAX_SAFE_INTEGER, 8, 50_000)).toBe(MAX_SCAN_SEGMENTS);
  });

  it('is the number of segments a Map child of the retention ASL sweeps', () => {
    // Arrange
    const asl = JSON.parse(readFileSync('statemachines/retention.asl.json', 'utf8'));

    // Act / Assert
    expect(asl.States['Sweep Segments'].ItemBatcher.MaxItemsPerBatch).toBe(SEGMENTS_PER_CHILD);
  });
});

describe('tableSegmentCounts', () => {
  it('sizes every swept table by its DescribeTable ItemCount, the minimum when AWS reports none', async () => {
    // Arrange
    docMock.on(DescribeTableCommand, { TableName: 'dsr-contact-history' }).resolves({ Table: { ItemCount: 2001 } });
    docMock.on(DescribeTableCommand, { TableName: 'dsr-orders' }).resolves({ Table: { ItemCount: 2000 } });
    docMock.on(DescribeTableCommand, { TableName: 'dsr-request-ledger' }).resolves({ Table: {} });

    // Act
    const counts = await tableSegmentCounts(deps());

    // Assert
    expect(counts).toEqual({ 'customer-profile': 2, orders: 2, 'contact-history': 3, 'request-ledger': 2 });
  });

  it('names the table when DescribeTable fails', async () => {
    // Arrange
    docMock.on(DescribeTableCommand, { TableName: 'dsr-orders' }).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));

    // Act / Assert
    await expect(tableSegmentCounts(deps())).rejects.toThrow('Store "orders" failed: AccessDeniedException: denied');
  });
});

describe('scanHoldTables', () => {
  it('collects, by the erasure\'s hold rules, the keyed hashes of customers with an open, unpaid or disputed order or a legal-claim contact', async () => {
    // Arrange
    docMock.on(ScanCommand, { TableName: 'dsr-orders', Segment: 0 }).resolves({
      Items: [
        { customerId: 'c1', orderId: 'o1', status: 'delivered', paymentStatus: 'paid' },
        { customerId: 'c2', orderId: 'o2', status: 'in_production', paymentStatus: 'pending' },
        { customerId: 'retained#k9', orderId: 'o9', status: 'placed' },
      ],
      LastEvaluatedKey: { customerId: 'c2', orderId: 'o2' },
    });
    docMock.on(ScanCommand, { TableName: 'dsr-orders', Segment: 0, ExclusiveStartKey: { customerId: 'c2', orderId: 'o2' } }).resolves({ Items: [{ customerId: 'c3', orderId: 'o3', status: 'delivered', paymentStatus: 'disputed' }] });
    docMock.on(ScanCommand, { TableName: 'dsr-contact-history', Segment: 1 }).resolves({ Items: [{ customerId: 'c4', contactId: 'ct4', legalClaim: true }, { customerId: 'c5', contactId: 'ct5', legalClaim: false }] });

    // Act
    const scan = await scanHoldTables(deps(), RUN);

    // Assert
    expect(scan.heldCustomerKeys).toEqual(['key-c2', 'key-c3', 'key-c4']);
    const scans = docMock.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(scans.filter((input) => input.TableName === 'dsr-orders' && !input.ExclusiveStartKey).map((input) => [input.Segment, input.TotalSegments])).toEqual([[0, 2], [1, 2]]);
    // The hold rule's attributes and the retained invoices' rule (retainUntil), in one projection.
    expect(scans.find((input) => input.TableName === 'dsr-orders')).toMatchObject({
      ProjectionExpression: '#a0, #a1, #a2, #a3, #a4',
      ExpressionAttributeNames: { '#a0': 'customerId', '#a1': 'orderId', '#a2': 'status', '#a3': 'paymentStatus', '#a4': 'retainUntil' },
    });
    expect(scans.find((input) => input.TableName === 'dsr-contact-history')!.ExpressionAttributeNames).toEqual({ '#a0': 'customerId', '#a1': 'contactId', '#a2': 'legalClaim', '#a3': 'closedAt', '#a4': 'status' });
    expect(scans.every((input) => input.FilterExpression === undefined)).toBe(true);
  });

  it('applies each table\'s own rule in the same pass: one Map item per segment, with a file of what is past the rule', async () => {
    // Arrange
    docMock.on(ScanCommand, { TableName: 'dsr-contact-history', Segment: 0 }).resolves({
      Items: [
        { contactId: 'ct-old', customerId: 'c1', status: 'closed', closedAt: ago(2 * 366), legalClaim: false },
        { contactId: 'ct-new', customerId: 'c1', status: 'closed', closedAt: ago(2 * 365 - 1), legalClaim: false },
        { contactId: 'ct-open', customerId: 'c2', status: 'open', createdAt: ago(3000), legalClaim: false },
        { contactId: 'ct-claim', customerId: 'c3', status: 'closed', closedAt: ago(3000), legalClaim: true },
      ],
    });
    docMock.on(ScanCommand, { TableName: 'dsr-orders', Segment: 1 }).resolves({
      Items: [
        { customerId: 'retained#k7', orderId: 'o1', retainUntil: ago(1) },
        { customerId: 'retained#k7', orderId: 'o2', retainUntil: ago(-1) },
        { customerId: 'c8', orderId: 'o3', status: 'delivered', paymentStatus: 'paid' },
      ],
    });

    // Act
    const scan = await scanHoldTables(deps(), RUN);

    // Assert
    expect(scan.segments).toEqual([
      { store: 'orders', scanned: 0 },
      { store: 'orders', scanned: 2, expiredFile: 'retention/run-1/expired/orders/1.json' },
      { store: 'contact-history', scanned: 4, expiredFile: 'retention/run-1/expired/contact-history/0.json' },
      { store: 'contact-history', scanned: 0 },
    ]);
    expect(expiredFileSchema.parse(written(expiredFileKey('run-1', 'orders', 1)))).toEqual({ store: 'orders', records: [{ key: { customerId: 'retained#k7', orderId: 'o1' }, customerKey: 'k7' }] });
    // The claim's own contact is listed too: the sweep task skips it, its customer being held.
    expect(written(expiredFileKey('run-1', 'contact-history', 0))).toEqual({
      store: 'contact-history',
      records: [
        { key: { contactId: 'ct-old' }, customerKey: 'key-c1' },
        { key: { contactId: 'ct-claim' }, customerKey: 'key-c3' },
      ],
    });
    expect(scan.heldCustomerKeys).toEqual(['key-c3']);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(2);
    expect(HOLD_SCAN_STORES).toEqual(['orders', 'contact-history']);
  });

  it('scans each table in its sized segments, at most HOLD_SCAN_CONCURRENCY in flight over both tables', async () => {
    // Arrange
    let inFlight = 0;
    let most = 0;
    docMock.on(ScanCommand).callsFake(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight -= 1;
      return { Items: [] };
    });

    // Act
    const scan = await scanHoldTables(deps(), RUN, { orders: 100, 'contact-history': 3 });

    // Assert
    const scans = docMock.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(scans.filter((input) => input.TableName === 'dsr-orders').map((input) => input.Segment)).toEqual(Array.from({ length: 100 }, (_, segment) => segment));
    expect(new Set(scans.filter((input) => input.TableName === 'dsr-orders').map((input) => input.TotalSegments))).toEqual(new Set([100]));
    expect(scans.filter((input) => input.TableName === 'dsr-contact-history').map((input) => [input.Segment, input.TotalSegments])).toEqual([[0, 3], [1, 3], [2, 3]]);
    expect(most).toBe(HOLD_SCAN_CONCURRENCY);
    expect(scan.segments).toHaveLength(103);
  });

  it('names the store when a scan fails', async () => {
    // Arrange
    docMock.on(ScanCommand).rejects(Object.assign(new Error('slow'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } }));

    // Act / Assert
    await expect(scanHoldTables(deps(), RUN)).rejects.toThrow(StoreUnavailable);
  });
});

describe('bucketVersioning', () => {
  it('asks each swept bucket once whether it keeps versions', async () => {
    // Arrange
    s3Mock.on(GetBucketVersioningCommand, { Bucket: 'dsr-call-recordings' }).resolves({ Status: 'Suspended' });

    // Act
    const versioned = await bucketVersioning(deps());

    // Assert
    expect(versioned).toEqual({ 'dsr-call-recordings': true });
    expect(s3Mock.commandCalls(GetBucketVersioningCommand)).toHaveLength(1);
  });
});

describe('planSweep', () => {
  it('writes the run file and the manifest under retention/<runId>/ and returns where they are', async () => {
    // Arrange
    docMock.on(ScanCommand, { TableName: 'dsr-contact-history' }).resolves({ Items: [{ customerId: 'c9', contactId: 'ct', legalClaim: true }] });
    docMock.on(DescribeTableCommand, { TableName: 'dsr-contact-history' }).resolves({ Table: { ItemCount: 4500 } });

    // Act
    const plan = await planSweep(deps(), planSweepInput.parse({ runId: 'run-1', options: { dryRun: true } }));

    // Assert
    expect(planSweepOutput.parse(plan)).toEqual({
      runId: 'run-1',
      dryRun: true,
      segments: 3 * 2 + 5 + 64,
      maxConcurrency: 16,
      manifest: { bucket: 'dsr-exports', key: 'retention/run-1/segments.json' },
      report: { bucket: 'dsr-exports', prefix: 'retention/run-1/results' },
    });
    expect(runFileSchema.parse(written(runFileKey('run-1')))).toEqual({
      runId: 'run-1',
      now: NOW.toISOString(),
      dryRun: true,
      inactiveAccounts: { enabled: true, months: 36 },
      versionedBuckets: { 'dsr-call-recordings': false },
      heldCustomerKeys: ['key-c9'],
    });
    // The hold-scan tables' segments (read by the planner), then those the Map's tasks scan or list.
    const holdScanItems = [0, 1].map(() => ({ store: 'orders', scanned: 0 })).concat([0, 1, 2, 3, 4].map(() => ({ store: 'contact-history', scanned: 0 })));
    expect(written(manifestKey('run-1'))).toEqual([...holdScanItems, ...planSegments(2, { 'contact-history': 5 })]);
    expect([resultsPrefix('run-1'), reportKey('run-1')]).toEqual(['retention/run-1/results', 'retention/run-1/report.json']);
  });

  it('takes an earlier clock from the execution input, and is no dry run by default (the schedule sends {dryRun: false})', async () => {
    // Act
    const plan = await planSweep(deps(), planSweepInput.parse({ runId: 'run-2', options: { now: '2030-01-01T00:00:00.000Z', source: 'aws.events' } }));

    // Assert
    expect(plan.dryRun).toBe(false);
    expect(written(runFileKey('run-2'))).toMatchObject({ now: '2030-01-01T00:00:00.000Z', dryRun: false });
  });

  it('looks ahead of the clock on a dry run only, refusing a removing run with a later clock before writing anything', async () => {
    // Act
    const dry = await planSweep(deps(), planSweepInput.parse({ runId: 'run-4', options: { now: '2040-01-01T00:00:00.000Z', dryRun: true } }));
    const removing = planSweep(deps(), planSweepInput.parse({ runId: 'run-5', options: { now: '2040-01-01T00:00:00.000Z' } }));

    // Assert
    expect(dry.dryRun).toBe(true);
    expect(written(runFileKey('run-4'))).toMatchObject({ now: '2040-01-01T00:00:00.000Z' });
    await expect(removing).rejects.toThrow('A sweep that removes may not run ahead of the clock (now 2040-01-01T00:00:00.000Z); use a dry run');
    await expect(removing).rejects.toBeInstanceOf(InvalidInput);
    expect(written(runFileKey('run-5'))).toBeUndefined();
  });

  it('refuses a run id that cannot be a key prefix, and names the exports bucket when a work file cannot be written', async () => {
    // Arrange
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('no'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));

    // Act / Assert
    expect(planSweepInput.safeParse({ runId: '../x', options: {} }).error?.issues.map((issue) => issue.message)).toEqual(['must be 1-80 letters, digits, "-" or "_"']);
    await expect(planSweep(deps(), planSweepInput.parse({ runId: 'run-3' }))).rejects.toThrow('Store "exports" failed: AccessDenied: no');
  });
});

describe('segmentsOf: buckets that cannot be split', () => {
  it('refuses a bucket without a key-prefix locator, naming it', () => {
    // Arrange
    const recordings = getStore('call-recordings');
    const byPartition = { ...recordings, locator: { by: 'partition-key', partitionKey: 'customerId' } } as typeof recordings;
    const unlocated = { ...recordings, locator: undefined };

    // Act / Assert
    for (const store of [byPartition, unlocated]) {
      expect(() => segmentsOf(store, 1)).toThrow('Store "call-recordings": only a bucket keyed "<prefix>{customerId}/" can be split into segments');
    }
  });
});

describe('runIdSchema', () => {
  it('takes 1 to 80 letters, digits, "-" and "_", and nothing else anywhere in the id', () => {
    // Act / Assert
    for (const runId of ['a', 'Zz09_-', 'r'.repeat(80)]) expect(runIdSchema.safeParse(runId).success, runId).toBe(true);
    for (const runId of ['', 'r'.repeat(81), 'x/..', '../x', 'a b', 'run.1']) expect(runIdSchema.safeParse(runId).success, runId).toBe(false);
  });
});

describe('tableSegmentCounts: no table description', () => {
  it('keeps the minimum when DescribeTable returns no table', async () => {
    // Arrange
    docMock.on(DescribeTableCommand).resolves({});

    // Act
    const counts = await tableSegmentCounts(deps());

    // Assert
    expect(counts).toEqual({ 'customer-profile': 2, orders: 2, 'contact-history': 2, 'request-ledger': 2 });
  });
});

describe('scanHoldTables: holders', () => {
  const replacements = restoredAfterEach();

  it('holds no one for a legal-claim contact without a customer id, and lists the held keys sorted, not in the order found', async () => {
    // Arrange
    docMock.on(ScanCommand, { TableName: 'dsr-orders', Segment: 0 }).resolves({ Items: [{ customerId: 'c9', orderId: 'o9', status: 'delivered', paymentStatus: 'disputed' }] });
    docMock.on(ScanCommand, { TableName: 'dsr-contact-history', Segment: 1 }).resolves({
      Items: [
        { contactId: 'ct-anon', status: 'open', legalClaim: true },
        { customerId: 'c1', contactId: 'ct-1', status: 'open', legalClaim: true },
      ],
    });

    // Act
    const scan = await scanHoldTables(deps(), RUN);

    // Assert
    expect(scan.heldCustomerKeys).toEqual(['key-c1', 'key-c9']);
    expect(scan.segments).toContainEqual({ store: 'contact-history', scanned: 2 });
  });

  it('hashes the held customers\' ids with DSR_HASH_KEY when no customerKey is given', async () => {
    // Arrange: HMAC-SHA256 of "customer:c4" with 32 times "k" (openssl dgst -sha256 -hmac).
    replacements.setEnv('DSR_HASH_KEY', 'k'.repeat(32));
    docMock.on(ScanCommand, { TableName: 'dsr-contact-history', Segment: 0 }).resolves({ Items: [{ customerId: 'c4', contactId: 'ct4', legalClaim: true }] });

    // Act
    const scan = await scanHoldTables(deps({ customerKey: undefined }), RUN);

    // Assert
    expect(scan.heldCustomerKeys).toEqual(['ecaf022bfb79cdad1eaf207759a8d2f947080d902cfa0d68b66f4d8e119ef753']);
  });
});

describe('planSweep: work files and the clock', () => {
  it('writes the work files as JSON to the exports bucket', async () => {
    // Act
    await planSweep(deps(), planSweepInput.parse({ runId: 'run-6', options: { dryRun: true } }));

    // Assert
    expect(s3Mock.commandCalls(PutObjectCommand).map((call) => [call.args[0].input.Bucket, call.args[0].input.Key, call.args[0].input.ContentType])).toEqual([
      ['dsr-exports', 'retention/run-6/run.json', 'application/json'],
      ['dsr-exports', 'retention/run-6/segments.json', 'application/json'],
    ]);
  });

  it('lists what the hold scan finds past its rule by the run\'s clock (the input\'s earlier one), and points the segment\'s Map item to that file', async () => {
    // Arrange: 2 years after a contact closed 800 days before NOW is after 2030-01-01; 3 years before NOW is not.
    docMock.on(ScanCommand, { TableName: 'dsr-contact-history', Segment: 0 }).resolves({
      Items: [
        { contactId: 'ct-3y', customerId: 'c1', status: 'closed', closedAt: ago(3 * 365), legalClaim: false },
        { contactId: 'ct-800d', customerId: 'c2', status: 'closed', closedAt: ago(800), legalClaim: false },
      ],
    });

    // Act
    const plan = await planSweep(deps(), planSweepInput.parse({ runId: 'run-11', options: { now: '2030-01-01T00:00:00.000Z' } }));

    // Assert
    expect(plan.segments).toBe(2 * 2 + 2 * 2 + 64);
    expect((written(manifestKey('run-11')) as unknown[]).slice(0, 4)).toEqual([
      { store: 'orders', scanned: 0 },
      { store: 'orders', scanned: 0 },
      { store: 'contact-history', scanned: 2, expiredFile: 'retention/run-11/expired/contact-history/0.json' },
      { store: 'contact-history', scanned: 0 },
    ]);
    expect(written(expiredFileKey('run-11', 'contact-history', 0))).toEqual({ store: 'contact-history', records: [{ key: { contactId: 'ct-3y' }, customerKey: 'key-c1' }] });
  });

  it('lets a removing run use exactly the clock, and reads the real clock when no clock is given', async () => {
    // Arrange
    const before = Date.now();

    // Act
    const atClock = await planSweep(deps(), planSweepInput.parse({ runId: 'run-7', options: { now: NOW.toISOString() } }));
    await planSweep(deps({ now: undefined }), planSweepInput.parse({ runId: 'run-8', options: { now: '2020-01-01T00:00:00.000Z' } }));
    await planSweep(deps({ now: undefined }), planSweepInput.parse({ runId: 'run-9' }));
    const ahead = planSweep(deps({ now: undefined }), planSweepInput.parse({ runId: 'run-10', options: { now: new Date(Date.now() + DAY).toISOString() } }));

    // Assert
    expect(atClock.dryRun).toBe(false);
    expect(written(runFileKey('run-7'))).toMatchObject({ now: NOW.toISOString(), dryRun: false });
    expect(written(runFileKey('run-8'))).toMatchObject({ now: '2020-01-01T00:00:00.000Z', dryRun: false });
    const clock = Date.parse((written(runFileKey('run-9')) as { now: string }).now);
    expect(clock).toBeGreaterThanOrEqual(before);
    expect(clock).toBeLessThanOrEqual(Date.now());
    await expect(ahead).rejects.toBeInstanceOf(InvalidInput);
  });
});
