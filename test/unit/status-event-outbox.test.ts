import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventsFailed, EventsUnavailable } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';
import { PENDING_EVENT_GRACE_SECONDS, statusEventId, type RequestRecord } from '../../functions/core/ledger';
import { completeRequest, markInProgress, recordFailure } from '../../functions/core/ledger-tasks';
import { startLedgerTable, type LedgerTable } from './helpers/ledger-table';

/**
 * The ledger's outbox: a status change marks its event owed in the same conditional write, the mark
 * goes once the bus took the event, and a retried step, the next transition or the sweep emits an
 * event a failed PutEvents left owed, so no status event is lost.
 */

const throttled = (): Error => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
const denied = (): Error => Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });

function record(requestId: string, overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    requestId,
    type: 'export',
    customerId: 'c1',
    customerKey: customerKey('c1', 'k'.repeat(40)),
    brand: 'albelli',
    status: 'in_progress',
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

describe('status event outbox', () => {
  let table: LedgerTable;
  let clock: Date;

  /** The item as stored, outbox attributes included. */
  async function stored(requestId: string): Promise<Record<string, unknown>> {
    const response = await table.doc.send(new GetCommand({ TableName: table.tableName, Key: { requestId }, ConsistentRead: true }));
    return response.Item!;
  }

  const advance = (seconds: number): void => void (clock = new Date(clock.getTime() + seconds * 1000));

  beforeEach(async () => {
    clock = new Date('2025-02-01T12:00:00.000Z');
    table = await startLedgerTable(() => clock);
  });

  afterEach(async () => {
    await table.close();
  });

  it('marks the event owed with the status change and removes the mark once the event is put', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    table.failPutEvents(throttled());

    // Act
    const failed = table.ledger.transition('r1', 'completed', { result: { volumeCount: 1 } });
    await expect(failed).rejects.toBeInstanceOf(EventsUnavailable);
    const owed = await stored('r1');
    const retried = await table.ledger.transition('r1', 'completed', { result: { volumeCount: 1 } });

    // Assert
    expect(owed).toMatchObject({ status: 'completed', version: 2, pendingEvent: 'completed', pendingEventSince: clock.toISOString(), pendingEventVersion: 2 });
    expect(retried.changed).toBe(false);
    expect(await stored('r1')).not.toHaveProperty('pendingEvent');
    expect(await stored('r1')).not.toHaveProperty('pendingEventVersion');
    expect(table.events.map((event) => [event.status, event.version])).toEqual([['completed', 2]]);
  });

  it('never shows the mark in a record it returns or in the event detail', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    table.failPutEvents(throttled());
    await table.ledger.transition('r1', 'completed').catch(() => undefined);

    // Act
    const found = await table.ledger.get('r1');
    const listed = await table.ledger.list({ status: 'completed', limit: 10 });
    const outcome = await table.ledger.transition('r1', 'completed');

    // Assert
    for (const view of [found, listed.items[0]!, outcome.record, table.events[0]!]) {
      expect(Object.keys(view).filter((key) => key.startsWith('pendingEvent'))).toEqual([]);
    }
  });

  it('a retried Complete Request re-emits the owed event once and succeeds; the retry after that emits nothing', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    table.failPutEvents(throttled());
    await expect(completeRequest(table.ledger, { requestId: 'r1', result: { volumeCount: 1 } })).rejects.toThrow(EventsUnavailable);

    // Act
    const retried = await completeRequest(table.ledger, { requestId: 'r1', result: { volumeCount: 1 } });
    const again = await completeRequest(table.ledger, { requestId: 'r1', result: { volumeCount: 1 } });

    // Assert
    expect(retried.status).toBe('completed');
    expect(again.status).toBe('completed');
    expect(table.events.map((event) => event.status)).toEqual(['completed']);
    expect((await table.ledger.get('r1')).result).toEqual({ volumeCount: 1 });
  });

  it('a retried Mark In Progress emits the in_progress event a failed put left owed', async () => {
    // Arrange
    await table.ledger.create(record('r1', { status: 'pending' }));
    table.failPutEvents(throttled());
    await expect(markInProgress(table.ledger, { requestId: 'r1' })).rejects.toThrow(EventsUnavailable);

    // Act
    const retried = await markInProgress(table.ledger, { requestId: 'r1' });

    // Assert
    expect(retried).toEqual({ requestId: 'r1', status: 'in_progress', proceed: true });
    expect(table.events.map((event) => event.status)).toEqual(['in_progress']);
  });

  it('the next transition emits an owed event first, so events keep their order', async () => {
    // Arrange
    await table.ledger.create(record('r1', { status: 'pending' }));
    table.failPutEvents(throttled());
    await table.ledger.transition('r1', 'in_progress').catch(() => undefined);

    // Act
    await table.ledger.transition('r1', 'completed');

    // Assert
    expect(table.events.map((event) => [event.status, event.version])).toEqual([
      ['in_progress', 2],
      ['completed', 3],
    ]);
  });

  it('a refused transition emits nothing, so a concurrent loser never repeats the winner\'s event; the sweep covers what stays owed', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    table.failPutEvents(throttled());
    await table.ledger.transition('r1', 'completed').catch(() => undefined);

    // Act
    const outcome = await recordFailure(table.ledger, { requestId: 'r1', error: { Error: 'EventsUnavailable', Cause: 'bus down' } });
    const beforeSweep = table.events.length;
    advance(PENDING_EVENT_GRACE_SECONDS + 1);
    await table.ledger.flushPendingEvents();

    // Assert
    expect(outcome.status).toBe('completed');
    expect(beforeSweep).toBe(0);
    expect(table.events.map((event) => event.status)).toEqual(['completed']);
  });

  it('a put the bus refuses for good throws the terminal EventsFailed and keeps the event owed', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    table.failPutEvents(denied());

    // Act
    const attempt = table.ledger.transition('r1', 'failed', { error: { name: 'StoreFailed', message: 'x' } });

    // Assert
    await expect(attempt).rejects.toBeInstanceOf(EventsFailed);
    expect(await stored('r1')).toMatchObject({ status: 'failed', pendingEvent: 'failed' });
  });

  it('the sweep emits an event owed for longer than the grace period exactly once, and leaves younger ones to their step', async () => {
    // Arrange
    await table.ledger.create(record('old'));
    await table.ledger.create(record('young'));
    await table.ledger.create(record('sent'));
    await table.ledger.transition('sent', 'completed');
    table.failPutEvents(throttled());
    await table.ledger.transition('old', 'completed').catch(() => undefined);
    advance(PENDING_EVENT_GRACE_SECONDS + 1);
    table.failPutEvents(throttled());
    await table.ledger.transition('young', 'failed', { error: { name: 'StoreFailed', message: 'x' } }).catch(() => undefined);

    // Act
    const first = await table.ledger.flushPendingEvents();
    const second = await table.ledger.flushPendingEvents();

    // Assert
    expect(first).toEqual({ emitted: 1 });
    expect(second).toEqual({ emitted: 0 });
    expect(table.events.map((event) => [event.requestId, event.status])).toEqual([
      ['sent', 'completed'],
      ['old', 'completed'],
    ]);
    expect(await stored('old')).not.toHaveProperty('pendingEvent');
    expect(await stored('young')).toMatchObject({ pendingEvent: 'failed' });
  });

  it('the sweep throws EventsUnavailable while the bus is down and emits the event on its next run', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    table.failPutEvents(throttled(), 2);
    await table.ledger.transition('r1', 'completed').catch(() => undefined);
    advance(PENDING_EVENT_GRACE_SECONDS + 1);

    // Act
    const down = table.ledger.flushPendingEvents();
    await expect(down).rejects.toBeInstanceOf(EventsUnavailable);
    const next = await table.ledger.flushPendingEvents();

    // Assert
    expect(next).toEqual({ emitted: 1 });
    expect(table.events.map((event) => event.status)).toEqual(['completed']);
  });

  it('an extension whose event the bus refused stays owed under the request\'s status, and a retried extension emits it as Request Deadline Extended', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    const extension = { reason: 'complexity' as const, extendedAt: clock.toISOString(), previousDueAt: '2025-02-28T10:00:00.000Z', extendedBy: 'token:ops' };
    const decide = (current: RequestRecord) => (current.extension ? undefined : { extension, dueAt: '2025-04-30T10:00:00.000Z' });
    table.failPutEvents(throttled());
    await expect(table.ledger.extend('r1', decide)).rejects.toBeInstanceOf(EventsUnavailable);
    const owed = await stored('r1');
    advance(5);

    // Act
    const retried = await table.ledger.extend('r1', decide);

    // Assert
    expect(owed).toMatchObject({
      status: 'in_progress',
      version: 2,
      updatedAt: '2025-02-01T12:00:00.000Z',
      pendingEvent: 'in_progress',
      pendingEventSince: '2025-02-01T12:00:00.000Z',
      pendingEventVersion: 2,
      pendingEventDetailType: 'Request Deadline Extended',
    });
    expect(retried.changed).toBe(false);
    expect(table.detailTypes).toEqual(['Request Deadline Extended']);
    expect(table.events.map((event) => [event.requestId, event.version, event.dueAt])).toEqual([['r1', 2, '2025-04-30T10:00:00.000Z']]);
    expect(Object.keys(await stored('r1')).filter((key) => key.startsWith('pendingEvent'))).toEqual([]);
  });

  it('the sweep emits an owed extension event with its own detail type', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    const extension = { reason: 'complexity' as const, extendedAt: clock.toISOString(), previousDueAt: '2025-02-28T10:00:00.000Z', extendedBy: 'token:ops' };
    table.failPutEvents(throttled());
    await table.ledger.extend('r1', () => ({ extension, dueAt: '2025-04-30T10:00:00.000Z' })).catch(() => undefined);
    advance(PENDING_EVENT_GRACE_SECONDS + 1);

    // Act
    const swept = await table.ledger.flushPendingEvents();

    // Assert
    expect(swept).toEqual({ emitted: 1 });
    expect(table.detailTypes).toEqual(['Request Deadline Extended']);
    expect(await stored('r1')).not.toHaveProperty('pendingEventDetailType');
  });

  it('an event id is the request id and the record version, the same on a repeat', () => {
    expect(statusEventId({ requestId: 'r1', version: 3 })).toBe('r1:3');
  });
});
