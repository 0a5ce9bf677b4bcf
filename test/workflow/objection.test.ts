import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suppressionOf } from '../../functions/core/erasure/suppression';
import { StoreFailed, StoreUnavailable } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';
import type { ProcessingCertificate } from '../../functions/core/processing/certificate';
import { checkProcessing } from '../../functions/core/processing/check';
import { documentClient, s3Client, sfnClient } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { handler as applyObjection } from '../../functions/processing/apply-objection';
import { handler as verifyObjection } from '../../functions/processing/verify-objection';
import { handler as issueCertificate } from '../../functions/processing/issue-processing-certificate';
import { handler as notifyProcessors } from '../../functions/notify/notify-processors';
import { handler as markInProgress } from '../../functions/workflow/mark-in-progress';
import { handler as completeRequest } from '../../functions/workflow/complete-request';
import { handler as recordFailure } from '../../functions/workflow/record-failure';
import { localFunctionName, type LambdaHandler } from '../../local/lambda-runtime';
import { startLocalAws } from '../../local/runtime';
import { restoredAfterEach } from '../unit/helpers/replacements';
import { enteredStates, readJson, type ErasureContext } from './erasure-helpers';
import { createProcessingRecord, emailOf, itemsOf, phoneOf, runWorkflow, seedProcessingCustomer } from './processing-helpers';

/**
 * The objection workflow (statemachines/objection.asl.json) on the local AWS: direct marketing and
 * smart creation against the stores, what stays untouched, the checks before and after, the
 * certificate, a replay after a failure, and every task's Retry and Catch branch.
 */

let dataDir: string;
let ctx: ErasureContext;
let sequence = 0;
const replacements = restoredAfterEach();

/** A fresh id per test. */
function fresh(label: string): string {
  sequence += 1;
  return `ob-${label}-${sequence}`;
}

/** Replaces a catalog function by a test double until the test ends. */
function replaceFunction(functionId: string, fake: LambdaHandler, real: LambdaHandler): void {
  const name = localFunctionName(functionId);
  replacements.replace(
    () => ctx.aws.lambda.register(name, { handler: fake, timeoutSeconds: 120 }),
    () => ctx.aws.lambda.register(name, { handler: real, timeoutSeconds: 120 }),
  );
}

/** Every store of a customer the objection might touch, read directly. */
async function storesOf(customerId: string): Promise<Record<string, Record<string, unknown>[]>> {
  return Object.fromEntries(
    await Promise.all(['customer-profile', 'orders', 'marketing', 'smart-creation'].map(async (store) => [store, await itemsOf(ctx.doc, store, customerId)] as const)),
  );
}

const check = (customerId: string, purpose: 'marketing' | 'smart-creation') => checkProcessing({ doc: ctx.doc }, customerKey(customerId), purpose);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-objection-wf-'));
  const aws = await startLocalAws({ dataDir, reset: true, stepFunctions: { retryOverrideMs: 5, waitOverrideMs: 100 }, log: () => {} });
  ctx = { aws, doc: documentClient(), s3: s3Client(), sfn: sfnClient(), ledger: ledgerFromEnv() };
}, 120_000);

afterAll(async () => {
  await ctx?.aws.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('objection workflow: direct marketing', () => {
  it('withdraws every consent, deletes segments and audiences, suppresses email and phone, leaves profile, orders and the neighbour alone, and certifies it', async () => {
    const customerId = fresh('c');
    const neighbour = `${customerId}2`;
    await seedProcessingCustomer(ctx.doc, customerId);
    await seedProcessingCustomer(ctx.doc, neighbour);
    const before = await storesOf(customerId);
    const neighbourBefore = await storesOf(neighbour);
    const suppressedBefore = await suppressionOf(ctx.doc, { emails: [emailOf(customerId)], phones: [phoneOf(customerId)] });
    const requestId = fresh('dm');
    await createProcessingRecord(ctx, { requestId, customerId, objection: { purpose: 'direct-marketing' } });

    const outcome = await runWorkflow(ctx, 'objection', requestId, requestId);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(await enteredStates(ctx, outcome.executionArn)).toEqual([
      'Mark In Progress', 'Proceed?', 'Apply Objection', 'Notify Recipients', 'Verify Objection', 'Issue Certificate', 'Complete Request', 'Done',
    ]);
    const after = await storesOf(customerId);
    expect(after['customer-profile']).toEqual(before['customer-profile']);
    expect(after.orders).toEqual(before.orders);
    expect(after['smart-creation']).toEqual(before['smart-creation']);
    expect(after.marketing!.map((item) => [item.entryId, item.granted, item.source])).toEqual([
      ['consent#email', false, 'objection'],
      ['consent#post', false, 'objection'],
      ['consent#sms', false, 'objection'],
    ]);
    expect(after.marketing!.map((item) => item.address)).toEqual(before.marketing!.filter((item) => String(item.entryId).startsWith('consent#')).map((item) => item.address));
    expect(await storesOf(neighbour)).toEqual(neighbourBefore);
    expect(suppressedBefore.map((answer) => answer.suppressed)).toEqual([false, false]);
    expect(await suppressionOf(ctx.doc, { emails: [emailOf(customerId).toUpperCase()], phones: [phoneOf(customerId).replaceAll(' ', '')] })).toEqual([
      { email: emailOf(customerId).toUpperCase(), suppressed: true, reason: 'objection' },
      { phone: phoneOf(customerId).replaceAll(' ', ''), suppressed: true, reason: 'objection' },
    ]);
    expect((await suppressionOf(ctx.doc, { emails: [emailOf(neighbour)] }))[0]!.suppressed).toBe(false);
    expect(await check(customerId, 'marketing')).toMatchObject({ allowed: false, reason: { kind: 'objection', requestId } });
    expect((await check(customerId, 'smart-creation')).allowed).toBe(true);
    expect((await check(neighbour, 'marketing')).allowed).toBe(true);
    const summary = (await ctx.ledger.get(requestId)).result!.certificate as { bucket: string; key: string; stores: unknown; notifiedRecipients: string[] };
    expect(summary.stores).toEqual({
      'marketing-suppression': { 'objection-recorded': 1, suppressed: 2 },
      marketing: { 'consents-withdrawn': 3, deleted: 2 },
    });
    expect([...summary.notifiedRecipients].sort()).toEqual(['email-marketing-provider', 'meta-custom-audiences']);
    const certificate = await readJson<ProcessingCertificate>(ctx.s3, summary.bucket, summary.key);
    expect(certificate).toMatchObject({ type: 'objection', request: { objection: { purpose: 'direct-marketing' } }, verification: { result: 'passed' }, lifecycle: { requestedBy: 'token:workflow-test' } });
    expect(certificate.verification.checks.every((entry) => entry.left === 0)).toBe(true);
    expect(JSON.stringify(certificate)).not.toContain(customerId);
  });
});

describe('objection workflow: smart creation', () => {
  it('deletes the tracked edits only, refuses further tracking, and counts them once across a failed run and its replay', async () => {
    const customerId = fresh('c');
    await seedProcessingCustomer(ctx.doc, customerId);
    const before = await storesOf(customerId);
    const requestId = fresh('sc');
    await createProcessingRecord(ctx, { requestId, customerId, objection: { purpose: 'smart-creation' } });
    replaceFunction('verify-objection', async () => { throw new StoreFailed('Store "smart-creation" failed: injected'); }, verifyObjection as LambdaHandler);

    const failed = await runWorkflow(ctx, 'objection', requestId, requestId);
    await replacements.restoreAll();
    const replayed = await runWorkflow(ctx, 'objection', `${requestId}-replay-1`, requestId);

    expect(failed.status).toBe('FAILED');
    expect(replayed.status).toBe('SUCCEEDED');
    const after = await storesOf(customerId);
    expect(after['smart-creation']!.map((item) => item.entryId)).toEqual(['analysis#p1', 'analysis#p2']);
    expect(after.marketing).toEqual(before.marketing);
    expect(after['customer-profile']).toEqual(before['customer-profile']);
    expect(await check(customerId, 'smart-creation')).toMatchObject({ allowed: false, reason: { kind: 'objection', requestId } });
    expect((await check(customerId, 'marketing')).allowed).toBe(true);
    const summary = (await ctx.ledger.get(requestId)).result!.certificate as { stores: unknown; notifiedRecipients: string[] };
    expect(summary).toMatchObject({ stores: { 'marketing-suppression': { 'objection-recorded': 1 }, 'smart-creation': { deleted: 3 } }, notifiedRecipients: [] });
  });
});

/** Every task of the workflow with the catalog function it invokes and that function's real handler. */
const TASKS: [string, string, LambdaHandler][] = [
  ['Mark In Progress', 'mark-in-progress', markInProgress as LambdaHandler],
  ['Apply Objection', 'apply-objection', applyObjection as LambdaHandler],
  ['Notify Recipients', 'notify-processors', notifyProcessors as LambdaHandler],
  ['Verify Objection', 'verify-objection', verifyObjection as LambdaHandler],
  ['Issue Certificate', 'issue-processing-certificate', issueCertificate as LambdaHandler],
  ['Complete Request', 'complete-request', completeRequest as LambdaHandler],
];

describe('objection workflow: every Retry and Catch', () => {
  it.each(TASKS)('retries %s after a transient store error, then completes', async (_state, functionId, real) => {
    let calls = 0;
    replaceFunction(functionId, async (event, context, callback) => {
      calls += 1;
      if (calls === 1) throw new StoreUnavailable('Store "marketing" is unavailable: throttled');
      return real(event, context, callback);
    }, real);
    const customerId = fresh('c');
    await seedProcessingCustomer(ctx.doc, customerId);
    const requestId = fresh('retry');
    await createProcessingRecord(ctx, { requestId, customerId, objection: { purpose: 'smart-creation' } });

    const outcome = await runWorkflow(ctx, 'objection', requestId, requestId);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(calls).toBe(2);
    expect((await ctx.ledger.get(requestId)).status).toBe('completed');
  });

  it.each(TASKS)('sends a terminal failure of %s to Record Failure and fails the request', async (state, functionId, real) => {
    replaceFunction(functionId, async () => { throw new StoreFailed('Store "marketing" failed: AccessDenied'); }, real);
    const requestId = fresh('catch');
    await createProcessingRecord(ctx, { requestId, customerId: fresh('c'), objection: { purpose: 'direct-marketing' } });

    const outcome = await runWorkflow(ctx, 'objection', requestId, requestId);

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('StoreFailed');
    expect((await enteredStates(ctx, outcome.executionArn)).slice(-3)).toEqual([state, 'Record Failure', 'Failed']);
    expect(await ctx.ledger.get(requestId)).toMatchObject({ status: 'failed', error: { name: 'StoreFailed', message: 'Store "marketing" failed: AccessDenied' } });
  });

  it('retries Record Failure after a transient store error, so the failure is still recorded', async () => {
    let calls = 0;
    replaceFunction('apply-objection', async () => { throw new StoreFailed('Store "marketing-suppression" failed: AccessDenied'); }, applyObjection as LambdaHandler);
    replaceFunction('record-failure', async (event, context, callback) => {
      calls += 1;
      if (calls === 1) throw new StoreUnavailable('Store "request-ledger" is unavailable: throttled');
      return (recordFailure as LambdaHandler)(event, context, callback);
    }, recordFailure as LambdaHandler);
    const requestId = fresh('record-failure');
    await createProcessingRecord(ctx, { requestId, customerId: fresh('c'), objection: { purpose: 'smart-creation' } });

    const outcome = await runWorkflow(ctx, 'objection', requestId, requestId);

    expect(outcome.status).toBe('FAILED');
    expect(calls).toBe(2);
    expect((await enteredStates(ctx, outcome.executionArn)).slice(-3)).toEqual(['Apply Objection', 'Record Failure', 'Failed']);
    expect((await ctx.ledger.get(requestId)).status).toBe('failed');
  });
});
