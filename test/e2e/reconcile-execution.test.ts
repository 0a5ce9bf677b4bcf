import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreFailed } from '../../functions/core/errors';
import type { RequestView } from '../../functions/core/requests';
import { startApiServer, type ApiServer } from '../../local/api-server';
import { readEventLog } from '../../local/eventbridge-server';
import { startLocalAws, type LocalAws, type LocalPorts } from '../../local/runtime';
import { RUNTIME_STOPPED_CAUSE } from '../../local/stepfunctions-server';

/**
 * No request stays stuck, end to end through the HTTP API on the embedded local AWS: an export stopped
 * from the console while in progress, an erasure stopped while pending, an export whose failure path
 * itself fails (no Catch on Record Failure), an export ending in States.DataLimitExceeded (which no
 * Catch catches), and an export left running when the runtime stopped all
 * end `failed` with the cause, through the local Step Functions status event and `reconcile-execution`.
 * `dsr-plan-export` and `dsr-record-failure` are replaced by test functions to hold or fail a request.
 */

let aws: LocalAws;
let api: ApiServer;
let sfn: SFNClient;
let dataDir: string;
let ports: Partial<LocalPorts> = {};
const previousCoolingOff = process.env.DSR_ERASURE_COOLING_OFF_SECONDS;

/** Requests whose Plan Export step fails at once, or returns more than 256 KB; every other export is held in Plan Export until released. */
const failing = new Set<string>();
const oversized = new Set<string>();
const held = new Map<string, () => void>();

async function planExport(event: unknown): Promise<unknown> {
  const { requestId } = event as { requestId: string };
  if (failing.has(requestId)) throw new StoreFailed('orders store refused access');
  if (oversized.has(requestId)) return { stores: [{ padding: 'x'.repeat(300 * 1024) }] };
  await new Promise<void>((release) => held.set(requestId, release));
  throw new StoreFailed('released after the test');
}

async function recordFailure(): Promise<never> {
  throw new StoreFailed('request ledger refused the write');
}

/**
 * Boots the local AWS: the first time on ports the services pick themselves (no port chosen ahead and
 * freed, which a parallel test file could take meanwhile), a restart on the same ports, so in-process
 * clients created before it still reach the services.
 */
async function boot(): Promise<void> {
  aws = await startLocalAws({
    dataDir,
    ports,
    stepFunctions: { retryOverrideMs: 10 },
    extraFunctions: { 'dsr-plan-export': planExport, 'dsr-record-failure': recordFailure },
    log: () => undefined,
  });
  ports = aws.ports;
  sfn = new SFNClient({ region: aws.region, endpoint: aws.endpoints.stepfunctions, credentials: aws.credentials });
}

async function call(method: string, path: string, body?: unknown): Promise<RequestView> {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${aws.secrets.apiToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await response.json()) as RequestView;
}

async function pollUntil(requestId: string, done: (record: RequestView) => boolean): Promise<RequestView> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const record = await call('GET', `/v1/requests/${requestId}`);
    if (done(record)) return record;
    await new Promise((wait) => setTimeout(wait, 100));
  }
  throw new Error(`request ${requestId} did not reach the expected status`);
}

/** Starts an export and waits until it is in progress and held in Plan Export. */
async function heldExport(customerId: string): Promise<RequestView> {
  const requestId = randomUUID();
  await call('POST', '/v1/requests', { type: 'export', customerId, brand: 'albelli', requestId });
  const record = await pollUntil(requestId, (candidate) => candidate.status === 'in_progress');
  while (!held.has(requestId)) await new Promise((wait) => setTimeout(wait, 10));
  return record;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-reconcile-'));
  process.env.DSR_ERASURE_COOLING_OFF_SECONDS = '3600';
  await boot();
  api = await startApiServer({ port: 0, token: aws.secrets.apiToken });
});

afterAll(async () => {
  sfn?.destroy();
  await api?.close();
  await aws?.close();
  for (const release of held.values()) release();
  if (previousCoolingOff === undefined) delete process.env.DSR_ERASURE_COOLING_OFF_SECONDS;
  else process.env.DSR_ERASURE_COOLING_OFF_SECONDS = previousCoolingOff;
  await rm(dataDir, { recursive: true, force: true });
});

describe('a request whose execution ends without its failure path', () => {
  it('ends failed with the cause when its in-progress export is stopped from the console', async () => {
    // Arrange
    const running = await heldExport('reconcile-stop');

    // Act
    await sfn.send(new StopExecutionCommand({ executionArn: running.executionArn, cause: 'stopped by ops from the console' }));
    const failed = await pollUntil(running.requestId, (record) => record.status !== 'in_progress');

    // Assert
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({ name: 'States.ABORTED', message: 'stopped by ops from the console' });
    const statusEvents = (await readEventLog(dataDir)).filter((event) => event.source === 'aws.states' && (event.detail as { name: string }).name === running.requestId);
    expect(statusEvents).toEqual([
      expect.objectContaining({
        eventBusName: 'default',
        detailType: 'Step Functions Execution Status Change',
        resources: [running.executionArn],
        detail: expect.objectContaining({ executionArn: running.executionArn, status: 'ABORTED', input: null, output: null, cause: 'stopped by ops from the console' }),
      }),
    ]);
    expect(JSON.stringify(await readEventLog(dataDir))).not.toContain('reconcile-stop');
  });

  it('ends failed when its pending erasure is stopped during the cooling-off period', async () => {
    // Arrange
    const pending = await call('POST', '/v1/requests', { type: 'erasure', customerId: 'reconcile-pending', brand: 'resnap' });

    // Act
    await sfn.send(new StopExecutionCommand({ executionArn: pending.executionArn, error: 'Ops.Stopped', cause: 'wrong customer' }));
    const failed = await pollUntil(pending.requestId, (record) => record.status !== 'pending');

    // Assert
    expect(pending.status).toBe('pending');
    expect(failed).toMatchObject({ status: 'failed', error: { name: 'Ops.Stopped', message: 'wrong customer' } });
  });

  it('ends failed with the error of the failure path when Record Failure itself fails (no Catch)', async () => {
    // Arrange
    const requestId = randomUUID();
    failing.add(requestId);

    // Act
    await call('POST', '/v1/requests', { type: 'export', customerId: 'reconcile-uncaught', brand: 'albelli', requestId });
    const failed = await pollUntil(requestId, (record) => record.status === 'failed');

    // Assert
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: failed.executionArn }));
    expect(execution.status).toBe('FAILED');
    expect(failed.error).toEqual({ name: 'StoreFailed', message: 'request ledger refused the write' });
  });

  it('ends failed with States.DataLimitExceeded when a step returns more than 256 KB', async () => {
    // Arrange
    const requestId = randomUUID();
    oversized.add(requestId);

    // Act
    await call('POST', '/v1/requests', { type: 'export', customerId: 'reconcile-oversized', brand: 'albelli', requestId });
    const failed = await pollUntil(requestId, (record) => record.status !== 'pending' && record.status !== 'in_progress');

    // Assert
    expect(failed.status).toBe('failed');
    expect(failed.error?.name).toBe('States.DataLimitExceeded');
    expect(failed.error?.message).toContain('Plan Export');
  });

  it('stays cancelled when a cancel stops its execution', async () => {
    // Arrange
    const pending = await call('POST', '/v1/requests', { type: 'erasure', customerId: 'reconcile-cancel', brand: 'resnap' });

    // Act
    await call('DELETE', `/v1/requests/${pending.requestId}`);
    while (!(await readEventLog(dataDir)).some((event) => event.source === 'aws.states' && (event.detail as { name: string }).name === pending.requestId)) {
      await new Promise((wait) => setTimeout(wait, 50));
    }
    await aws.eventBridge.idle();

    // Assert
    expect(await call('GET', `/v1/requests/${pending.requestId}`)).toMatchObject({ status: 'cancelled' });
  });

  it('ends failed when its export was left running by a stopped runtime (ABORTED at the next start)', async () => {
    // Arrange
    const running = await heldExport('reconcile-restart');
    sfn.destroy();
    await aws.close();
    held.get(running.requestId)!();

    // Act
    await boot();
    const failed = await pollUntil(running.requestId, (record) => record.status !== 'in_progress');

    // Assert
    expect(failed).toMatchObject({ status: 'failed', error: { name: 'States.Runtime', message: RUNTIME_STOPPED_CAUSE } });
  });
});
