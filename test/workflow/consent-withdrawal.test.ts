import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStore, resourceName } from '../../functions/core/data-map';
import { StoreFailed, StoreUnavailable } from '../../functions/core/errors';
import { documentClient, s3Client, sfnClient } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { startLocalAws } from '../../local/runtime';
import { seedDemoData } from '../../local/seed/demo';
import { seedSyntheticCustomer } from '../../local/seed/synthetic';
import { restoredAfterEach } from '../unit/helpers/replacements';
import { customerLeft, enteredStates, readJson, snapshotExcept, type ErasureContext } from './erasure-helpers';
import { createRequestRecord, failing, historyText, replaceFunction, runWorkflow } from './rectification-helpers';

let dataDir: string;
let ctx: ErasureContext;
let sequence = 0;
const replacements = restoredAfterEach();

/** A fresh request id per test. */
function newRequestId(label: string): string {
  sequence += 1;
  return `wf-cw-${label}-${sequence}`;
}

/** A fresh onskefoto customer with photo-library files, photos, orders and contacts. */
async function libraryCustomer(label: string): Promise<string> {
  const customerId = `cw-${label}-${sequence}`;
  await seedSyntheticCustomer({ s3: ctx.s3, doc: ctx.doc }, { customerId, brand: 'onskefoto', photos: 3, photoBytes: 0, orders: 2, contacts: 1, libraryPhotos: 4 });
  return customerId;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-consent-withdrawal-wf-'));
  const aws = await startLocalAws({ dataDir, reset: true, stepFunctions: { retryOverrideMs: 5 }, log: () => {} });
  ctx = { aws, doc: documentClient(), s3: s3Client(), sfn: sfnClient(), ledger: ledgerFromEnv() };
  await seedDemoData({ s3: ctx.s3, doc: ctx.doc });
}, 120_000);

afterAll(async () => {
  await ctx?.aws.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('consent-withdrawal workflow', () => {
  it('erases c3\'s photo library alone, keeps the account, orders and photos, and certifies the one store', async () => {
    // Arrange
    const requestId = newRequestId('c3');
    const before = await customerLeft(ctx, 'c3');
    const othersBefore = await snapshotExcept(ctx, [{ customerId: 'c3', brand: 'fotoknudsen' }]);
    expect(before['photo-library']!.own).toBeGreaterThan(0);
    await createRequestRecord(ctx, requestId, 'consent-withdrawal', 'c3', 'fotoknudsen');

    // Act
    const outcome = await runWorkflow(ctx, 'consent-withdrawal', requestId, { requestId, brand: 'fotoknudsen' });

    // Assert
    expect({ status: outcome.status, cause: outcome.cause }).toEqual({ status: 'SUCCEEDED', cause: undefined });
    const left = await customerLeft(ctx, 'c3');
    expect(left['photo-library']!.own).toBe(0);
    expect({ ...left, 'photo-library': undefined }).toEqual({ ...before, 'photo-library': undefined });
    expect(await snapshotExcept(ctx, [{ customerId: 'c3', brand: 'fotoknudsen' }])).toEqual(othersBefore);
    const record = await ctx.ledger.get(requestId);
    expect(record.status).toBe('completed');
    expect(record.customerId).toBe('c3');
    expect(Object.keys(record.stores)).toEqual(['photo-library']);
    const summary = (record.result as { certificate: { bucket: string; key: string; stores: Record<string, { deleted: number }>; verification: string } }).certificate;
    expect(summary.verification).toBe('passed');
    expect(summary.stores).toEqual({ 'photo-library': expect.objectContaining({ action: 'delete', deleted: before['photo-library']!.own }) });
    const certificate = await readJson<{ stores: { store: string }[]; notifiedRecipients: unknown[]; retainedRecords: unknown[] }>(ctx.s3, summary.bucket, summary.key);
    expect(certificate.stores.map((entry) => entry.store)).toEqual(['photo-library']);
    expect(certificate.notifiedRecipients).toEqual([]);
    expect(certificate.retainedRecords).toEqual([]);
    expect(await historyText(ctx, outcome.executionArn)).not.toContain('"c3"');
  });

  it('converges on a replay after a crash, and a replay of the completed withdrawal changes nothing', async () => {
    // Arrange
    const customerId = await libraryCustomer('replay');
    const requestId = newRequestId('replay');
    await createRequestRecord(ctx, requestId, 'consent-withdrawal', customerId, 'onskefoto');
    await replaceFunction(ctx, replacements, 'issue-certificate', failing(() => new StoreFailed('Store "audit" failed: AccessDenied')));
    const failed = await runWorkflow(ctx, 'consent-withdrawal', requestId, { requestId, brand: 'onskefoto' });
    await replacements.restoreAll();

    // Act
    const replay = await runWorkflow(ctx, 'consent-withdrawal', `${requestId}-replay-1`, { requestId, brand: 'onskefoto' });
    const key = `certificates/${requestId}.json`;
    const head = await ctx.s3.send(new HeadObjectCommand({ Bucket: resourceName(getStore('audit')), Key: key }));
    const second = await runWorkflow(ctx, 'consent-withdrawal', `${requestId}-replay-2`, { requestId, brand: 'onskefoto' });

    // Assert
    expect(failed.status).toBe('FAILED');
    expect(replay.status).toBe('SUCCEEDED');
    const { certificate } = (await ctx.ledger.get(requestId)).result as { certificate: { stores: Record<string, { deleted: number }> } };
    expect(certificate.stores['photo-library']!.deleted).toBe(4);
    expect((await customerLeft(ctx, customerId))['photo-library']!.own).toBe(0);
    expect(await enteredStates(ctx, second.executionArn)).toEqual(['Mark In Progress', 'Proceed?', 'Nothing To Do']);
    expect((await ctx.s3.send(new HeadObjectCommand({ Bucket: resourceName(getStore('audit')), Key: key }))).ETag).toBe(head.ETag);
  });

  it('fails naming the store when verification still finds library files, and issues no certificate', async () => {
    // Arrange
    await replaceFunction(ctx, replacements, 'collect-photo-library', () => async () => ({ store: 'photo-library', items: 3, retainedItems: 0, personalItems: 3 }));
    const customerId = await libraryCustomer('verify');
    const requestId = newRequestId('verify');
    await createRequestRecord(ctx, requestId, 'consent-withdrawal', customerId, 'onskefoto');

    // Act
    const outcome = await runWorkflow(ctx, 'consent-withdrawal', requestId, { requestId, brand: 'onskefoto' });

    // Assert
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('ErasureVerificationFailed');
    expect((await ctx.ledger.get(requestId)).error!.message).toMatch(/in: photo-library \(3 personal records or files\)/);
    await expect(ctx.s3.send(new HeadObjectCommand({ Bucket: resourceName(getStore('audit')), Key: `certificates/${requestId}.json` }))).rejects.toThrow();
  });
});

/** Every Task of the workflow with the catalog function it invokes. */
const TASKS = [
  ['Mark In Progress', 'mark-in-progress'],
  ['Erase Photo Library', 'erase-photo-library'],
  ['Record Erase Progress', 'record-store-progress'],
  ['Verify Photo Library', 'collect-photo-library'],
  ['Check Verification', 'check-erasure-verification'],
  ['Issue Certificate', 'issue-certificate'],
  ['Complete Request', 'complete-request'],
] as const;

describe('consent-withdrawal workflow: every Retry and Catch', () => {
  it.each(TASKS)('retries %s (%s) while its store is unavailable, then completes', async (_state, functionId) => {
    // Arrange
    await replaceFunction(ctx, replacements, functionId, failing(() => new StoreUnavailable('Store "x" is unavailable: throttled'), 2));
    const customerId = await libraryCustomer('retry');
    const requestId = newRequestId('retry');
    await createRequestRecord(ctx, requestId, 'consent-withdrawal', customerId, 'onskefoto');

    // Act
    const outcome = await runWorkflow(ctx, 'consent-withdrawal', requestId, { requestId, brand: 'onskefoto' });

    // Assert
    expect(outcome.status).toBe('SUCCEEDED');
    expect((await ctx.ledger.get(requestId)).status).toBe('completed');
    expect((await customerLeft(ctx, customerId))['photo-library']!.own).toBe(0);
  });

  it.each(TASKS)('sends a terminal failure of %s (%s) to Record Failure: the request fails with the error', async (state, functionId) => {
    // Arrange
    await replaceFunction(ctx, replacements, functionId, failing(() => new StoreFailed(`Store "x" failed: injected in ${state}`)));
    const customerId = await libraryCustomer('fail');
    const requestId = newRequestId('fail');
    await createRequestRecord(ctx, requestId, 'consent-withdrawal', customerId, 'onskefoto');

    // Act
    const outcome = await runWorkflow(ctx, 'consent-withdrawal', requestId, { requestId, brand: 'onskefoto' });

    // Assert
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('StoreFailed');
    const states = await enteredStates(ctx, outcome.executionArn);
    expect(states.slice(-2)).toEqual(['Record Failure', 'Failed']);
    expect(states).toContain(state);
    expect((await ctx.ledger.get(requestId)).error).toEqual({ name: 'StoreFailed', message: `Store "x" failed: injected in ${state}` });
  });
  // Record Erase Progress and Record Verify Progress invoke the same function; this double fails the verify phase only.
  const failingVerifyProgress = (error: () => Error, times = Number.POSITIVE_INFINITY) => {
    let calls = 0;
    return (real: Parameters<Parameters<typeof replaceFunction>[3]>[0]): ReturnType<Parameters<typeof replaceFunction>[3]> =>
      async (event, context, callback) => {
        if ((event as { phase?: string }).phase === 'verify' && ++calls <= times) throw error();
        return real(event, context, callback);
      };
  };

  it('retries Record Verify Progress while the ledger is unavailable, then completes', async () => {
    // Arrange
    await replaceFunction(ctx, replacements, 'record-store-progress', failingVerifyProgress(() => new StoreUnavailable('Store "x" is unavailable: throttled'), 2));
    const customerId = await libraryCustomer('retry');
    const requestId = newRequestId('retry');
    await createRequestRecord(ctx, requestId, 'consent-withdrawal', customerId, 'onskefoto');

    // Act
    const outcome = await runWorkflow(ctx, 'consent-withdrawal', requestId, { requestId, brand: 'onskefoto' });

    // Assert
    expect(outcome.status).toBe('SUCCEEDED');
    expect((await ctx.ledger.get(requestId)).status).toBe('completed');
  });

  it('sends a terminal failure of Record Verify Progress to Record Failure, after the erasure was recorded', async () => {
    // Arrange
    await replaceFunction(ctx, replacements, 'record-store-progress', failingVerifyProgress(() => new StoreFailed('Store "x" failed: injected in Record Verify Progress')));
    const customerId = await libraryCustomer('fail');
    const requestId = newRequestId('fail');
    await createRequestRecord(ctx, requestId, 'consent-withdrawal', customerId, 'onskefoto');

    // Act
    const outcome = await runWorkflow(ctx, 'consent-withdrawal', requestId, { requestId, brand: 'onskefoto' });

    // Assert
    expect(outcome.status).toBe('FAILED');
    const states = await enteredStates(ctx, outcome.executionArn);
    expect(states.slice(-3)).toEqual(['Record Verify Progress', 'Record Failure', 'Failed']);
    expect(states).toContain('Record Erase Progress');
    expect((await ctx.ledger.get(requestId)).error).toEqual({ name: 'StoreFailed', message: 'Store "x" failed: injected in Record Verify Progress' });
  });
});
