import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStore, resourceName } from '../../functions/core/data-map';
import { StoreFailed, StoreUnavailable } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';
import type { ProcessingCertificate } from '../../functions/core/processing/certificate';
import { checkProcessing, restrictionKey } from '../../functions/core/processing/check';
import { documentClient, s3Client, sfnClient } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { handler as applyRestriction } from '../../functions/processing/apply-restriction';
import { handler as verifyRestriction } from '../../functions/processing/verify-restriction';
import { handler as issueCertificate } from '../../functions/processing/issue-processing-certificate';
import { handler as notifyProcessors } from '../../functions/notify/notify-processors';
import { handler as markInProgress } from '../../functions/workflow/mark-in-progress';
import { handler as completeRequest } from '../../functions/workflow/complete-request';
import { handler as recordFailure } from '../../functions/workflow/record-failure';
import { localFunctionName, type LambdaHandler } from '../../local/lambda-runtime';
import { startLocalAws } from '../../local/runtime';
import { restoredAfterEach } from '../unit/helpers/replacements';
import { enteredStates, readJson, type ErasureContext } from './erasure-helpers';
import { createProcessingRecord, runWorkflow, seedProcessingCustomer } from './processing-helpers';

/**
 * The restriction workflow (statemachines/restriction.asl.json) on the local AWS: restrict and lift
 * against the suppression table, the processing check before and after, the certificate, a replay,
 * and every task's Retry and Catch branch.
 */

let dataDir: string;
let ctx: ErasureContext;
let sequence = 0;
const replacements = restoredAfterEach();

/** A fresh id per test. */
function fresh(label: string): string {
  sequence += 1;
  return `rs-${label}-${sequence}`;
}

/** Replaces a catalog function by a test double until the test ends. */
function replaceFunction(functionId: string, fake: LambdaHandler, real: LambdaHandler): void {
  const name = localFunctionName(functionId);
  replacements.replace(
    () => ctx.aws.lambda.register(name, { handler: fake, timeoutSeconds: 120 }),
    () => ctx.aws.lambda.register(name, { handler: real, timeoutSeconds: 120 }),
  );
}

/** The restriction entry of a customer and scope, read directly. */
async function entry(customerId: string, scope: 'all' | 'marketing' | 'smart-creation'): Promise<Record<string, unknown> | undefined> {
  const response = await ctx.doc.send(new GetCommand({ TableName: resourceName(getStore('marketing-suppression')), Key: { hash: restrictionKey(customerKey(customerId), scope) }, ConsistentRead: true }));
  return response.Item;
}

const check = (customerId: string, purpose: 'marketing' | 'smart-creation') => checkProcessing({ doc: ctx.doc }, customerKey(customerId), purpose);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-restriction-wf-'));
  const aws = await startLocalAws({ dataDir, reset: true, stepFunctions: { retryOverrideMs: 5, waitOverrideMs: 100 }, log: () => {} });
  ctx = { aws, doc: documentClient(), s3: s3Client(), sfn: sfnClient(), ledger: ledgerFromEnv() };
}, 120_000);

afterAll(async () => {
  await ctx?.aws.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('restriction workflow: restrict and lift', () => {
  it('records a marketing restriction under the keyed hash, refuses marketing only, tells the marketing recipients and certifies it', async () => {
    const customerId = fresh('c');
    const neighbour = `${customerId}2`;
    await seedProcessingCustomer(ctx.doc, customerId);
    await seedProcessingCustomer(ctx.doc, neighbour);
    const requestId = fresh('restrict');
    await createProcessingRecord(ctx, { requestId, customerId, restriction: { action: 'restrict', scope: 'marketing', ground: 'accuracy-contested' } });
    const before = await check(customerId, 'marketing');

    const outcome = await runWorkflow(ctx, 'restriction', requestId, requestId);

    expect(before).toEqual({ purpose: 'marketing', allowed: true });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(await enteredStates(ctx, outcome.executionArn)).toEqual([
      'Mark In Progress', 'Proceed?', 'Apply Restriction', 'Notify Recipients', 'Verify Restriction', 'Issue Certificate', 'Complete Request', 'Done',
    ]);
    expect(await entry(customerId, 'marketing')).toMatchObject({ kind: 'restriction', scope: 'marketing', ground: 'accuracy-contested', requestId });
    expect(JSON.stringify(await entry(customerId, 'marketing'))).not.toContain(customerId);
    expect(await check(customerId, 'marketing')).toMatchObject({ allowed: false, reason: { kind: 'restriction', scope: 'marketing', ground: 'accuracy-contested', requestId } });
    expect(await check(customerId, 'smart-creation')).toEqual({ purpose: 'smart-creation', allowed: true });
    expect(await check(neighbour, 'marketing')).toEqual({ purpose: 'marketing', allowed: true });
    const record = await ctx.ledger.get(requestId);
    expect(record.status).toBe('completed');
    expect(record.customerId).toBe(customerId);
    const summary = record.result!.certificate as { bucket: string; key: string; verification: string; stores: unknown; notifiedRecipients: string[] };
    expect(summary).toMatchObject({ verification: 'passed', stores: { 'marketing-suppression': { 'restriction-recorded': 1 } } });
    expect([...summary.notifiedRecipients].sort()).toEqual(['email-marketing-provider', 'meta-custom-audiences']);
    const certificate = await readJson<ProcessingCertificate>(ctx.s3, summary.bucket, summary.key);
    expect(certificate).toMatchObject({
      type: 'restriction',
      customerKey: customerKey(customerId),
      request: { restriction: { action: 'restrict', scope: 'marketing', ground: 'accuracy-contested' } },
      verification: { result: 'passed' },
      lifecycle: { requestedBy: 'token:workflow-test' },
    });
    expect(JSON.stringify(certificate)).not.toContain(customerId);
  });

  it('lifts every restriction with scope all, counts each removed entry once across a failed run and its replay, and allows again', async () => {
    const customerId = fresh('c');
    await seedProcessingCustomer(ctx.doc, customerId);
    for (const scope of ['marketing', 'smart-creation'] as const) {
      const restrictId = fresh(`restrict-${scope}`);
      await createProcessingRecord(ctx, { requestId: restrictId, customerId, restriction: { action: 'restrict', scope, ground: 'legal-claims' } });
      expect((await runWorkflow(ctx, 'restriction', restrictId, restrictId)).status).toBe('SUCCEEDED');
    }
    const requestId = fresh('lift');
    await createProcessingRecord(ctx, { requestId, customerId, restriction: { action: 'lift', scope: 'all' } });
    replaceFunction('verify-restriction', async () => { throw new StoreFailed('Store "marketing-suppression" failed: injected'); }, verifyRestriction as LambdaHandler);

    const failed = await runWorkflow(ctx, 'restriction', requestId, requestId);
    await replacements.restoreAll();
    const replayed = await runWorkflow(ctx, 'restriction', `${requestId}-replay-1`, requestId);

    expect(failed.status).toBe('FAILED');
    expect(replayed.status).toBe('SUCCEEDED');
    expect(await entry(customerId, 'marketing')).toBeUndefined();
    expect(await entry(customerId, 'smart-creation')).toBeUndefined();
    expect((await check(customerId, 'marketing')).allowed).toBe(true);
    expect((await check(customerId, 'smart-creation')).allowed).toBe(true);
    const record = await ctx.ledger.get(requestId);
    expect(record.result!.certificate).toMatchObject({ stores: { 'marketing-suppression': { 'restriction-lifted': 2 } } });
  });

  it('changes nothing on a replay of a completed request', async () => {
    const customerId = fresh('c');
    const requestId = fresh('done');
    await createProcessingRecord(ctx, { requestId, customerId, restriction: { action: 'restrict', scope: 'all', ground: 'unlawful-processing' } });
    expect((await runWorkflow(ctx, 'restriction', requestId, requestId)).status).toBe('SUCCEEDED');
    const completed = await ctx.ledger.get(requestId);

    const replay = await runWorkflow(ctx, 'restriction', `${requestId}-replay-1`, requestId);

    expect(replay.status).toBe('SUCCEEDED');
    expect((await enteredStates(ctx, replay.executionArn)).at(-1)).toBe('Nothing To Do');
    expect(await ctx.ledger.get(requestId)).toEqual(completed);
  });
});

/** Every task of the workflow with the catalog function it invokes and that function's real handler. */
const TASKS: [string, string, LambdaHandler][] = [
  ['Mark In Progress', 'mark-in-progress', markInProgress as LambdaHandler],
  ['Apply Restriction', 'apply-restriction', applyRestriction as LambdaHandler],
  ['Notify Recipients', 'notify-processors', notifyProcessors as LambdaHandler],
  ['Verify Restriction', 'verify-restriction', verifyRestriction as LambdaHandler],
  ['Issue Certificate', 'issue-processing-certificate', issueCertificate as LambdaHandler],
  ['Complete Request', 'complete-request', completeRequest as LambdaHandler],
];

describe('restriction workflow: every Retry and Catch', () => {
  it.each(TASKS)('retries %s after a transient store error, then completes', async (_state, functionId, real) => {
    let calls = 0;
    replaceFunction(functionId, async (event, context, callback) => {
      calls += 1;
      if (calls === 1) throw new StoreUnavailable('Store "marketing-suppression" is unavailable: throttled');
      return real(event, context, callback);
    }, real);
    const requestId = fresh('retry');
    await createProcessingRecord(ctx, { requestId, customerId: fresh('c'), restriction: { action: 'restrict', scope: 'smart-creation', ground: 'objection-pending' } });

    const outcome = await runWorkflow(ctx, 'restriction', requestId, requestId);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(calls).toBe(2);
    expect((await ctx.ledger.get(requestId)).status).toBe('completed');
  });

  it.each(TASKS)('sends a terminal failure of %s to Record Failure and fails the request', async (state, functionId, real) => {
    replaceFunction(functionId, async () => { throw new StoreFailed('Store "marketing-suppression" failed: AccessDenied'); }, real);
    const requestId = fresh('catch');
    await createProcessingRecord(ctx, { requestId, customerId: fresh('c'), restriction: { action: 'restrict', scope: 'smart-creation', ground: 'objection-pending' } });

    const outcome = await runWorkflow(ctx, 'restriction', requestId, requestId);

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('StoreFailed');
    const states = await enteredStates(ctx, outcome.executionArn);
    expect(states.slice(-3)).toEqual([state, 'Record Failure', 'Failed']);
    expect((await ctx.ledger.get(requestId))).toMatchObject({ status: 'failed', error: { name: 'StoreFailed', message: 'Store "marketing-suppression" failed: AccessDenied' } });
  });

  it('retries Record Failure after a transient store error, so the failure is still recorded', async () => {
    let calls = 0;
    replaceFunction('apply-restriction', async () => { throw new StoreFailed('Store "marketing-suppression" failed: AccessDenied'); }, applyRestriction as LambdaHandler);
    replaceFunction('record-failure', async (event, context, callback) => {
      calls += 1;
      if (calls === 1) throw new StoreUnavailable('Store "request-ledger" is unavailable: throttled');
      return (recordFailure as LambdaHandler)(event, context, callback);
    }, recordFailure as LambdaHandler);
    const requestId = fresh('record-failure');
    await createProcessingRecord(ctx, { requestId, customerId: fresh('c'), restriction: { action: 'restrict', scope: 'smart-creation', ground: 'objection-pending' } });

    const outcome = await runWorkflow(ctx, 'restriction', requestId, requestId);

    expect(outcome.status).toBe('FAILED');
    expect(calls).toBe(2);
    expect((await enteredStates(ctx, outcome.executionArn)).slice(-3)).toEqual(['Apply Restriction', 'Record Failure', 'Failed']);
    expect((await ctx.ledger.get(requestId)).status).toBe('failed');
  });
});
