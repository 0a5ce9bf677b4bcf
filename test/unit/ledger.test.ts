import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventsFailed, EventsUnavailable, InvalidInput, InvalidStatusTransition, RequestNotFound } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';
import { decodePageToken, dueDate, encodePageToken, Ledger, newRequestRecord, type RequestRecord } from '../../functions/core/ledger';
import { completeRequest, holdRequest, markInProgress, recordFailure, recordStoreProgress } from '../../functions/core/ledger-tasks';
import { startLedgerTable, type LedgerTable } from './helpers/ledger-table';

const KEY = 'k'.repeat(40);

function record(requestId: string, overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    requestId,
    type: 'erasure',
    customerId: 'c1',
    customerKey: customerKey('c1', KEY),
    brand: 'albelli',
    status: 'pending',
    createdAt: '2025-01-31T10:00:00.000Z',
    updatedAt: '2025-01-31T10:00:00.000Z',
    dueAt: '2025-02-28T10:00:00.000Z',
    callbackUrl: 'https://portal.example/callback',
    bodyHash: 'hash',
    stores: {},
    version: 1,
    ...overrides,
  };
}

describe('dueDate', () => {
  it('is the same day one calendar month later, clamped to the last day of a shorter month', () => {
    expect(dueDate(new Date('2025-01-31T10:00:00Z')).toISOString()).toBe('2025-02-28T10:00:00.000Z');
    expect(dueDate(new Date('2024-01-31T10:00:00Z')).toISOString()).toBe('2024-02-29T10:00:00.000Z');
    expect(dueDate(new Date('2025-03-15T08:30:00Z')).toISOString()).toBe('2025-04-15T08:30:00.000Z');
    expect(dueDate(new Date('2025-12-31T23:00:00Z')).toISOString()).toBe('2026-01-31T23:00:00.000Z');
  });

  it('is the same day three calendar months later for an extension, clamped the same way', () => {
    expect(dueDate(new Date('2025-11-30T10:00:00Z'), 3).toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(dueDate(new Date('2023-11-30T10:00:00Z'), 3).toISOString()).toBe('2024-02-29T10:00:00.000Z');
    expect(dueDate(new Date('2025-10-31T10:00:00Z'), 3).toISOString()).toBe('2026-01-31T10:00:00.000Z');
    expect(dueDate(new Date('2025-03-31T10:00:00Z'), 3).toISOString()).toBe('2025-06-30T10:00:00.000Z');
  });
});

describe('newRequestRecord', () => {
  it('is pending, due one calendar month after receipt, with no progress and no empty optional fields', () => {
    const record = newRequestRecord({
      requestId: 'r1', type: 'export', customerId: 'c1', customerKey: 'k1', brand: 'albelli', bodyHash: 'h', receivedAt: new Date('2026-01-31T10:00:00.000Z'),
    });

    expect(record).toStrictEqual({
      requestId: 'r1', type: 'export', customerId: 'c1', customerKey: 'k1', brand: 'albelli', bodyHash: 'h', status: 'pending',
      createdAt: '2026-01-31T10:00:00.000Z', updatedAt: '2026-01-31T10:00:00.000Z', dueAt: '2026-02-28T10:00:00.000Z', stores: {}, version: 1,
    });
  });

  it('keeps every optional field it is given: cooling-off end, verification, caller, callback URL and locale', () => {
    const record = newRequestRecord({
      requestId: 'r1', type: 'erasure', customerId: 'c1', customerKey: 'k1', brand: 'albelli', bodyHash: 'h', receivedAt: new Date('2026-03-31T10:00:00.000Z'),
      notBefore: '2026-04-03T10:00:00.000Z', verification: { method: 'known-contact', verifiedBy: 'agent-7', verifiedAt: '2026-03-31T09:00:00.000Z' }, caller: 'token:ops', callbackUrl: 'https://portal.example/callback', locale: 'nl-NL',
    });

    expect(record).toStrictEqual({
      requestId: 'r1', type: 'erasure', customerId: 'c1', customerKey: 'k1', brand: 'albelli', bodyHash: 'h', status: 'pending',
      createdAt: '2026-03-31T10:00:00.000Z', updatedAt: '2026-03-31T10:00:00.000Z', dueAt: '2026-04-30T10:00:00.000Z',
      notBefore: '2026-04-03T10:00:00.000Z', verification: { method: 'known-contact', verifiedBy: 'agent-7', verifiedAt: '2026-03-31T09:00:00.000Z' }, caller: 'token:ops', callbackUrl: 'https://portal.example/callback', locale: 'nl-NL', stores: {}, version: 1,
    });
  });
});

describe('Ledger', () => {
  let table: LedgerTable;

  beforeEach(async () => {
    table = await startLedgerTable();
  });

  afterEach(async () => {
    await table.close();
  });

  it('creates a record once and returns the stored one for a repeated id', async () => {
    // Arrange
    await table.ledger.create(record('r1'));

    // Act
    const second = await table.ledger.create(record('r1', { bodyHash: 'other' }));

    // Assert
    expect(second.created).toBe(false);
    expect(second.record.bodyHash).toBe('hash');
  });

  it('walks pending → in_progress → completed, emitting one event per change without customer id or callback URL', async () => {
    // Arrange
    await table.ledger.create(record('r1'));

    // Act
    await table.ledger.transition('r1', 'in_progress');
    await table.ledger.transition('r1', 'completed', { result: { ok: true } });

    // Assert
    const stored = await table.ledger.get('r1');
    expect(stored.status).toBe('completed');
    expect(stored.result).toEqual({ ok: true });
    expect(stored.version).toBe(3);
    expect(table.events.map((event) => event.status)).toEqual(['in_progress', 'completed']);
    for (const event of table.events) {
      expect(event).not.toHaveProperty('customerId');
      expect(event).not.toHaveProperty('callbackUrl');
      expect(event.customerKey).toBe(customerKey('c1', KEY));
    }
  });

  it('moves only from the statuses `from` names, and writes nothing otherwise', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    await table.ledger.transition('r1', 'in_progress');
    const before = await table.ledger.get('r1');

    // Act
    const attempt = table.ledger.transition('r1', 'cancelled', { from: ['pending'] });

    // Assert
    await expect(attempt).rejects.toThrow(new InvalidStatusTransition('Request r1 cannot move from in_progress to cancelled'));
    expect(await table.ledger.get('r1')).toEqual(before);
    expect((await table.ledger.transition('r1', 'cancelled', { from: ['pending', 'in_progress'] })).record.status).toBe('cancelled');
  });

  it('treats a transition to the current status as a no-op without an event', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    await table.ledger.transition('r1', 'in_progress');

    // Act
    const outcome = await table.ledger.transition('r1', 'in_progress');

    // Assert
    expect(outcome.changed).toBe(false);
    expect(table.events).toHaveLength(1);
  });

  it.each([
    ['pending', 'completed'],
    ['pending', 'on_hold'],
    ['in_progress', 'denied'],
    ['in_progress', 'pending'],
    ['failed', 'denied'],
    ['denied', 'in_progress'],
    ['denied', 'cancelled'],
    ['completed', 'in_progress'],
    ['completed', 'failed'],
    ['cancelled', 'in_progress'],
    ['failed', 'completed'],
    ['on_hold', 'completed'],
  ] as const)('refuses %s → %s and leaves the record unchanged', async (from, to) => {
    // Arrange
    await table.ledger.create(record('r1', { status: from }));

    // Act
    const attempt = table.ledger.transition('r1', to);

    // Assert
    await expect(attempt).rejects.toBeInstanceOf(InvalidStatusTransition);
    expect((await table.ledger.get('r1')).status).toBe(from);
    expect(table.events).toHaveLength(0);
  });

  it.each([
    ['pending', 'cancelled'],
    ['pending', 'denied'],
    ['in_progress', 'cancelled'],
    ['in_progress', 'on_hold'],
    ['on_hold', 'denied'],
    ['in_progress', 'failed'],
    ['on_hold', 'in_progress'],
    ['on_hold', 'cancelled'],
    ['failed', 'in_progress'],
  ] as const)('allows %s → %s', async (from, to) => {
    // Arrange
    await table.ledger.create(record('r1', { status: from }));

    // Act
    const outcome = await table.ledger.transition('r1', to);

    // Assert
    expect(outcome.record.status).toBe(to);
    expect(table.events.map((event) => event.status)).toEqual([to]);
  });

  it('records each legal hold as a period: since it began, until the request left on_hold, with its reasons', async () => {
    // Arrange
    let clock = new Date('2025-02-01T00:00:00.000Z');
    const timed = await startLedgerTable(() => clock);
    await timed.ledger.create(record('r1', { status: 'in_progress' }));
    const at = async (iso: string, to: RequestRecord['status'], reasons?: string[]) => {
      clock = new Date(iso);
      await timed.ledger.transition('r1', to, reasons ? { hold: { reasons } } : {});
    };

    // Act
    await at('2025-02-02T00:00:00.000Z', 'on_hold', ['order o1: not yet paid']);
    await at('2025-02-05T00:00:00.000Z', 'in_progress');
    await at('2025-02-06T00:00:00.000Z', 'on_hold', ['contact k1: complaint flagged as a legal claim']);
    await at('2025-02-09T00:00:00.000Z', 'denied');
    const stored = await timed.ledger.get('r1');
    await timed.close();

    // Assert
    expect(stored.holds).toEqual([
      { since: '2025-02-02T00:00:00.000Z', until: '2025-02-05T00:00:00.000Z', reasons: ['order o1: not yet paid'] },
      { since: '2025-02-06T00:00:00.000Z', until: '2025-02-09T00:00:00.000Z', reasons: ['contact k1: complaint flagged as a legal claim'] },
    ]);
    expect(stored.status).toBe('denied');
  });

  it('opens a hold period only on a move to on_hold, whatever hold reasons another move carries', async () => {
    // Arrange
    await table.ledger.create(record('r1', { status: 'in_progress' }));

    // Act
    const failed = await table.ledger.transition('r1', 'failed', { hold: { reasons: ['order o1: not yet paid'] } });

    // Assert
    expect(failed.record.status).toBe('failed');
    expect(failed.record).not.toHaveProperty('holds');
  });

  it('extends a deadline once: writes the extension and the new due date, and emits Request Deadline Extended with them', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    const extension = { reason: 'complexity' as const, extendedAt: '2025-02-01T00:00:00.000Z', previousDueAt: '2025-02-28T10:00:00.000Z', extendedBy: 'token:ops' };

    // Act
    const first = await table.ledger.extend('r1', (current) => (current.extension ? undefined : { extension, dueAt: '2025-04-30T10:00:00.000Z' }));
    const again = await table.ledger.extend('r1', (current) => (current.extension ? undefined : { extension, dueAt: '2025-05-31T10:00:00.000Z' }));

    // Assert
    expect(first.changed).toBe(true);
    expect(again.changed).toBe(false);
    expect(await table.ledger.get('r1')).toMatchObject({ status: 'pending', dueAt: '2025-04-30T10:00:00.000Z', extension, version: 2 });
    expect(table.detailTypes).toEqual(['Request Deadline Extended']);
    expect(table.events[0]).toMatchObject({ requestId: 'r1', status: 'pending', dueAt: '2025-04-30T10:00:00.000Z', extension });
    expect(table.events[0]).not.toHaveProperty('customerId');
  });

  it('writes nothing and emits nothing when the extension is refused', async () => {
    // Arrange
    await table.ledger.create(record('r1'));

    // Act
    const attempt = table.ledger.extend('r1', () => {
      throw new InvalidStatusTransition('refused');
    });

    // Assert
    await expect(attempt).rejects.toThrow('refused');
    expect(await table.ledger.get('r1')).toEqual(record('r1'));
    expect(table.events).toHaveLength(0);
  });

  it('keeps an extension whose event the bus refused owed: the next status change emits it first, then its own', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    const extension = { reason: 'third-party-data' as const, extendedAt: '2025-02-01T00:00:00.000Z', previousDueAt: '2025-02-28T10:00:00.000Z', extendedBy: 'token:ops' };
    table.failPutEvents(Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));

    // Act
    const failed = table.ledger.extend('r1', () => ({ extension, dueAt: '2025-04-30T10:00:00.000Z' }));
    await expect(failed).rejects.toBeInstanceOf(EventsUnavailable);
    await table.ledger.transition('r1', 'in_progress');

    // Assert
    expect(table.detailTypes).toEqual(['Request Deadline Extended', 'Request Status Changed']);
    expect(table.events.map((event) => event.status)).toEqual(['pending', 'in_progress']);
    expect((await table.ledger.get('r1')).extension).toEqual(extension);
  });

  it('lists an extended request as due by its new due date (what the deadline check reads)', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    await table.ledger.create(record('r2', { customerKey: 'other' }));
    const extension = { reason: 'complexity' as const, extendedAt: '2025-02-01T00:00:00.000Z', previousDueAt: '2025-02-28T10:00:00.000Z', extendedBy: 'token:ops' };
    await table.ledger.extend('r1', () => ({ extension, dueAt: '2025-04-30T10:00:00.000Z' }));

    // Act
    const due = await table.ledger.openDueBefore('2025-03-05T00:00:00.000Z');

    // Assert
    expect(due.map((entry) => entry.requestId)).toEqual(['r2']);
  });

  it('lets exactly one of two concurrent conflicting transitions win', async () => {
    // Arrange
    await table.ledger.create(record('r1'));

    // Act
    const outcomes = await Promise.allSettled([table.ledger.transition('r1', 'cancelled'), table.ledger.transition('r1', 'in_progress')]);

    // Assert
    const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    expect(outcomes.find((outcome) => outcome.status === 'rejected')?.reason).toBeInstanceOf(InvalidStatusTransition);
    expect(table.events).toHaveLength(1);
  });

  it('throws RequestNotFound for an unknown id', async () => {
    await expect(table.ledger.transition('missing', 'in_progress')).rejects.toBeInstanceOf(RequestNotFound);
  });

  it('records store progress only while in_progress', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    const progress = { phase: 'collect', status: 'completed', items: 3, bytes: 120 } as const;

    // Act
    const whilePending = await table.ledger.recordStoreProgress('r1', 'orders', progress);
    await table.ledger.transition('r1', 'in_progress');
    const whileRunning = await table.ledger.recordStoreProgress('r1', 'orders', progress);

    // Assert
    expect(whilePending).toBe(false);
    expect(whileRunning).toBe(true);
    expect((await table.ledger.get('r1')).stores.orders).toMatchObject(progress);
  });

  it('lists by customer through the keyed-hash index, with pagination and a status filter', async () => {
    // Arrange
    for (let index = 0; index < 5; index += 1) {
      await table.ledger.create(record(`r${index}`, { createdAt: `2025-01-0${index + 1}T00:00:00.000Z`, status: index === 0 ? 'completed' : 'pending' }));
    }
    await table.ledger.create(record('other', { customerId: 'c12', customerKey: customerKey('c12', KEY) }));

    // Act
    const first = await table.ledger.list({ customerKey: customerKey('c1', KEY), limit: 3 });
    const second = await table.ledger.list({ customerKey: customerKey('c1', KEY), limit: 3, nextToken: first.nextToken });
    const completed = await table.ledger.list({ status: 'completed', limit: 100 });

    // Assert
    expect(first.items.map((item) => item.requestId)).toEqual(['r4', 'r3', 'r2']);
    expect(second.items.map((item) => item.requestId)).toEqual(['r1', 'r0']);
    expect(completed.items.map((item) => item.requestId)).toEqual(['r0']);
  });

  it('lists one status through the status index, earliest due first, without reading other requests', async () => {
    // Arrange
    await table.ledger.create(record('late', { status: 'failed', dueAt: '2025-03-01T00:00:00.000Z' }));
    await table.ledger.create(record('early', { status: 'failed', dueAt: '2025-02-01T00:00:00.000Z' }));
    await table.ledger.create(record('done', { status: 'completed', dueAt: '2025-01-01T00:00:00.000Z' }));

    // Act
    const failed = await table.ledger.list({ status: 'failed', limit: 10 });

    // Assert
    expect(failed.items.map((item) => item.requestId)).toEqual(['early', 'late']);
    expect(failed.nextToken).toBeUndefined();
  });

  it('keeps the raw customer id on a transition unless asked to redact it', async () => {
    // Arrange
    await table.ledger.create(record('r1', { type: 'export' }));
    await table.ledger.transition('r1', 'in_progress');

    // Act
    const outcome = await table.ledger.transition('r1', 'completed', { result: { volumes: 1 } });

    // Assert
    expect(outcome.record.customerId).toBe('c1');
    expect((await table.ledger.get('r1')).customerId).toBe('c1');
  });

  it('reads every page of open requests due before a date (more than one page of 100)', async () => {
    // Arrange
    const ids = Array.from({ length: 130 }, (_, i) => `due-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < ids.length; i += 25) {
      await Promise.all(ids.slice(i, i + 25).map((id) => table.ledger.create(record(id, { dueAt: '2025-02-01T00:00:00.000Z' }))));
    }

    // Act
    const due = await table.ledger.openDueBefore('2025-03-01T00:00:00.000Z');

    // Assert
    expect(due.map((item) => item.requestId).sort()).toEqual(ids);
  });

  it('pages open requests due before a date across statuses, and never lists closed or later ones', async () => {
    // Arrange
    await table.ledger.create(record('p1', { status: 'pending', dueAt: '2025-02-01T00:00:00.000Z' }));
    await table.ledger.create(record('p2', { status: 'pending', dueAt: '2025-02-02T00:00:00.000Z' }));
    await table.ledger.create(record('f1', { status: 'failed', dueAt: '2025-02-03T00:00:00.000Z' }));
    await table.ledger.create(record('h1', { status: 'on_hold', dueAt: '2025-02-04T00:00:00.000Z' }));
    await table.ledger.create(record('later', { status: 'pending', dueAt: '2025-06-01T00:00:00.000Z' }));
    await table.ledger.create(record('closed', { status: 'completed', dueAt: '2025-01-01T00:00:00.000Z' }));

    // Act
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await table.ledger.list({ dueBefore: '2025-03-01T00:00:00.000Z', limit: 3, nextToken });
      seen.push(...page.items.map((item) => item.requestId));
      nextToken = page.nextToken;
      pages += 1;
    } while (nextToken && pages < 10);
    const onHoldOnly = await table.ledger.list({ dueBefore: '2025-03-01T00:00:00.000Z', status: 'on_hold', limit: 10 });

    // Assert
    expect(seen.sort()).toEqual(['f1', 'h1', 'p1', 'p2']);
    expect(pages).toBeLessThanOrEqual(3);
    expect(onHoldOnly.items.map((item) => item.requestId)).toEqual(['h1']);
    await expect(table.ledger.list({ dueBefore: '2025-03-01T00:00:00.000Z', limit: 3, nextToken: encodePageToken({ statusIndex: 'x' }) })).rejects.toThrow(InvalidInput);
  });
});

describe('workflow ledger steps', () => {
  let table: LedgerTable;

  beforeEach(async () => {
    table = await startLedgerTable();
  });

  afterEach(async () => {
    await table.close();
  });

  it('mark-in-progress starts pending, failed and on_hold requests and never moves a completed one back (nor proceeds with it)', async () => {
    // Arrange
    await table.ledger.create(record('pending'));
    await table.ledger.create(record('failed', { status: 'failed', error: { name: 'StoreFailed', message: 'x' } }));
    await table.ledger.create(record('held', { status: 'on_hold', hold: { reasons: ['open dispute'] } }));
    await table.ledger.create(record('done', { status: 'completed' }));

    // Act
    const results = await Promise.all(['pending', 'failed', 'held', 'done'].map((requestId) => markInProgress(table.ledger, { requestId })));

    // Assert
    expect(results.map((result) => [result.status, result.proceed])).toEqual([
      ['in_progress', true],
      ['in_progress', true],
      ['in_progress', true],
      ['completed', false],
    ]);
    expect(await table.ledger.get('failed')).not.toHaveProperty('error');
    expect(await table.ledger.get('held')).not.toHaveProperty('hold');
  });

  it('mark-in-progress tells a cancelled request not to proceed', async () => {
    // Arrange
    await table.ledger.create(record('r1', { status: 'cancelled' }));

    // Act
    const result = await markInProgress(table.ledger, { requestId: 'r1' });

    // Assert
    expect(result).toEqual({ requestId: 'r1', status: 'cancelled', proceed: false });
    expect(table.events).toHaveLength(0);
  });

  it('complete-request with redactCustomerId removes the raw id but keeps the request findable by keyed hash', async () => {
    // Arrange
    await table.ledger.create(record('r1', { status: 'in_progress' }));

    // Act
    await completeRequest(table.ledger, { requestId: 'r1', result: { certificate: 'audit/r1.json' }, redactCustomerId: true });
    const replay = await completeRequest(table.ledger, { requestId: 'r1', result: { certificate: 'other' } });

    // Assert
    const stored = await table.ledger.get('r1');
    expect(stored).not.toHaveProperty('customerId');
    expect(stored.result).toEqual({ certificate: 'audit/r1.json' });
    expect(replay.status).toBe('completed');
    const found = await table.ledger.list({ customerKey: customerKey('c1', KEY), limit: 10 });
    expect(found.items.map((item) => item.requestId)).toEqual(['r1']);
  });

  it('complete-request of an erasure removes the raw id from every earlier record of the customer, marks them erasedBy, and touches no other customer', async () => {
    // Arrange
    await table.ledger.create(record('export-1', { type: 'export', status: 'completed', createdAt: '2025-01-01T00:00:00.000Z' }));
    await table.ledger.create(record('export-2', { type: 'export', status: 'cancelled', createdAt: '2025-01-02T00:00:00.000Z' }));
    await table.ledger.create(record('other', { type: 'export', status: 'completed', customerId: 'c12', customerKey: customerKey('c12', KEY) }));
    await table.ledger.create(record('erase-1', { status: 'in_progress' }));

    // Act
    await completeRequest(table.ledger, { requestId: 'erase-1', result: { certificate: 'x' }, redactCustomerId: true });

    // Assert
    for (const id of ['export-1', 'export-2', 'erase-1']) expect(await table.ledger.get(id)).not.toHaveProperty('customerId');
    expect((await table.ledger.get('export-1')).erasedBy).toBe('erase-1');
    expect((await table.ledger.get('export-2')).erasedBy).toBe('erase-1');
    expect(await table.ledger.get('other')).toMatchObject({ customerId: 'c12' });
    expect((await table.ledger.get('other')).erasedBy).toBeUndefined();
    const found = await table.ledger.list({ customerKey: customerKey('c1', KEY), limit: 10 });
    expect(found.items.map((item) => item.requestId).sort()).toEqual(['erase-1', 'export-1', 'export-2']);
  });

  it('redactCustomer leaves the erasure\'s own record its id (a replay can still act) and is idempotent', async () => {
    // Arrange
    await table.ledger.create(record('export-1', { type: 'export', status: 'completed' }));
    await table.ledger.create(record('erase-1', { status: 'in_progress' }));

    // Act
    const first = await table.ledger.redactCustomer(customerKey('c1', KEY), 'erase-1');
    const second = await table.ledger.redactCustomer(customerKey('c1', KEY), 'erase-1');

    // Assert
    expect([first, second]).toEqual([1, 0]);
    expect(await table.ledger.get('erase-1')).toMatchObject({ customerId: 'c1' });
    expect(await table.ledger.get('export-1')).not.toHaveProperty('customerId');
  });

  it('hold-request stores the reasons', async () => {
    // Arrange
    await table.ledger.create(record('r1', { status: 'in_progress' }));

    // Act
    await holdRequest(table.ledger, { requestId: 'r1', reasons: ['order o-1 not yet delivered'] });

    // Assert
    const stored = await table.ledger.get('r1');
    expect(stored.status).toBe('on_hold');
    expect(stored.hold).toEqual({ reasons: ['order o-1 not yet delivered'] });
  });

  it('record-store-progress writes the store entry', async () => {
    // Arrange
    await table.ledger.create(record('r1', { status: 'in_progress' }));

    // Act
    const output = await recordStoreProgress(table.ledger, { requestId: 'r1', store: 'uploaded-photos', phase: 'erase', status: 'completed', items: 7, bytes: 0 });

    // Assert
    expect(output).toEqual({});
    expect((await table.ledger.get('r1')).stores['uploaded-photos']).toMatchObject({ phase: 'erase', status: 'completed', items: 7 });
  });

  it('record-failure keeps the Lambda errorMessage and drops the trace', async () => {
    // Arrange
    await table.ledger.create(record('r1', { status: 'in_progress' }));
    const cause = JSON.stringify({ errorType: 'StoreFailed', errorMessage: 'Store "orders" failed: AccessDenied', trace: ['at secret (file.ts:1)'] });

    // Act
    const result = await recordFailure(table.ledger, { requestId: 'r1', error: { Error: 'StoreFailed', Cause: cause } });

    // Assert
    const stored = await table.ledger.get('r1');
    expect(stored.status).toBe('failed');
    expect(stored.error).toEqual({ name: 'StoreFailed', message: 'Store "orders" failed: AccessDenied' });
    expect(JSON.stringify(stored)).not.toContain('file.ts');
    expect(result.status).toBe('failed');
  });

  it('record-failure keeps a plain-text cause and never moves a completed request', async () => {
    // Arrange
    await table.ledger.create(record('r1', { status: 'in_progress' }));
    await table.ledger.create(record('r2', { status: 'completed' }));

    // Act
    await recordFailure(table.ledger, { requestId: 'r1', error: { Error: 'States.Timeout', Cause: 'Task timed out after 60 seconds' } });
    const onCompleted = await recordFailure(table.ledger, { requestId: 'r2', error: { Error: 'States.TaskFailed', Cause: 'late' } });

    // Assert
    expect((await table.ledger.get('r1')).error).toEqual({ name: 'States.Timeout', message: 'Task timed out after 60 seconds' });
    expect(onCompleted.status).toBe('completed');
    expect((await table.ledger.get('r2')).status).toBe('completed');
  });
});

describe('Ledger store errors', () => {
  it.each([
    ['a throttled call', Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } }), 'StoreUnavailable'],
    ['a refused call', Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }), 'StoreFailed'],
  ])('names %s after the request ledger, so Step Functions can tell retryable from terminal', async (_what, raw, expected) => {
    // Arrange
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    mockClient(doc).on(GetCommand).rejects(raw);
    const ledger = new Ledger({ doc, events: new EventBridgeClient({ region: 'eu-west-1' }), tableName: 't', eventBusName: 'b' });

    // Act
    const attempt = ledger.get('r1');

    // Assert
    await expect(attempt).rejects.toMatchObject({ name: expected, message: expect.stringContaining('request-ledger') });
  });
});

describe('page tokens', () => {
  it('encodes a key as base64url JSON and decodes it back', () => {
    const token = encodePageToken({ a: 1 });

    expect(token).toBe('eyJhIjoxfQ');
    expect(decodePageToken(token)).toEqual({ a: 1 });
    expect(encodePageToken(undefined)).toBeUndefined();
    expect(decodePageToken(undefined)).toBeUndefined();
  });

  it.each([
    ['not JSON', 'not-a-token'],
    ['an array', Buffer.from('[1]').toString('base64url')],
    ['null', Buffer.from('null').toString('base64url')],
    ['a number', Buffer.from('7').toString('base64url')],
  ])('refuses %s with InvalidInput', (_, token) => {
    expect(() => decodePageToken(token)).toThrow(new InvalidInput('nextToken is not a valid page token'));
  });
});

describe('Ledger (records and lists)', () => {
  let table: LedgerTable;

  beforeEach(async () => {
    table = await startLedgerTable(() => new Date('2025-02-10T00:00:00.000Z'));
  });

  afterEach(async () => {
    await table.close();
  });

  it('records the first execution ARN only, and refuses an unknown request', async () => {
    // Arrange
    await table.ledger.create(record('r1'));

    // Act
    const first = await table.ledger.setExecutionArn('r1', 'arn:first');
    const second = await table.ledger.setExecutionArn('r1', 'arn:second');

    // Assert
    expect(first.executionArn).toBe('arn:first');
    expect(second.executionArn).toBe('arn:first');
    expect(second.version).toBe(3);
    await expect(table.ledger.setExecutionArn('unknown', 'arn:x')).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  });

  it('stores the error, the hold and the time of a change, and clears error and hold when the request runs again', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    await table.ledger.transition('r1', 'in_progress');

    // Act
    const failed = await table.ledger.transition('r1', 'failed', { error: { name: 'StoreFailed', message: 'm' } });
    const again = await table.ledger.transition('r1', 'in_progress');
    const held = await table.ledger.transition('r1', 'on_hold', { hold: { reasons: ['order o1: not yet paid'] } });
    const resumed = await table.ledger.transition('r1', 'in_progress');

    // Assert
    expect(failed.record.error).toEqual({ name: 'StoreFailed', message: 'm' });
    expect(failed.record.updatedAt).toBe('2025-02-10T00:00:00.000Z');
    expect(again.record).not.toHaveProperty('error');
    expect(held.record.hold).toEqual({ reasons: ['order o1: not yet paid'] });
    expect(resumed.record).not.toHaveProperty('hold');
    expect(resumed.record.customerId).toBe('c1');
    expect(resumed.record.version).toBe(6);
  });

  it('lists a customer\'s open requests due before a date, newest first, without closed or later ones', async () => {
    // Arrange
    await table.ledger.create(record('old-due', { createdAt: '2025-01-01T00:00:00.000Z', dueAt: '2025-02-01T00:00:00.000Z' }));
    await table.ledger.create(record('new-due', { status: 'on_hold', createdAt: '2025-01-05T00:00:00.000Z', dueAt: '2025-02-05T00:00:00.000Z' }));
    await table.ledger.create(record('later', { createdAt: '2025-01-20T00:00:00.000Z', dueAt: '2025-03-20T00:00:00.000Z' }));
    await table.ledger.create(record('closed', { status: 'completed', createdAt: '2025-01-02T00:00:00.000Z', dueAt: '2025-02-02T00:00:00.000Z' }));
    await table.ledger.create(record('other', { customerKey: customerKey('c2', KEY), dueAt: '2025-02-01T00:00:00.000Z' }));

    // Act
    const due = await table.ledger.list({ customerKey: customerKey('c1', KEY), dueBefore: '2025-02-15T00:00:00.000Z', limit: 10 });
    const onHold = await table.ledger.list({ customerKey: customerKey('c1', KEY), dueBefore: '2025-02-15T00:00:00.000Z', status: 'on_hold', limit: 10 });
    const all = await table.ledger.ofCustomer(customerKey('c1', KEY));

    // Assert
    expect(due.items.map((item) => item.requestId)).toEqual(['new-due', 'old-due']);
    expect(onHold.items.map((item) => item.requestId)).toEqual(['new-due']);
    expect(all.map((item) => item.requestId)).toEqual(['later', 'new-due', 'closed', 'old-due']);
  });

  it('lists every request without a filter, page by page, never an open-request marker', async () => {
    // Arrange
    for (const id of ['r1', 'r2', 'r3']) await table.ledger.create(record(id));
    await table.doc.send(new PutCommand({ TableName: table.tableName, Item: { requestId: 'open#marker', holder: 'r1' } }));

    // Act
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await table.ledger.list({ limit: 2, nextToken });
      seen.push(...page.items.map((item) => item.requestId));
      nextToken = page.nextToken;
      pages += 1;
    } while (nextToken && pages < 10);

    // Assert
    expect(seen.sort()).toEqual(['r1', 'r2', 'r3']);
    expect(pages).toBeGreaterThan(1);
  });
});

describe('Ledger status events', () => {
  let table: LedgerTable;

  beforeEach(async () => {
    table = await startLedgerTable();
  });

  afterEach(async () => {
    await table.close();
  });

  /** A ledger over the test table whose event bus answers PutEvents with `answer`. */
  function ledgerWithBus(answer: Record<string, unknown>) {
    const events = new EventBridgeClient({ region: 'eu-west-1' });
    const eventsMock = mockClient(events);
    eventsMock.on(PutEventsCommand).resolves(answer);
    return { ledger: new Ledger({ doc: table.doc, events, tableName: table.tableName, eventBusName: 'dsr-bus' }), eventsMock };
  }

  it('puts one entry on the configured bus with the dsr.request source and the record without customer id or callback URL', async () => {
    // Arrange
    const { ledger, eventsMock } = ledgerWithBus({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    await ledger.create(record('r1'));

    // Act
    await ledger.transition('r1', 'in_progress');

    // Assert
    const entries = eventsMock.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries);
    expect(entries).toHaveLength(1);
    const [entry] = entries[0]!;
    expect({ ...entry, Detail: undefined }).toEqual({ EventBusName: 'dsr-bus', Source: 'dsr.request', DetailType: 'Request Status Changed', Detail: undefined });
    const detail = JSON.parse(entry!.Detail!);
    expect(detail).toMatchObject({ requestId: 'r1', status: 'in_progress', version: 2, customerKey: customerKey('c1', KEY) });
    expect(Object.keys(detail)).not.toContain('customerId');
    expect(Object.keys(detail)).not.toContain('callbackUrl');
    expect(Object.keys(detail).filter((key) => key.startsWith('pendingEvent'))).toEqual([]);
  });

  it.each([
    ['a transient error code', { FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] }, EventsUnavailable, 'ThrottlingException: slow down'],
    ['a terminal error code', { FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }] }, EventsFailed, 'AccessDeniedException: no'],
    ['no error code', { FailedEntryCount: 1, Entries: [{}] }, EventsFailed, 'UnknownError: entry rejected'],
    ['no entries at all', { FailedEntryCount: 1 }, EventsFailed, 'UnknownError: entry rejected'],
  ])('names an entry the bus rejected with %s, keeping the change stored', async (_, answer, expected, detail) => {
    // Arrange
    const { ledger } = ledgerWithBus(answer);
    await ledger.create(record('r1'));

    // Act
    const moving = ledger.transition('r1', 'in_progress');

    // Assert
    await expect(moving).rejects.toThrow(expected);
    await expect(moving).rejects.toThrow(`The event bus did not take the status event of request r1: ${detail}`);
    expect((await table.ledger.get('r1')).status).toBe('in_progress');
  });
});

describe('Ledger (reads, races and bad tokens)', () => {
  const conditionFailed = () => Object.assign(new Error('lost'), { name: 'ConditionalCheckFailedException', $metadata: { httpStatusCode: 400 } });

  /** A ledger over a mocked document client. */
  function mockedLedger() {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    const docMock = mockClient(doc);
    const ledger = new Ledger({ doc, events: new EventBridgeClient({ region: 'eu-west-1' }), tableName: 't', eventBusName: 'b' });
    return { ledger, docMock };
  }

  it('reads a record strongly consistently', async () => {
    const { ledger, docMock } = mockedLedger();
    docMock.on(GetCommand).resolves({ Item: record('r1') });

    const found = await ledger.find('r1');

    expect(found?.requestId).toBe('r1');
    expect(docMock.commandCalls(GetCommand)[0]!.args[0].input).toEqual({ TableName: 't', Key: { requestId: 'r1' }, ConsistentRead: true });
  });

  it('gives up after 8 lost races with InvalidStatusTransition, never overwriting', async () => {
    const { ledger, docMock } = mockedLedger();
    docMock.on(GetCommand).resolves({ Item: record('r1') });
    docMock.on(UpdateCommand).rejects(conditionFailed());

    const moving = ledger.transition('r1', 'in_progress');

    await expect(moving).rejects.toThrow(new InvalidStatusTransition('Request r1: too many concurrent changes while moving to in_progress'));
    expect(docMock.commandCalls(UpdateCommand)).toHaveLength(8);
  });

  it('rethrows a failed write that is not a lost race', async () => {
    const { ledger, docMock } = mockedLedger();
    docMock.on(GetCommand).resolves({ Item: record('r1') });
    docMock.on(UpdateCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    docMock.on(PutCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));

    await expect(ledger.transition('r1', 'in_progress')).rejects.toMatchObject({ name: 'StoreFailed' });
    await expect(ledger.create(record('r1'))).rejects.toMatchObject({ name: 'StoreFailed' });
    expect(docMock.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('refuses store progress for an unknown request', async () => {
    const { ledger, docMock } = mockedLedger();
    docMock.on(UpdateCommand).rejects(conditionFailed());
    docMock.on(GetCommand).resolves({});

    const recording = ledger.recordStoreProgress('unknown', 'orders', { phase: 'collect', status: 'completed', items: 1, bytes: 1 });

    await expect(recording).rejects.toThrow(new RequestNotFound('Request unknown not found'));
  });

  it.each([{ statusIndex: -1 }, { statusIndex: 1.5 }, { statusIndex: '1' }, {}])('refuses the due-list token %j', async (token) => {
    const { ledger } = mockedLedger();

    const listing = ledger.list({ dueBefore: '2025-03-01T00:00:00.000Z', limit: 3, nextToken: encodePageToken(token) });

    await expect(listing).rejects.toThrow(new InvalidInput('nextToken is not a valid page token'));
  });
});

describe('Ledger (messages, page sizes and redaction)', () => {
  let table: LedgerTable;

  beforeEach(async () => {
    table = await startLedgerTable();
  });

  afterEach(async () => {
    await table.close();
  });

  it('names the request and the statuses when a transition is refused or the request is unknown', async () => {
    // Arrange
    await table.ledger.create(record('r1', { status: 'completed' }));

    // Act
    const refused = table.ledger.transition('r1', 'in_progress');
    const unknown = table.ledger.transition('nope', 'in_progress');

    // Assert
    await expect(refused).rejects.toThrow(new InvalidStatusTransition('Request r1 cannot move from completed to in_progress'));
    await expect(unknown).rejects.toThrow(new RequestNotFound('Request nope not found'));
  });

  it('never returns more than the page size of due requests, across statuses', async () => {
    // Arrange
    for (const [id, status] of [['p1', 'pending'], ['p2', 'pending'], ['f1', 'failed'], ['f2', 'failed'], ['h1', 'on_hold']] as const) {
      await table.ledger.create(record(id, { status, dueAt: '2025-02-01T00:00:00.000Z' }));
    }

    // Act
    const sizes: number[] = [];
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await table.ledger.list({ dueBefore: '2025-03-01T00:00:00.000Z', limit: 3, nextToken });
      sizes.push(page.items.length);
      seen.push(...page.items.map((item) => item.requestId));
      nextToken = page.nextToken;
    } while (nextToken && sizes.length < 10);

    // Assert
    expect(sizes.every((size) => size <= 3)).toBe(true);
    expect(seen.sort()).toEqual(['f1', 'f2', 'h1', 'p1', 'p2']);
  });

  it('marks an earlier erasure whose raw id is already gone as erased by the new one, and reads every page of the customer', async () => {
    // Arrange
    const { customerId: _gone, ...earlierErasure } = record('earlier-erasure', { status: 'completed' });
    await table.ledger.create(earlierErasure);
    const exports = Array.from({ length: 101 }, (_, i) => `export-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < exports.length; i += 25) {
      await Promise.all(exports.slice(i, i + 25).map((id) => table.ledger.create(record(id, { type: 'export', status: 'completed' }))));
    }
    await table.ledger.create(record('erasure'));

    // Act
    const changed = await table.ledger.redactCustomer(customerKey('c1', KEY), 'erasure');

    // Assert
    expect(changed).toBe(102);
    expect((await table.ledger.get('earlier-erasure')).erasedBy).toBe('erasure');
    expect((await table.ledger.get('export-100')).customerId).toBeUndefined();
    expect((await table.ledger.get('erasure')).customerId).toBe('c1');
  });

  it('rethrows a failed progress write that is not a status mismatch', async () => {
    // Arrange
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    const docMock = mockClient(doc);
    docMock.on(UpdateCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    docMock.on(GetCommand).resolves({ Item: record('r1', { status: 'in_progress' }) });
    const ledger = new Ledger({ doc, events: new EventBridgeClient({ region: 'eu-west-1' }), tableName: 't', eventBusName: 'b' });

    // Act
    const recording = ledger.recordStoreProgress('r1', 'orders', { phase: 'collect', status: 'completed', items: 1, bytes: 1 });

    // Assert
    await expect(recording).rejects.toMatchObject({ name: 'StoreFailed' });
  });
});

describe('Ledger outbox sweep and redaction races (mocked table)', () => {
  const NOW = new Date('2025-02-10T12:00:00.000Z');
  const conditionFailed = () => Object.assign(new Error('lost'), { name: 'ConditionalCheckFailedException', $metadata: { httpStatusCode: 400 } });

  /** A ledger at NOW over a mocked document client and event bus. */
  function mockedLedger() {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    const docMock = mockClient(doc);
    const events = new EventBridgeClient({ region: 'eu-west-1' });
    const eventsMock = mockClient(events);
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    docMock.on(QueryCommand).resolves({ Items: [] });
    docMock.on(UpdateCommand).resolves({});
    const ledger = new Ledger({ doc, events, tableName: 't', eventBusName: 'b', now: () => NOW });
    return { ledger, docMock, eventsMock };
  }

  /** A record owing its status event since `since`. */
  const owing = (requestId: string, since?: string) => ({ ...record(requestId), ...(since ? { pendingEvent: 'pending', pendingEventSince: since, pendingEventVersion: 1 } : {}) });

  it('asks the index for events owed for longer than the grace period, reads every page, and emits only those still owed when read again', async () => {
    const { ledger, docMock, eventsMock } = mockedLedger();
    docMock
      .on(QueryCommand, { ExpressionAttributeValues: { ':status': 'pending', ':before': '2025-02-10T11:59:00.000Z' }, ExclusiveStartKey: undefined })
      .resolves({ Items: [{ requestId: 'owed' }, { requestId: 'gone' }], LastEvaluatedKey: { requestId: 'gone' } })
      .on(QueryCommand, { ExpressionAttributeValues: { ':status': 'pending', ':before': '2025-02-10T11:59:00.000Z' }, ExclusiveStartKey: { requestId: 'gone' } })
      .resolves({ Items: [{ requestId: 'renewed' }, { requestId: 'second-page' }, { requestId: 'deleted' }] });
    docMock.on(GetCommand, { Key: { requestId: 'owed' } }).resolves({ Item: owing('owed', '2025-02-10T11:58:00.000Z') });
    docMock.on(GetCommand, { Key: { requestId: 'gone' } }).resolves({ Item: owing('gone') });
    docMock.on(GetCommand, { Key: { requestId: 'renewed' } }).resolves({ Item: owing('renewed', '2025-02-10T11:59:30.000Z') });
    docMock.on(GetCommand, { Key: { requestId: 'second-page' } }).resolves({ Item: owing('second-page', '2025-02-10T11:59:00.000Z') });
    docMock.on(GetCommand, { Key: { requestId: 'deleted' } }).resolves({});

    const { emitted } = await ledger.flushPendingEvents();

    expect(emitted).toBe(2);
    expect(eventsMock.commandCalls(PutEventsCommand).map((call) => JSON.parse(call.args[0].input.Entries![0]!.Detail!).requestId)).toEqual(['owed', 'second-page']);
    expect(docMock.commandCalls(QueryCommand).map((call) => call.args[0].input.ExpressionAttributeValues![':status'])).toEqual([
      'pending', 'pending', 'in_progress', 'completed', 'failed', 'cancelled', 'on_hold', 'denied',
    ]);
  });

  it('takes the grace period in seconds', async () => {
    const { ledger, docMock } = mockedLedger();

    await ledger.flushPendingEvents(30);

    expect(docMock.commandCalls(QueryCommand)[0]!.args[0].input.ExpressionAttributeValues![':before']).toBe('2025-02-10T11:59:30.000Z');
  });

  it('skips a record that changed customer or vanished while redacting, and rethrows any other failure', async () => {
    const lost = mockedLedger();
    lost.docMock.on(QueryCommand).resolves({ Items: [record('export-1'), record('export-2')] });
    lost.docMock.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
    const failing = mockedLedger();
    failing.docMock.on(QueryCommand).resolves({ Items: [record('export-1')] });
    failing.docMock.on(UpdateCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));

    const changed = await lost.ledger.redactCustomer(customerKey('c1', KEY), 'erasure');

    expect(changed).toBe(1);
    await expect(failing.ledger.redactCustomer(customerKey('c1', KEY), 'erasure')).rejects.toMatchObject({ name: 'StoreFailed' });
  });
});

describe('Ledger: a rectification\'s corrections (personal data, internal)', () => {
  let table: LedgerTable;
  const corrections = { lastName: 'Secret', email: 'secret@example.org' };

  beforeEach(async () => {
    table = await startLedgerTable();
  });

  afterEach(async () => {
    await table.close();
  });

  it('keeps them on the record, never in a status event, and removes them with the transition to completed', async () => {
    // Arrange
    await table.ledger.create(record('rect-1', { type: 'rectification', corrections }));
    await table.ledger.transition('rect-1', 'in_progress');

    // Act
    const kept = await table.ledger.get('rect-1');
    await table.ledger.transition('rect-1', 'completed', { result: {} });

    // Assert
    expect(kept.corrections).toEqual(corrections);
    expect((await table.ledger.get('rect-1')).corrections).toBeUndefined();
    expect(JSON.stringify(table.events)).not.toContain('Secret');
    expect(table.events.map((event) => event.status)).toEqual(['in_progress', 'completed']);
  });

  it('keeps them while a failed request can still be replayed, and removes them when it is cancelled', async () => {
    // Arrange
    await table.ledger.create(record('rect-2', { type: 'rectification', corrections }));
    await table.ledger.transition('rect-2', 'failed', { error: { name: 'StoreFailed', message: 'x' } });
    const failed = await table.ledger.get('rect-2');

    // Act
    await table.ledger.transition('rect-2', 'cancelled');

    // Assert
    expect(failed.corrections).toEqual(corrections);
    expect((await table.ledger.get('rect-2')).corrections).toBeUndefined();
  });

  it('removes them from the customer\'s other records when an erasure redacts the customer', async () => {
    // Arrange
    await table.ledger.create(record('rect-3', { type: 'rectification', status: 'failed', corrections }));

    // Act
    await table.ledger.redactCustomer(customerKey('c1', KEY), 'erasure-9');

    // Assert
    expect(await table.ledger.get('rect-3')).toMatchObject({ erasedBy: 'erasure-9' });
    expect((await table.ledger.get('rect-3')).corrections).toBeUndefined();
    expect((await table.ledger.get('rect-3')).customerId).toBeUndefined();
  });

  it('keeps a restriction, an objection and corrections it is given', () => {
    const built = newRequestRecord({
      requestId: 'r',
      type: 'restriction',
      customerId: 'c3',
      customerKey: 'k',
      brand: 'albelli',
      bodyHash: 'h',
      receivedAt: new Date('2026-01-01T00:00:00.000Z'),
      restriction: { action: 'restrict', scope: 'marketing', ground: 'legal-claims' },
      objection: { purpose: 'smart-creation' },
      corrections: { lastName: 'Person' },
    });

    expect(built).toStrictEqual({
      requestId: 'r', type: 'restriction', customerId: 'c3', customerKey: 'k', brand: 'albelli', bodyHash: 'h', status: 'pending',
      createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', dueAt: '2026-02-01T00:00:00.000Z',
      corrections: { lastName: 'Person' }, restriction: { action: 'restrict', scope: 'marketing', ground: 'legal-claims' }, objection: { purpose: 'smart-creation' }, stores: {}, version: 1,
    });
  });

  it('builds a new record with its own due date and corrections when given', () => {
    const built = newRequestRecord({
      requestId: 'r',
      type: 'consent-withdrawal',
      customerId: 'c3',
      customerKey: 'k',
      brand: 'fotoknudsen',
      bodyHash: 'h',
      receivedAt: new Date('2026-01-01T00:00:00.000Z'),
      dueAt: new Date('2026-01-04T00:00:00.000Z'),
    });

    expect(built.dueAt).toBe('2026-01-04T00:00:00.000Z');
    expect('corrections' in built).toBe(false);
  });
});

describe('Ledger.extend (races and refusals)', () => {
  let table: LedgerTable;
  let clock: Date;
  const extension = { reason: 'complexity' as const, extendedAt: '2025-02-01T00:00:00.000Z', previousDueAt: '2025-02-28T10:00:00.000Z', extendedBy: 'token:ops' };

  beforeEach(async () => {
    clock = new Date('2025-02-01T00:00:00.000Z');
    table = await startLedgerTable(() => clock);
  });

  afterEach(async () => {
    await table.close();
  });

  it('decides again on the record as a concurrent change left it, with the ledger\'s clock, and writes the extension on the new version', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    let raced = false;
    const racingDoc = Object.create(table.doc, {
      send: {
        value: async (command: { input: { UpdateExpression?: string } }) => {
          if (!raced && command instanceof UpdateCommand && command.input.UpdateExpression?.includes('#extension')) {
            // A status change lands between the extension's read and its write.
            raced = true;
            clock = new Date('2025-02-01T00:00:07.000Z');
            await table.ledger.transition('r1', 'in_progress');
          }
          return table.doc.send(command as never);
        },
      },
    }) as DynamoDBDocumentClient;
    const events = new EventBridgeClient({ region: 'eu-west-1' });
    const eventsMock = mockClient(events);
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    const ledger = new Ledger({ doc: racingDoc, events, tableName: table.tableName, eventBusName: 'b', now: () => clock });
    const seen: [string, number, string][] = [];

    // Act
    const outcome = await ledger.extend('r1', (current, now) => {
      seen.push([current.status, current.version, now.toISOString()]);
      return { extension, dueAt: '2025-04-30T10:00:00.000Z' };
    });

    // Assert
    expect(outcome.changed).toBe(true);
    expect(seen).toEqual([
      ['pending', 1, '2025-02-01T00:00:00.000Z'],
      ['in_progress', 2, '2025-02-01T00:00:07.000Z'],
    ]);
    expect(await table.ledger.get('r1')).toMatchObject({ status: 'in_progress', version: 3, updatedAt: '2025-02-01T00:00:07.000Z', extension, dueAt: '2025-04-30T10:00:00.000Z' });
    const detail = JSON.parse(eventsMock.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!);
    expect(eventsMock.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries![0]!.DetailType)).toEqual(['Request Deadline Extended']);
    expect(detail).toMatchObject({ status: 'in_progress', version: 3, extension });
  });

  it('never writes a second extension, even when asked to: gives up with InvalidStatusTransition after 8 attempts', async () => {
    // Arrange
    await table.ledger.create(record('r1', { extension }));
    let decisions = 0;

    // Act
    const attempt = table.ledger.extend('r1', () => ((decisions += 1), { extension: { ...extension, reason: 'third-party-data' as const }, dueAt: '2025-05-31T10:00:00.000Z' }));

    // Assert
    await expect(attempt).rejects.toThrow(new InvalidStatusTransition('Request r1: too many concurrent changes while extending its deadline'));
    expect(decisions).toBe(8);
    expect(await table.ledger.get('r1')).toEqual(record('r1', { extension }));
    expect(table.events).toEqual([]);
  });

  it('refuses an unknown request with RequestNotFound and rethrows a failed write that is not a lost race', async () => {
    // Arrange
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    const docMock = mockClient(doc);
    docMock.on(GetCommand, { Key: { requestId: 'r1' } }).resolves({ Item: record('r1') });
    docMock.on(GetCommand, { Key: { requestId: 'nope' } }).resolves({});
    docMock.on(UpdateCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    const ledger = new Ledger({ doc, events: new EventBridgeClient({ region: 'eu-west-1' }), tableName: 't', eventBusName: 'b' });
    const decide = () => ({ extension, dueAt: '2025-04-30T10:00:00.000Z' });

    // Act
    const unknown = ledger.extend('nope', decide);
    const failing = ledger.extend('r1', decide);

    // Assert
    await expect(unknown).rejects.toThrow(new RequestNotFound('Request nope not found'));
    await expect(failing).rejects.toMatchObject({ name: 'StoreFailed' });
    expect(docMock.commandCalls(UpdateCommand)).toHaveLength(1);
  });
});
