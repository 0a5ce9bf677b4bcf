import { describe, expect, it } from 'vitest';
import { InvalidStatusTransition, StoreUnavailable } from '../../functions/core/errors';
import type { Ledger, RequestRecord, RequestStatus, TransitionChanges } from '../../functions/core/ledger';
import {
  completeRequest,
  completeRequestInput,
  failureFromCatch,
  withoutCustomerId,
  holdRequest,
  holdRequestInput,
  markInProgress,
  markInProgressInput,
  markInProgressOutput,
  recordFailure,
  recordFailureInput,
  recordFailureOutput,
  recordStoreProgressInput,
  requestStatusOutput,
} from '../../functions/core/ledger-tasks';

/**
 * A fake ledger: `get` answers the statuses in `reads` one after the other (the last repeats),
 * `transition` answers `transitionTo` or throws `transitionError`; every call is logged.
 */
function fakeLedger(reads: RequestStatus[], options: { transitionError?: Error; customerId?: string } = {}) {
  const calls: string[] = [];
  const changes: TransitionChanges[] = [];
  const recordIn = (status: RequestStatus) => ({ requestId: 'r1', customerKey: 'ck', status, customerId: options.customerId }) as RequestRecord;
  const ledger = {
    get: async () => {
      calls.push('get');
      return recordIn(reads.length > 1 ? reads.shift()! : reads[0]!);
    },
    transition: async (_id: string, to: RequestStatus, change: TransitionChanges = {}) => {
      calls.push(`transition ${to}`);
      changes.push(change);
      if (options.transitionError) throw options.transitionError;
      return { record: recordIn(to), changed: true };
    },
    redactCustomer: async (customerKey: string, requestId: string) => {
      calls.push(`redact ${customerKey} ${requestId}`);
      return 1;
    },
  } as unknown as Ledger;
  return { ledger, calls, changes };
}

describe('markInProgress', () => {
  it.each(['cancelled', 'completed'] as const)('does not proceed with a %s request and changes nothing', async (status) => {
    const { ledger, calls } = fakeLedger([status]);

    const result = await markInProgress(ledger, { requestId: 'r1' });

    expect(result).toStrictEqual({ requestId: 'r1', status, proceed: false });
    expect(calls).toEqual(['get']);
  });

  it.each(['pending', 'failed', 'on_hold', 'in_progress'] as const)('moves a %s request to in_progress and proceeds', async (status) => {
    const { ledger, calls } = fakeLedger([status]);

    const result = await markInProgress(ledger, { requestId: 'r1' });

    expect(result).toStrictEqual({ requestId: 'r1', status: 'in_progress', proceed: true });
    expect(calls).toEqual(['get', 'transition in_progress']);
  });

  it.each([
    ['cancelled', false],
    ['completed', false],
    ['in_progress', true],
  ] as const)('after losing a race, reads the request again: %s → proceed %s', async (latest, proceed) => {
    const { ledger } = fakeLedger(['pending', latest], { transitionError: new InvalidStatusTransition('lost') });

    const result = await markInProgress(ledger, { requestId: 'r1' });

    expect(result).toStrictEqual({ requestId: 'r1', status: latest, proceed });
  });

  it('rethrows a refused transition when the request is still in another status, and any other error', async () => {
    const refused = fakeLedger(['pending', 'on_hold'], { transitionError: new InvalidStatusTransition('refused') });
    const unavailable = fakeLedger(['pending'], { transitionError: new StoreUnavailable('down') });

    await expect(markInProgress(refused.ledger, { requestId: 'r1' })).rejects.toThrow('refused');
    await expect(markInProgress(unavailable.ledger, { requestId: 'r1' })).rejects.toThrow(StoreUnavailable);
  });
});

describe('completeRequest and holdRequest', () => {
  it('completes with the result, redacting the customer\'s other records first when asked', async () => {
    const { ledger, calls, changes } = fakeLedger(['in_progress']);

    const result = await completeRequest(ledger, { requestId: 'r1', result: { ok: true }, redactCustomerId: true });

    expect(result).toStrictEqual({ requestId: 'r1', status: 'completed' });
    expect(calls).toEqual(['get', 'redact ck r1', 'transition completed']);
    expect(changes).toEqual([{ result: { ok: true }, redactCustomerId: true }]);
  });

  it('does not redact again for a completed request, nor at all without redactCustomerId', async () => {
    const completed = fakeLedger(['completed']);
    const plain = fakeLedger(['in_progress']);

    await completeRequest(completed.ledger, { requestId: 'r1', result: {}, redactCustomerId: true });
    await completeRequest(plain.ledger, { requestId: 'r1', result: {} });

    expect(completed.calls).toEqual(['get', 'transition completed']);
    expect(plain.calls).toEqual(['transition completed']);
    expect(plain.changes).toEqual([{ result: {}, redactCustomerId: undefined }]);
  });

  it('holds with the reasons', async () => {
    const { ledger, changes } = fakeLedger(['in_progress']);

    const result = await holdRequest(ledger, { requestId: 'r1', reasons: ['order o1: not yet paid'] });

    expect(result).toStrictEqual({ requestId: 'r1', status: 'on_hold' });
    expect(changes).toEqual([{ hold: { reasons: ['order o1: not yet paid'] } }]);
  });
});

describe('failureFromCatch', () => {
  it.each([
    [{ Error: 'StoreFailed', Cause: '{"errorType":"StoreFailed","errorMessage":"Store \\"orders\\" failed","trace":["at x"]}' }, 'Store "orders" failed'],
    [{ Error: 'States.Timeout', Cause: 'plain text cause' }, 'plain text cause'],
    [{ Error: 'X', Cause: '{"other":1}' }, '{"other":1}'],
    [{ Error: 'X', Cause: 'null' }, 'null'],
    [{ Error: 'X', Cause: { errorMessage: 42 } }, '42'],
    [{ Error: 'X', Cause: { other: 1 } }, ''],
    [{ Error: 'X', Cause: 7 }, ''],
    [{ Error: 'X' }, ''],
  ])('%j → message %j', (error, message) => {
    expect(failureFromCatch(error)).toStrictEqual({ name: error.Error, message });
  });

  it('keeps at most 2,000 characters of the message', () => {
    expect(failureFromCatch({ Error: 'X', Cause: 'm'.repeat(2_500) }).message).toBe('m'.repeat(2_000));
  });

  it('defaults the error name to States.TaskFailed', () => {
    expect(recordFailureInput.parse({ requestId: 'r1', error: {} }).error.Error).toBe('States.TaskFailed');
  });
});

describe('withoutCustomerId', () => {
  it.each([
    ['{"customerId":"c1"} and /c1/ and c1.', '{"customerId":"[customer id]"} and /[customer id]/ and [customer id].'],
    ['c12 xc1 c1_a c1-b', 'c12 xc1 c1_a c1-b'],
  ])('replaces whole occurrences only: %j', (text, expected) => {
    expect(withoutCustomerId(text, 'c1')).toBe(expected);
  });

  it('leaves the text as it is without a customer id', () => {
    expect(withoutCustomerId('c1', undefined)).toBe('c1');
  });

  it.each([
    ['no customer id', undefined],
    ['an empty customer id', ''],
  ])('replaces nothing with %s, not even the text "undefined" or the gaps between words', (_, customerId) => {
    expect(withoutCustomerId('undefined , x', customerId)).toBe('undefined , x');
  });
});

describe('recordFailure', () => {
  it('stores the cause without the customer id (a States.Runtime cause can quote the state input)', async () => {
    const { ledger, changes } = fakeLedger(['in_progress'], { customerId: 'cust-9' });

    await recordFailure(ledger, { requestId: 'r1', error: { Error: 'States.Runtime', Cause: 'input {"customerId":"cust-9"} has no $.plan' } });

    expect(changes).toEqual([{ error: { name: 'States.Runtime', message: 'input {"customerId":"[customer id]"} has no $.plan' } }]);
  });

  it('fails the request with the error', async () => {
    const { ledger, changes } = fakeLedger(['in_progress']);

    const result = await recordFailure(ledger, { requestId: 'r1', error: { Error: 'StoreFailed', Cause: 'c' } });

    expect(result).toStrictEqual({ requestId: 'r1', status: 'failed', error: { name: 'StoreFailed', message: 'c' } });
    expect(changes).toEqual([{ error: { name: 'StoreFailed', message: 'c' } }]);
  });

  it('keeps the status of a request that cannot fail, and rethrows other errors', async () => {
    const final = fakeLedger(['completed'], { transitionError: new InvalidStatusTransition('final') });
    const down = fakeLedger(['in_progress'], { transitionError: new StoreUnavailable('down') });

    const result = await recordFailure(final.ledger, { requestId: 'r1', error: { Error: 'X', Cause: 'c' } });

    expect(result).toStrictEqual({ requestId: 'r1', status: 'completed', error: { name: 'X', message: 'c' } });
    await expect(recordFailure(down.ledger, { requestId: 'r1', error: { Error: 'X' } })).rejects.toThrow(StoreUnavailable);
  });
});

describe('ledger step contracts', () => {
  it.each([
    ['mark-in-progress input', markInProgressInput, { requestId: 'r1' }],
    ['record-store-progress input', recordStoreProgressInput, { requestId: 'r1', store: 'orders', phase: 'erase', status: 'completed', items: 2, bytes: 10 }],
    ['complete-request input', completeRequestInput, { requestId: 'r1', result: { volumes: 2 }, redactCustomerId: true }],
    ['hold-request input', holdRequestInput, { requestId: 'r1', reasons: ['order o1: not yet paid', 'order o2: payment disputed'] }],
    ['status output', requestStatusOutput, { requestId: 'r1', status: 'on_hold' }],
    ['mark-in-progress output', markInProgressOutput, { requestId: 'r1', status: 'in_progress', proceed: true }],
    ['record-failure output', recordFailureOutput, { requestId: 'r1', status: 'failed', error: { name: 'StoreFailed', message: 'm' } }],
  ] as const)('the %s keeps every field', (_, schema, value) => {
    expect((schema as { parse: (v: unknown) => unknown }).parse(value)).toStrictEqual(value);
  });

  it.each([
    ['mark-in-progress input without a request id', markInProgressInput, {}],
    ['store progress without a store', recordStoreProgressInput, { requestId: 'r1', store: '', phase: 'erase', status: 'completed', items: 2, bytes: 10 }],
    ['complete-request input without a result', completeRequestInput, { requestId: 'r1' }],
    ['a hold without reasons', holdRequestInput, { requestId: 'r1', reasons: [] }],
    ['a hold with an empty reason', holdRequestInput, { requestId: 'r1', reasons: [''] }],
    ['a status output without a status', requestStatusOutput, { requestId: 'r1' }],
    ['a mark-in-progress output without proceed', markInProgressOutput, { requestId: 'r1', status: 'in_progress' }],
    ['a failure output without its error message', recordFailureOutput, { requestId: 'r1', status: 'failed', error: { name: 'X' } }],
    ['a failure output without an error', recordFailureOutput, { requestId: 'r1', status: 'failed' }],
  ] as const)('refuses %s', (_, schema, value) => {
    expect((schema as { safeParse: (v: unknown) => { success: boolean } }).safeParse(value).success).toBe(false);
  });

  it('accepts a store name longer than one character', () => {
    expect(recordStoreProgressInput.parse({ requestId: 'r1', store: 'uploaded-photos', phase: 'collect', status: 'skipped', items: 0, bytes: 0 }).store).toBe('uploaded-photos');
  });
});
