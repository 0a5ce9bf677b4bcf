import { DeleteObjectsCommand, GetBucketVersioningCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EXPORT_STUCK_AFTER_MS,
  eraseCustomerExports,
  eraseExportsInput,
  exportPrefixes,
  removeExportData,
  settleCustomerExports,
  settleExportsInput,
  settleExportsOutput,
  verifyCustomerExports,
  verifyExportsInput,
} from '../../functions/core/erasure/exports';
import type { RetryPolicy } from '../../functions/core/erasure/config';
import { restoredAfterEach } from './helpers/replacements';
import { ExportStillRunning, InvalidStatusTransition, StoreUnavailable } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';
import type { Ledger, RequestRecord } from '../../functions/core/ledger';
import { archivePrefix, stagingPrefix } from '../../functions/core/export/layout';
import { startLedgerTable, type LedgerTable } from './helpers/ledger-table';

const KEY = 'k'.repeat(40);
const env = { DSR_HASH_KEY: KEY };
const now = () => new Date('2025-06-01T12:00:00.000Z');
const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
const sfn = new SFNClient({ region: 'eu-west-1' });
const sfnMock = mockClient(sfn);
let table: LedgerTable;

/** A ledger record of customer c1 (or another). */
function record(requestId: string, overrides: Partial<RequestRecord> = {}): RequestRecord {
  const customerId = overrides.customerId ?? 'c1';
  return {
    requestId,
    type: 'export',
    customerId,
    customerKey: customerKey(customerId, KEY),
    brand: 'albelli',
    status: 'completed',
    createdAt: '2025-06-01T10:00:00.000Z',
    updatedAt: '2025-06-01T10:00:00.000Z',
    dueAt: '2025-07-01T10:00:00.000Z',
    bodyHash: 'hash',
    stores: {},
    version: 1,
    ...overrides,
  };
}

beforeEach(async () => {
  table = await startLedgerTable(now);
  s3Mock.reset();
  sfnMock.reset();
  s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-audit' }).resolves({ Contents: [] });
  s3Mock.on(PutObjectCommand).resolves({});
  s3Mock.on(DeleteObjectsCommand).resolves({});
  sfnMock.on(StopExecutionCommand).resolves({});
});

afterEach(async () => {
  await table.close();
});

describe('exportPrefixes', () => {
  it('covers the archive volumes and the staging area the export layout writes', () => {
    // Act
    const prefixes = exportPrefixes('r9');

    // Assert
    expect(prefixes).toEqual(['exports/r9/', 'staging/r9/']);
    expect(archivePrefix('r9', KEY).startsWith(prefixes[0]!)).toBe(true);
    expect(stagingPrefix('r9')).toBe(prefixes[1]);
  });
});

describe('settleCustomerExports', () => {
  it('cancels the customer\'s pending, failed and held exports (stopping their executions) and counts the running one', async () => {
    // Arrange
    await table.ledger.create(record('pending', { status: 'pending', executionArn: 'arn:aws:states:eu-west-1:1:execution:dsr-export:pending' }));
    await table.ledger.create(record('failed', { status: 'failed', error: { name: 'StoreFailed', message: 'x' } }));
    await table.ledger.create(record('held', { status: 'on_hold' }));
    await table.ledger.create(record('running', { status: 'in_progress', updatedAt: '2025-06-01T11:50:00.000Z' }));
    await table.ledger.create(record('done'));
    await table.ledger.create(record('erasure', { type: 'erasure', status: 'in_progress' }));
    await table.ledger.create(record('other', { customerId: 'c12', status: 'pending' }));

    // Act
    const result = await settleCustomerExports({ sfn, ledger: table.ledger, env, now }, { requestId: 'erasure', customerId: 'c1' });

    // Assert
    expect(result).toEqual({ running: 1 });
    for (const id of ['pending', 'failed', 'held']) expect((await table.ledger.get(id)).status).toBe('cancelled');
    expect((await table.ledger.get('pending')).error).toMatchObject({ name: 'SupersededByErasure' });
    expect((await table.ledger.get('running')).status).toBe('in_progress');
    expect((await table.ledger.get('done')).status).toBe('completed');
    expect((await table.ledger.get('erasure')).status).toBe('in_progress');
    expect((await table.ledger.get('other')).status).toBe('pending');
    expect(sfnMock.commandCalls(StopExecutionCommand).map((call) => call.args[0].input.executionArn)).toEqual(['arn:aws:states:eu-west-1:1:execution:dsr-export:pending']);
  });

  it('fails naming the export when one has been running longer than the limit', async () => {
    // Arrange
    await table.ledger.create(record('stuck', { status: 'in_progress', updatedAt: '2025-06-01T09:00:00.000Z' }));

    // Act
    const attempt = settleCustomerExports({ sfn, ledger: table.ledger, env, now }, { requestId: 'erasure', customerId: 'c1' });

    // Assert
    await expect(attempt).rejects.toThrow(ExportStillRunning);
    await expect(attempt).rejects.toThrow(/Export stuck/);
  });
});

describe('settleCustomerExports, boundaries and races', () => {
  const at = (ms: number) => new Date(now().getTime() - ms).toISOString();
  const settle = (ledger: Pick<Ledger, 'ofCustomer' | 'transition'> = table.ledger, stuckAfterMs?: number) =>
    settleCustomerExports({ sfn, ledger, env, now, ...(stuckAfterMs === undefined ? {} : { stuckAfterMs }) }, { requestId: 'erasure-1', customerId: 'c1' });

  it('counts an export running exactly the limit as running, and one a millisecond longer as stuck, naming both requests', async () => {
    // Arrange
    await table.ledger.create(record('on-time', { status: 'in_progress', updatedAt: at(EXPORT_STUCK_AFTER_MS) }));

    // Act
    const onTime = await settle();
    await table.ledger.create(record('late', { status: 'in_progress', updatedAt: at(EXPORT_STUCK_AFTER_MS + 1) }));
    const late = settle();

    // Assert
    expect(EXPORT_STUCK_AFTER_MS).toBe(7_200_000);
    expect(onTime).toEqual({ running: 1 });
    await expect(late).rejects.toThrow(`Export late has been in progress since ${at(EXPORT_STUCK_AFTER_MS + 1)}; erasure erasure-1 cannot proceed until it ends`);
  });

  it('takes the limit it is given', async () => {
    // Arrange
    await table.ledger.create(record('slow', { status: 'in_progress', updatedAt: at(61_000) }));

    // Act
    const outcome = settle(table.ledger, 60_000);

    // Assert
    await expect(outcome).rejects.toThrow(ExportStillRunning);
  });

  it('cancels with the reason naming the erasure and stops the execution with it; a failed stop changes nothing', async () => {
    // Arrange
    await table.ledger.create(record('pending', { status: 'pending', executionArn: 'arn:execution:pending' }));
    await table.ledger.create(record('unstarted', { status: 'pending' }));
    sfnMock.on(StopExecutionCommand).rejects(Object.assign(new Error('gone'), { name: 'ExecutionDoesNotExist' }));

    // Act
    const result = await settle();

    // Assert
    expect(result).toEqual({ running: 0 });
    expect((await table.ledger.get('pending')).error).toEqual({ name: 'SupersededByErasure', message: "Cancelled because erasure erasure-1 erases the customer's data" });
    expect(sfnMock.commandCalls(StopExecutionCommand).map((call) => call.args[0].input)).toEqual([{ executionArn: 'arn:execution:pending', error: 'SupersededByErasure', cause: 'Erasure erasure-1' }]);
  });

  it('counts an export that moved on before it could be cancelled as running, without stopping it', async () => {
    // Arrange
    await table.ledger.create(record('started', { status: 'pending', executionArn: 'arn:execution:started' }));
    const refusing = { ofCustomer: table.ledger.ofCustomer.bind(table.ledger), transition: async () => Promise.reject(new InvalidStatusTransition('moved on')) };

    // Act
    const result = await settle(refusing);

    // Assert
    expect(result).toEqual({ running: 1 });
    expect(sfnMock.commandCalls(StopExecutionCommand)).toHaveLength(0);
  });

  it('rethrows any other failure to cancel', async () => {
    // Arrange
    await table.ledger.create(record('pending', { status: 'pending' }));
    const unavailable = new StoreUnavailable('ledger unavailable');
    const failing = { ofCustomer: table.ledger.ofCustomer.bind(table.ledger), transition: async () => Promise.reject(unavailable) };

    // Act
    const outcome = settle(failing);

    // Assert
    await expect(outcome).rejects.toBe(unavailable);
  });
});

describe('eraseCustomerExports and verifyCustomerExports', () => {
  it('deletes every volume and staging object of every export of the customer, recorded in the progress log, and nothing of others', async () => {
    // Arrange
    await table.ledger.create(record('e1'));
    await table.ledger.create(record('e2', { status: 'cancelled' }));
    await table.ledger.create(record('theirs', { customerId: 'c12' }));
    s3Mock.on(GetBucketVersioningCommand).resolves({});
    s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-exports' }).resolves({ Contents: [] });
    s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-exports', Prefix: 'exports/e1/' }).resolvesOnce({ Contents: [{ Key: 'exports/e1/h/volume-1.zip', Size: 10 }, { Key: 'exports/e1/h/volume-2.zip', Size: 5 }] }).resolves({ Contents: [] });
    s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-exports', Prefix: 'staging/e2/' }).resolvesOnce({ Contents: [{ Key: 'staging/e2/orders.jsonl', Size: 3 }] }).resolves({ Contents: [] });

    // Act
    const result = await eraseCustomerExports({ s3, ledger: table.ledger, auditBucket: 'dsr-audit', env, now }, { requestId: 'erase-1', store: 'exports', customerId: 'c1' });

    // Assert
    const deleted = s3Mock.commandCalls(DeleteObjectsCommand).flatMap((call) => call.args[0].input.Delete!.Objects!.map((object) => object.Key));
    expect(deleted.sort()).toEqual(['exports/e1/h/volume-1.zip', 'exports/e1/h/volume-2.zip', 'staging/e2/orders.jsonl']);
    const listed = s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input).filter((input) => input.Bucket === 'dsr-exports').map((input) => input.Prefix);
    expect(new Set(listed)).toEqual(new Set(['exports/e1/', 'staging/e1/', 'exports/e2/', 'staging/e2/']));
    expect(result).toMatchObject({ store: 'exports', action: 'delete', deleted: 3, bytes: 18 });
    expect(s3Mock.commandCalls(PutObjectCommand).every((call) => call.args[0].input.Bucket === 'dsr-audit' && call.args[0].input.Key!.startsWith('progress/erase-1/exports/'))).toBe(true);
  });

  it('verification counts what is left under the customer\'s export prefixes, versions and delete markers included', async () => {
    // Arrange
    await table.ledger.create(record('e1'));
    s3Mock.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3Mock.on(ListObjectVersionsCommand).resolves({ IsTruncated: false });
    s3Mock.on(ListObjectVersionsCommand, { Prefix: 'exports/e1/' }).resolves({ DeleteMarkers: [{ Key: 'exports/e1/h/volume-1.zip', VersionId: 'm' }], IsTruncated: false });

    // Act
    const result = await verifyCustomerExports({ s3, ledger: table.ledger, auditBucket: 'dsr-audit', env }, { requestId: 'erase-1', store: 'exports', mode: 'verify', customerId: 'c1' });

    // Assert
    expect(result).toEqual({ store: 'exports', items: 1, retainedItems: 0, personalItems: 1 });
  });
});

describe('exports step contracts', () => {
  const requestId = '6f1c2f0e-8a4b-4c2d-9e1f-0a1b2c3d4e5f';

  it('accepts the inputs and output of the exports steps and refuses what is missing or of another store', () => {
    expect(settleExportsInput.parse({ requestId })).toEqual({ requestId });
    expect(settleExportsInput.safeParse({}).success).toBe(false);
    expect(eraseExportsInput.parse({ requestId, store: 'exports' })).toEqual({ requestId, store: 'exports' });
    expect(eraseExportsInput.safeParse({ requestId, store: 'orders' }).success).toBe(false);
    expect(eraseExportsInput.safeParse({ store: 'exports' }).success).toBe(false);
    expect(verifyExportsInput.parse({ requestId, store: 'exports', mode: 'verify' })).toEqual({ requestId, store: 'exports', mode: 'verify' });
    expect(verifyExportsInput.safeParse({ requestId, store: 'exports', mode: 'export' }).success).toBe(false);
    expect(verifyExportsInput.safeParse({ requestId, mode: 'verify' }).success).toBe(false);
    expect(settleExportsOutput.parse({ running: 2 })).toEqual({ running: 2 });
    expect(settleExportsOutput.safeParse({ running: -1 }).success).toBe(false);
    expect(settleExportsOutput.safeParse({}).success).toBe(false);
  });
});

describe('exports defaults and errors', () => {
  const replacements = restoredAfterEach();
  const throttledOnce = () => s3Mock.on(DeleteObjectsCommand).resolvesOnce({ Errors: [{ Key: 'exports/e1/v.zip', Code: 'SlowDown' }] }).resolves({});

  /** The hash key from the process environment (as a function without `env` reads it). */
  function processHashKey(): void {
    replacements.setEnv('DSR_HASH_KEY', KEY);
  }

  it('without env or clock, settles the exports of the customer key from the process environment, dated now', async () => {
    // Arrange
    processHashKey();
    await table.ledger.create(record('pending', { status: 'pending' }));
    await table.ledger.create(record('running', { status: 'in_progress', updatedAt: new Date().toISOString() }));

    // Act
    const result = await settleCustomerExports({ sfn, ledger: table.ledger }, { requestId: 'erasure-1', customerId: 'c1' });

    // Assert
    expect(result).toEqual({ running: 1 });
    expect((await table.ledger.get('pending')).status).toBe('cancelled');
  });

  it('erases with the retry policy and clock it is given, or now without a clock, naming the exports store in errors', async () => {
    // Arrange
    await table.ledger.create(record('e1'));
    s3Mock.on(GetBucketVersioningCommand).resolves({});
    s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-exports', Prefix: 'exports/e1/' }).resolvesOnce({ Contents: [{ Key: 'exports/e1/v.zip', Size: 4 }] }).resolves({ Contents: [] });
    s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-exports', Prefix: 'staging/e1/' }).resolves({ Contents: [] });
    throttledOnce();
    const sleeps: number[] = [];
    const retry: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async (ms) => void sleeps.push(ms) };
    const before = Date.now();

    // Act
    const result = await eraseCustomerExports({ s3, ledger: table.ledger, auditBucket: 'dsr-audit', retry, env }, { requestId: 'erase-1', store: 'exports', customerId: 'c1' });
    s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-exports' }).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const failed = eraseCustomerExports({ s3, ledger: table.ledger, auditBucket: 'dsr-audit', retry, env }, { requestId: 'erase-1', store: 'exports', customerId: 'c1' });
    await expect(failed).rejects.toThrow('Store "exports" failed');
    const failedVerify = verifyCustomerExports({ s3, ledger: table.ledger, auditBucket: 'dsr-audit', env }, { requestId: 'erase-1', store: 'exports', mode: 'verify', customerId: 'c1' });

    // Assert
    await expect(failedVerify).rejects.toThrow('Store "exports" failed');
    expect(sleeps).toHaveLength(1);
    expect(result.deleted).toBe(1);
    expect(Date.parse(result.finishedAt)).toBeGreaterThanOrEqual(before);
  });

  it('removeExportData deletes one export\'s volumes and staging data with the retry policy given, and answers the counts', async () => {
    // Arrange
    s3Mock.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3Mock
      .on(ListObjectVersionsCommand, { Prefix: 'exports/e1/' })
      .resolvesOnce({ Versions: [{ Key: 'exports/e1/v.zip', VersionId: 'v1', IsLatest: true, Size: 4 }], DeleteMarkers: [{ Key: 'exports/e1/old.zip', VersionId: 'm1' }] })
      .resolves({});
    s3Mock.on(ListObjectVersionsCommand, { Prefix: 'staging/e1/' }).resolves({});
    throttledOnce();
    const sleeps: number[] = [];
    const retry: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async (ms) => void sleeps.push(ms) };

    // Act
    const counts = await removeExportData({ s3, retry, env: { ...env, DSR_BUCKET_EXPORTS: 'acme-exports' } }, 'e1');
    s3Mock.on(ListObjectVersionsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const failed = removeExportData({ s3, retry, env }, 'e1');

    // Assert
    expect(counts).toEqual({ deleted: 1, versionsDeleted: 2 });
    expect(sleeps).toHaveLength(1);
    expect(s3Mock.commandCalls(DeleteObjectsCommand).every((call) => call.args[0].input.Bucket === 'acme-exports')).toBe(true);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    await expect(failed).rejects.toThrow('Store "exports" failed');
  });
});
