import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListExecutionsCommand, ListMapRunsCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreFailed, StoreUnavailable } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';
import { handler as realRecordFailure } from '../../functions/retention/record-failure';
import { handler as realPlan } from '../../functions/retention/plan-sweep';
import { handler as realSweep } from '../../functions/retention/sweep-segment';
import { handler as realReport } from '../../functions/retention/write-report';
import { documentClient, s3Client, sfnClient } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { localFunctionName, type LambdaHandler } from '../../local/lambda-runtime';
import { startLocalAws } from '../../local/runtime';
import { restoredAfterEach } from '../unit/helpers/replacements';
import { enteredStates, type ErasureContext } from './erasure-helpers';
import { ledgerSnapshot, readReport, reportCounts, runRetention, seedRetentionFixture, storeSnapshot, type RetentionFixture } from './retention-helpers';

/**
 * The retention ASL on the local Step Functions (Distributed Map with child executions): what is past
 * its rule goes and nothing else, the report is exact, a second run removes nothing new, and every
 * Retry and Catch branch: the planner and a sweep task retried, a failing sweep task, report or
 * failure record ending at Record Failure with a failed report.
 */

let dataDir: string;
let ctx: ErasureContext;
let fixture: RetentionFixture;
const previous = process.env.DSR_RETENTION_MAX_CONCURRENCY;
const replacements = restoredAfterEach();

/** Replaces a catalog function by a test double until the test ends. */
function replaceFunction(functionId: string, fake: LambdaHandler, real: unknown): void {
  const name = localFunctionName(functionId);
  replacements.replace(
    () => ctx.aws.lambda.register(name, { handler: fake, timeoutSeconds: 120 }),
    () => ctx.aws.lambda.register(name, { handler: real as LambdaHandler, timeoutSeconds: 120 }),
  );
}

/** A handler that throws `error` the first `times` calls, then runs the real one; counts its calls. */
function failing(times: number, error: () => Error, real: unknown): { handler: LambdaHandler; calls: () => number } {
  let calls = 0;
  return {
    handler: async (event, context, callback) => {
      calls += 1;
      if (calls <= times) throw error();
      return (real as LambdaHandler)(event, context, callback);
    },
    calls: () => calls,
  };
}

beforeAll(async () => {
  // One child execution at a time: the ledger is swept after the profiles, so its count includes the erasure request they create.
  process.env.DSR_RETENTION_MAX_CONCURRENCY = '1';
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-retention-wf-'));
  const aws = await startLocalAws({ dataDir, reset: true, stepFunctions: { retryOverrideMs: 5 }, log: () => {} });
  ctx = { aws, doc: documentClient(), s3: s3Client(), sfn: sfnClient(), ledger: ledgerFromEnv() };
  fixture = await seedRetentionFixture(ctx, 'w-');
}, 120_000);

afterAll(async () => {
  await ctx?.aws.close();
  if (previous === undefined) delete process.env.DSR_RETENTION_MAX_CONCURRENCY;
  else process.env.DSR_RETENTION_MAX_CONCURRENCY = previous;
  await rm(dataDir, { recursive: true, force: true });
});

describe('retention workflow', () => {
  it('counts on a dry run and removes nothing, retrying a planner and a sweep task that were briefly unavailable', async () => {
    // Arrange
    const before = await storeSnapshot(ctx);
    const plan = failing(2, () => new StoreUnavailable('Store "orders" is unavailable: throttled'), realPlan);
    const sweep = failing(1, () => new StoreUnavailable('Store "contact-history" is unavailable: throttled'), realSweep);
    replaceFunction('plan-retention-sweep', plan.handler, realPlan);
    replaceFunction('sweep-retention-segment', sweep.handler, realSweep);

    // Act
    const run = await runRetention(ctx, 'wf-dry', { dryRun: true });

    // Assert
    expect(run.status).toBe('SUCCEEDED');
    expect(plan.calls()).toBe(3);
    const report = await readReport(ctx, 'wf-dry');
    expect(report).toMatchObject({ runId: 'wf-dry', status: 'succeeded', dryRun: true });
    expect(reportCounts(report)).toEqual(
      fixture.counts.map((counts) => ({ ...counts, removed: 0, remaining: counts.expired - counts.heldSkipped, examined: counts.store === 'request-ledger' ? counts.examined - 1 : counts.examined })),
    );
    expect(sweep.calls()).toBe(report.batches! + 1);
    expect(await storeSnapshot(ctx)).toEqual(before);
    expect((await ctx.ledger.list({ customerKey: customerKey(fixture.customers.inactive.customerId), limit: 10 })).items).toEqual([]);
  });

  it('removes exactly what is past its rule, keeps the rest byte for byte, reports it exactly, and a second run removes nothing new', async () => {
    // Arrange
    const before = await storeSnapshot(ctx);
    const ledgerBefore = await ledgerSnapshot(ctx, 'w-');

    // Act
    const first = await runRetention(ctx, 'wf-run-1');
    const afterFirst = await storeSnapshot(ctx);
    const second = await runRetention(ctx, 'wf-run-2');

    // Assert
    expect([first.status, second.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const report = await readReport(ctx, 'wf-run-1');
    expect(reportCounts(report)).toEqual(fixture.counts);
    expect(report.totals).toEqual({ examined: 23, expired: 13, removed: 8, heldSkipped: 5, remaining: 0 });
    const expected = new Map([...before, ...ledgerBefore].filter(([key]) => !fixture.expired.includes(key)));
    expect(new Map([...afterFirst, ...(await ledgerSnapshot(ctx, 'w-'))])).toEqual(expected);
    const erasures = (await ctx.ledger.list({ customerKey: customerKey(fixture.customers.inactive.customerId), limit: 10 })).items;
    expect(erasures.map((request) => [request.type, request.status, request.caller, request.brand])).toEqual([['erasure', 'pending', 'retention', 'onskefoto']]);
    expect(JSON.stringify(report)).not.toContain(fixture.customers.inactive.customerId);

    expect(reportCounts(await readReport(ctx, 'wf-run-2'))).toEqual([
      // The inactive account is on the erasure path already: its open request is enough, no second one.
      { store: 'customer-profile', examined: 4, expired: 2, removed: 1, heldSkipped: 1, remaining: 0 },
      { store: 'orders', examined: 2, expired: 1, removed: 0, heldSkipped: 1, remaining: 0 },
      { store: 'contact-history', examined: 4, expired: 1, removed: 0, heldSkipped: 1, remaining: 0 },
      { store: 'call-recordings', examined: 2, expired: 1, removed: 0, heldSkipped: 1, remaining: 0 },
      { store: 'request-ledger', examined: 4, expired: 1, removed: 0, heldSkipped: 1, remaining: 0 },
    ]);
    expect(await storeSnapshot(ctx)).toEqual(afterFirst);
    expect((await ctx.ledger.list({ customerKey: customerKey(fixture.customers.inactive.customerId), limit: 10 })).items).toHaveLength(1);
  });

  it('runs each batch as a child execution of the Map Run, visible in the history', async () => {
    // Act
    const run = await runRetention(ctx, 'wf-children', { dryRun: true });
    const mapRuns = await ctx.sfn.send(new ListMapRunsCommand({ executionArn: run.executionArn }));
    const children = await ctx.sfn.send(new ListExecutionsCommand({ mapRunArn: mapRuns.mapRuns![0]!.mapRunArn }));

    // Assert
    expect(mapRuns.mapRuns).toHaveLength(1);
    expect(children.executions).toHaveLength((await readReport(ctx, 'wf-children')).batches!);
    expect(children.executions!.every((execution) => execution.status === 'SUCCEEDED')).toBe(true);
    expect(await enteredStates(ctx, run.executionArn)).toEqual(['Plan Sweep', 'Sweep Segments', 'Write Report']);
  });

  it('fails the Map Run when a sweep task fails for good, and records the failure in the run report', async () => {
    // Arrange
    const sweep = failing(Number.MAX_SAFE_INTEGER, () => new StoreFailed('Store "contact-history" failed: AccessDeniedException'), realSweep);
    replaceFunction('sweep-retention-segment', sweep.handler, realSweep);

    // Act
    const run = await runRetention(ctx, 'wf-sweep-fails', { dryRun: true });

    // Assert
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('States.ExceedToleratedFailureThreshold');
    expect(await enteredStates(ctx, run.executionArn)).toEqual(['Plan Sweep', 'Sweep Segments', 'Record Failure', 'Failed']);
    expect(await readReport(ctx, 'wf-sweep-fails')).toMatchObject({ status: 'failed', dryRun: true, stores: [], error: { name: 'States.ExceedToleratedFailureThreshold' } });
  });

  it('records a failing report step through Record Failure, retried while the audit bucket is briefly unavailable', async () => {
    // Arrange
    const report = failing(Number.MAX_SAFE_INTEGER, () => new StoreFailed('Store "audit" failed: AccessDenied'), realReport);
    const record = failing(1, () => new StoreUnavailable('Store "audit" is unavailable: SlowDown'), realRecordFailure);
    replaceFunction('write-retention-report', report.handler, realReport);
    replaceFunction('record-retention-failure', record.handler, realRecordFailure);

    // Act
    const run = await runRetention(ctx, 'wf-report-fails', { dryRun: true });

    // Assert
    expect(run).toMatchObject({ status: 'FAILED', error: 'StoreFailed' });
    expect(report.calls()).toBe(1);
    expect(record.calls()).toBe(2);
    expect(await readReport(ctx, 'wf-report-fails')).toMatchObject({ status: 'failed', error: { name: 'StoreFailed', message: expect.stringContaining('Store \\"audit\\" failed: AccessDenied') } });
  });

  it('fails a planner that cannot read a store at Record Failure, before any segment is swept', async () => {
    // Arrange
    const plan = failing(Number.MAX_SAFE_INTEGER, () => new StoreFailed('Store "orders" failed: AccessDeniedException'), realPlan);
    replaceFunction('plan-retention-sweep', plan.handler, realPlan);

    // Act
    const run = await runRetention(ctx, 'wf-plan-fails');

    // Assert
    expect(run).toMatchObject({ status: 'FAILED', error: 'StoreFailed' });
    expect(await enteredStates(ctx, run.executionArn)).toEqual(['Plan Sweep', 'Record Failure', 'Failed']);
    expect(await readReport(ctx, 'wf-plan-fails')).toMatchObject({ status: 'failed', dryRun: false, error: { name: 'StoreFailed' } });
  });
});
