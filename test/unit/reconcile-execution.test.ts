import { ListExecutionsCommand, SFNClient, type ExecutionListItem } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { customerKey } from '../../functions/core/keyed-hash';
import { RequestNotFound, StoreUnavailable } from '../../functions/core/errors';
import type { Ledger, RequestRecord, RequestStatus } from '../../functions/core/ledger';
import {
  failureOfExecution,
  reconcileExecution,
  reconcileExecutionInput,
  requestIdOfExecution,
  type ReconcileExecutionInput,
} from '../../functions/core/reconcile-execution';
import { startLedgerTable, type LedgerTable } from './helpers/ledger-table';

const MACHINE = 'arn:aws:states:eu-west-1:111122223333:stateMachine:dsr-export';
const REQUEST_ID = '2f0c6a4e-9a35-4b8e-8a4f-0f3e1c9d7b21';

function executionArn(name: string): string {
  return `arn:aws:states:eu-west-1:111122223333:execution:dsr-export:${name}`;
}

function record(status: RequestStatus, overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    requestId: REQUEST_ID,
    type: 'export',
    customerId: 'cust-secret-42',
    customerKey: customerKey('cust-secret-42', 'k'.repeat(40)),
    brand: 'albelli',
    status,
    createdAt: '2026-01-10T10:00:00.000Z',
    updatedAt: '2026-01-10T10:00:00.000Z',
    dueAt: '2026-02-10T10:00:00.000Z',
    bodyHash: 'hash',
    executionArn: executionArn(REQUEST_ID),
    stores: {},
    version: 1,
    ...overrides,
  };
}

/** The EventBridge event Step Functions publishes when an execution ends. */
function statusEvent(name: string, status: string, fields: { error?: string | null; cause?: string | null } = {}): unknown {
  return {
    version: '0',
    id: 'event-1',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '111122223333',
    time: '2026-01-10T10:05:00Z',
    region: 'eu-west-1',
    resources: [executionArn(name)],
    detail: {
      executionArn: executionArn(name),
      stateMachineArn: MACHINE,
      name,
      status,
      startDate: 1768039200000,
      stopDate: 1768039500000,
      input: null,
      output: null,
      error: fields.error ?? null,
      cause: fields.cause ?? null,
    },
  };
}

/** The ledger, except that its first `find` answers `stale` (what a read just before a concurrent change saw). */
function ledgerReading(ledger: Ledger, stale: RequestRecord): Ledger {
  let read = false;
  const find = async (requestId: string) => (read ? ledger.find(requestId) : ((read = true), stale));
  return Object.assign(Object.create(ledger) as Ledger, { find });
}

function parse(event: unknown): ReconcileExecutionInput {
  return reconcileExecutionInput.parse(event);
}

describe('requestIdOfExecution', () => {
  it('is the execution name, or the part before -replay-<n> for a replay', () => {
    expect(requestIdOfExecution(REQUEST_ID)).toBe(REQUEST_ID);
    expect(requestIdOfExecution(`${REQUEST_ID}-replay-12`)).toBe(REQUEST_ID);
    expect(requestIdOfExecution(`${REQUEST_ID}-replay-x`)).toBe(`${REQUEST_ID}-replay-x`);
    expect(requestIdOfExecution(`${REQUEST_ID}-replay-2b`)).toBe(`${REQUEST_ID}-replay-2b`);
  });
});

describe('reconcileExecutionInput', () => {
  it('carries the request id of the execution and rejects a SUCCEEDED or foreign event', () => {
    expect(parse(statusEvent(`${REQUEST_ID}-replay-2`, 'TIMED_OUT'))).toMatchObject({ requestId: REQUEST_ID, status: 'TIMED_OUT' });
    expect(reconcileExecutionInput.safeParse(statusEvent(REQUEST_ID, 'SUCCEEDED')).success).toBe(false);
    expect(reconcileExecutionInput.safeParse({ ...(statusEvent(REQUEST_ID, 'FAILED') as object), source: 'dsr.request' }).success).toBe(false);
  });
});

describe('failureOfExecution', () => {
  it('keeps the Lambda errorMessage of a JSON cause, never its trace, and trims long causes', () => {
    const lambdaCause = JSON.stringify({ errorType: 'StoreFailed', errorMessage: 'ledger write refused', trace: ['at secret.ts:1'] });

    expect(failureOfExecution({ name: REQUEST_ID, status: 'FAILED', error: 'StoreFailed', cause: lambdaCause })).toEqual({ name: 'StoreFailed', message: 'ledger write refused' });
    expect(failureOfExecution({ name: REQUEST_ID, status: 'FAILED', error: 'States.DataLimitExceeded', cause: 'x'.repeat(5000) }).message).toHaveLength(2000);
  });

  it('redacts the customer id from a cause that quotes the state input', () => {
    const cause = `The JSONPath '$.plan' could not be found in the input '{"requestId":"r","customerId":"cust-secret-42"}'`;

    expect(failureOfExecution({ name: REQUEST_ID, status: 'FAILED', error: 'States.Runtime', cause }, 'cust-secret-42').message).toBe(
      `The JSONPath '$.plan' could not be found in the input '{"requestId":"r","customerId":"[customer id]"}'`,
    );
  });

  it('names the status when the execution has no error, and says what happened when it has no cause', () => {
    expect(failureOfExecution({ name: REQUEST_ID, status: 'ABORTED', error: null, cause: 'stopped from the console' })).toEqual({
      name: 'States.ABORTED',
      message: 'stopped from the console',
    });
    expect(failureOfExecution({ name: REQUEST_ID, status: 'TIMED_OUT', error: null, cause: null })).toEqual({
      name: 'States.TIMED_OUT',
      message: `Execution ${REQUEST_ID} ended TIMED_OUT`,
    });
  });
});

describe('reconcileExecution', () => {
  let table: LedgerTable;
  const sfn = new SFNClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const sfnMock = mockClient(sfn);
  let running: ExecutionListItem[];

  beforeEach(async () => {
    table = await startLedgerTable(() => new Date('2026-01-10T10:06:00.000Z'));
    running = [];
    sfnMock.reset();
    sfnMock.on(ListExecutionsCommand).callsFake(() => ({ executions: running }));
  });

  afterEach(async () => {
    await table.close();
  });

  it.each(['in_progress', 'pending'] as const)('marks an %s request failed with the cause of its aborted execution', async (status) => {
    // Arrange
    await table.ledger.create(record(status));

    // Act
    const result = await reconcileExecution({ ledger: table.ledger, sfn }, parse(statusEvent(REQUEST_ID, 'ABORTED', { cause: 'stopped from the console' })));

    // Assert
    const stored = await table.ledger.get(REQUEST_ID);
    expect(result).toEqual({ requestId: REQUEST_ID, action: 'marked-failed', status: 'failed', error: { name: 'States.ABORTED', message: 'stopped from the console' } });
    expect(stored).toMatchObject({ status: 'failed', error: { name: 'States.ABORTED', message: 'stopped from the console' } });
    expect(table.events.map((event) => event.status)).toEqual(['failed']);
    expect(JSON.stringify(table.events)).not.toContain('cust-secret-42');
  });

  it('stores no customer id when the cause quotes the execution input', async () => {
    // Arrange
    await table.ledger.create(record('in_progress'));
    const cause = 'Invalid path in the input {"customerId":"cust-secret-42"}';

    // Act
    await reconcileExecution({ ledger: table.ledger, sfn }, parse(statusEvent(REQUEST_ID, 'FAILED', { error: 'States.Runtime', cause })));

    // Assert
    const stored = await table.ledger.get(REQUEST_ID);
    expect(stored.error).toEqual({ name: 'States.Runtime', message: 'Invalid path in the input {"customerId":"[customer id]"}' });
    expect(JSON.stringify(table.events)).not.toContain('cust-secret-42');
  });

  it.each([
    ['FAILED', 'States.DataLimitExceeded', 'The state/task returned a result exceeding the size limit', 'States.DataLimitExceeded'],
    ['TIMED_OUT', 'States.Timeout', 'The execution timed out', 'States.Timeout'],
    ['TIMED_OUT', null, 'The execution timed out', 'States.TIMED_OUT'],
  ] as const)('records a %s execution with error %s', async (status, error, cause, expectedName) => {
    // Arrange
    await table.ledger.create(record('in_progress'));

    // Act
    await reconcileExecution({ ledger: table.ledger, sfn }, parse(statusEvent(REQUEST_ID, status, { error, cause })));

    // Assert
    expect((await table.ledger.get(REQUEST_ID)).error).toEqual({ name: expectedName, message: cause });
  });

  it.each(['failed', 'completed', 'cancelled', 'on_hold'] as const)('leaves a %s request untouched', async (status) => {
    // Arrange
    await table.ledger.create(record(status, status === 'failed' ? { error: { name: 'StoreFailed', message: 'from the failure path' } } : {}));

    // Act
    const result = await reconcileExecution({ ledger: table.ledger, sfn }, parse(statusEvent(REQUEST_ID, 'ABORTED', { error: 'RequestCancelled' })));

    // Assert
    const stored = await table.ledger.get(REQUEST_ID);
    expect(result).toEqual({ requestId: REQUEST_ID, action: 'unchanged', status });
    expect(stored).toEqual(record(status, status === 'failed' ? { error: { name: 'StoreFailed', message: 'from the failure path' } } : {}));
    expect(table.events).toEqual([]);
    expect(sfnMock.commandCalls(ListExecutionsCommand)).toHaveLength(0);
  });

  it('marks the request failed when its replay ends and no other execution of it is running', async () => {
    // Arrange
    await table.ledger.create(record('in_progress'));
    running = [{ executionArn: executionArn('other-request'), stateMachineArn: MACHINE, name: 'other-request', status: 'RUNNING', startDate: new Date() }];

    // Act
    const result = await reconcileExecution({ ledger: table.ledger, sfn }, parse(statusEvent(`${REQUEST_ID}-replay-1`, 'FAILED', { error: 'States.Runtime', cause: 'bad path' })));

    // Assert
    expect(result.action).toBe('marked-failed');
    expect((await table.ledger.get(REQUEST_ID)).status).toBe('failed');
    expect(sfnMock.commandCalls(ListExecutionsCommand)[0]!.args[0].input).toMatchObject({ stateMachineArn: MACHINE, statusFilter: 'RUNNING' });
  });

  it.each([
    ['a stopped replay while the first execution still runs', `${REQUEST_ID}-replay-1`, REQUEST_ID],
    ['the first execution while a replay runs', REQUEST_ID, `${REQUEST_ID}-replay-2`],
    ['an older replay while a newer replay runs', `${REQUEST_ID}-replay-1`, `${REQUEST_ID}-replay-2`],
  ])('leaves the request to the running execution: %s', async (_case, ended, stillRunning) => {
    // Arrange
    await table.ledger.create(record('in_progress'));
    running = [{ executionArn: executionArn(stillRunning), stateMachineArn: MACHINE, name: stillRunning, status: 'RUNNING', startDate: new Date() }];

    // Act
    const result = await reconcileExecution({ ledger: table.ledger, sfn }, parse(statusEvent(ended, 'ABORTED')));

    // Assert
    expect(result).toEqual({ requestId: REQUEST_ID, action: 'superseded', status: 'in_progress' });
    expect((await table.ledger.get(REQUEST_ID)).status).toBe('in_progress');
    expect(table.events).toEqual([]);
  });

  it('reads every page of running executions', async () => {
    // Arrange
    await table.ledger.create(record('in_progress'));
    sfnMock
      .on(ListExecutionsCommand)
      .resolvesOnce({ executions: [{ executionArn: executionArn('a'), stateMachineArn: MACHINE, name: 'a', status: 'RUNNING', startDate: new Date() }], nextToken: 'page-2' })
      .resolvesOnce({ executions: [{ executionArn: executionArn(`${REQUEST_ID}-replay-3`), stateMachineArn: MACHINE, name: `${REQUEST_ID}-replay-3`, status: 'RUNNING', startDate: new Date() }] });

    // Act
    const result = await reconcileExecution({ ledger: table.ledger, sfn }, parse(statusEvent(REQUEST_ID, 'FAILED')));

    // Assert
    expect(result.action).toBe('superseded');
    expect(sfnMock.commandCalls(ListExecutionsCommand).map((call) => call.args[0].input.nextToken)).toEqual([undefined, 'page-2']);
  });

  it('ignores an execution whose request the ledger does not know', async () => {
    // Act
    const result = await reconcileExecution({ ledger: table.ledger, sfn }, parse(statusEvent('started-by-hand', 'FAILED')));

    // Assert
    expect(result).toEqual({ requestId: 'started-by-hand', action: 'unknown-request' });
    expect(table.events).toEqual([]);
  });

  it('marks the request failed when the only running execution listed is the one that ended (a listing not yet updated)', async () => {
    // Arrange
    await table.ledger.create(record('in_progress'));
    running = [{ executionArn: executionArn(REQUEST_ID), stateMachineArn: MACHINE, name: REQUEST_ID, status: 'RUNNING', startDate: new Date() }];

    // Act
    const result = await reconcileExecution({ ledger: table.ledger, sfn }, parse(statusEvent(REQUEST_ID, 'FAILED')));

    // Assert
    expect(result.action).toBe('marked-failed');
    expect((await table.ledger.get(REQUEST_ID)).status).toBe('failed');
  });

  it('marks the request failed after a listing page without executions', async () => {
    // Arrange
    await table.ledger.create(record('in_progress'));
    sfnMock.on(ListExecutionsCommand).resolves({});

    // Act
    const result = await reconcileExecution({ ledger: table.ledger, sfn }, parse(statusEvent(REQUEST_ID, 'FAILED')));

    // Assert
    expect(result.action).toBe('marked-failed');
  });

  it('answers unchanged, without an error, when the failure path marked the request failed after it was read', async () => {
    // Arrange
    await table.ledger.create(record('failed', { error: { name: 'StoreFailed', message: 'from the failure path' } }));

    // Act
    const result = await reconcileExecution({ ledger: ledgerReading(table.ledger, record('in_progress')), sfn }, parse(statusEvent(REQUEST_ID, 'FAILED')));

    // Assert
    expect(result).toEqual({ requestId: REQUEST_ID, action: 'unchanged', status: 'failed' });
    expect((await table.ledger.get(REQUEST_ID)).error).toEqual({ name: 'StoreFailed', message: 'from the failure path' });
  });

  it('answers unchanged with the current status when the request completed after it was read (the transition is refused)', async () => {
    // Arrange
    await table.ledger.create(record('completed'));

    // Act
    const result = await reconcileExecution({ ledger: ledgerReading(table.ledger, record('in_progress')), sfn }, parse(statusEvent(REQUEST_ID, 'ABORTED')));

    // Assert
    expect(result).toEqual({ requestId: REQUEST_ID, action: 'unchanged', status: 'completed' });
    expect(table.events).toEqual([]);
  });

  it('rethrows any other failure of the transition', async () => {
    // Act
    const outcome = reconcileExecution({ ledger: ledgerReading(table.ledger, record('in_progress')), sfn }, parse(statusEvent(REQUEST_ID, 'FAILED')));

    // Assert
    await expect(outcome).rejects.toThrow(RequestNotFound);
  });

  it('rethrows a store failure of the transition rather than answering unchanged', async () => {
    // Arrange
    await table.ledger.create(record('in_progress'));
    const unavailable = new StoreUnavailable('Store "request-ledger" is unavailable');
    const ledger = Object.assign(Object.create(table.ledger) as Ledger, { transition: async () => Promise.reject(unavailable) });

    // Act
    const outcome = reconcileExecution({ ledger, sfn }, parse(statusEvent(REQUEST_ID, 'FAILED')));

    // Assert
    await expect(outcome).rejects.toBe(unavailable);
  });
});
