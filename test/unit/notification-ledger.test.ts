import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotificationNotFound, RequestNotFound, StoreUnavailable } from '../../functions/core/errors';
import type { RequestRecord } from '../../functions/core/ledger';
import {
  acknowledgeNotification,
  BY_UNACKNOWLEDGED_INDEX,
  checkAcknowledgements,
  recordNotificationsSent,
  unacknowledgedBefore,
} from '../../functions/core/notification-ledger';
import { withEmittedMetrics } from './helpers/emitted-metrics';
import { startLedgerTable, type LedgerTable } from './helpers/ledger-table';

const SENT = '2025-06-01T12:00:00.000Z';
const LATER = new Date('2025-06-03T08:00:00.000Z');

function record(requestId: string): RequestRecord {
  return {
    requestId,
    type: 'erasure',
    customerId: 'c1',
    customerKey: 'a'.repeat(64),
    brand: 'resnap',
    status: 'in_progress',
    createdAt: '2025-05-30T00:00:00.000Z',
    updatedAt: '2025-05-30T00:00:00.000Z',
    dueAt: '2025-06-30T00:00:00.000Z',
    bodyHash: 'hash',
    stores: {},
    version: 1,
  };
}

describe('notification ledger', () => {
  let table: LedgerTable;
  let deps: { doc: LedgerTable['doc']; tableName: string; now: () => Date };

  /** The record exactly as stored, internal keys included. */
  async function storedItem(requestId: string): Promise<Record<string, unknown> | undefined> {
    return (await table.doc.send(new GetCommand({ TableName: table.tableName, Key: { requestId } }))).Item;
  }

  /** The request ids the unacknowledged index holds. */
  async function indexed(): Promise<string[]> {
    const response = await table.doc.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: BY_UNACKNOWLEDGED_INDEX,
        KeyConditionExpression: '#u = :u',
        ExpressionAttributeNames: { '#u': 'unacknowledged' },
        ExpressionAttributeValues: { ':u': 'notifications' },
      }),
    );
    return (response.Items ?? []).map((item) => item.requestId as string).sort();
  }

  beforeEach(async () => {
    table = await startLedgerTable();
    deps = { doc: table.doc, tableName: table.tableName, now: () => LATER };
  });

  afterEach(async () => {
    await table.close();
  });

  it('records the sent time per recipient once, and indexes the record as unacknowledged', async () => {
    // Arrange
    await table.ledger.create(record('r1'));

    // Act
    await recordNotificationsSent(deps, 'r1', ['esp', 'meta'], SENT);
    await recordNotificationsSent(deps, 'r1', ['esp', 'meta'], '2025-06-02T00:00:00.000Z');

    // Assert
    const item = await storedItem('r1');
    expect(item).toMatchObject({ notifications: { esp: { sentAt: SENT }, meta: { sentAt: SENT } }, unacknowledged: 'notifications', unacknowledgedSince: SENT, version: 2 });
    expect(await indexed()).toEqual(['r1']);
    const read = await table.ledger.get('r1');
    expect(read.notifications).toEqual({ esp: { sentAt: SENT }, meta: { sentAt: SENT } });
    expect(read).not.toHaveProperty('unacknowledged');
    expect(read).not.toHaveProperty('unacknowledgedSince');
  });

  it('writes nothing for no recipients, and refuses an unknown request', async () => {
    // Arrange
    await table.ledger.create(record('r1'));

    // Act
    await recordNotificationsSent(deps, 'r1', [], SENT);
    const unknown = recordNotificationsSent(deps, 'nope', ['esp'], SENT);

    // Assert
    await expect(unknown).rejects.toThrow(RequestNotFound);
    await expect(unknown).rejects.toThrow('Request nope not found');
    expect(await storedItem('r1')).not.toHaveProperty('notifications');
    expect(await storedItem('nope')).toBeUndefined();
  });

  it('records an acknowledgement once; a repeat keeps the first time; the last one leaves the index', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    await recordNotificationsSent(deps, 'r1', ['esp', 'meta'], SENT);

    // Act
    const first = await acknowledgeNotification(deps, 'r1', 'esp');
    const repeat = await acknowledgeNotification({ ...deps, now: () => new Date('2025-06-09T00:00:00.000Z') }, 'r1', 'esp');
    const stillIndexed = await indexed();
    const last = await acknowledgeNotification(deps, 'r1', 'meta');

    // Assert
    expect([first, repeat, last]).toEqual([{ acknowledged: true }, { acknowledged: false }, { acknowledged: true }]);
    expect(stillIndexed).toEqual(['r1']);
    expect(await indexed()).toEqual([]);
    expect((await table.ledger.get('r1')).notifications).toEqual({
      esp: { sentAt: SENT, acknowledgedAt: LATER.toISOString() },
      meta: { sentAt: SENT, acknowledgedAt: LATER.toISOString() },
    });
  });

  it('refuses an unknown request and a recipient not notified, writing nothing', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    await table.ledger.create(record('r2'));
    await recordNotificationsSent(deps, 'r1', ['esp'], SENT);
    const before = await storedItem('r1');

    // Act
    const unknownRequest = acknowledgeNotification(deps, 'nope', 'esp');
    const unknownRecipient = acknowledgeNotification(deps, 'r1', 'carriers');
    const neverNotified = acknowledgeNotification(deps, 'r2', 'esp');

    // Assert
    await expect(unknownRequest).rejects.toThrow(RequestNotFound);
    await expect(unknownRequest).rejects.toThrow('Request nope not found');
    await expect(unknownRecipient).rejects.toThrow(NotificationNotFound);
    await expect(unknownRecipient).rejects.toThrow('Request r1 notified no recipient "carriers"');
    await expect(neverNotified).rejects.toThrow(NotificationNotFound);
    expect(await storedItem('r1')).toEqual(before);
    expect(await storedItem('nope')).toBeUndefined();
    expect(await storedItem('r2')).not.toHaveProperty('notifications');
  });

  it('lists the notifications unacknowledged since before a date, oldest first, skipping acknowledged ones', async () => {
    // Arrange
    for (const id of ['old', 'older', 'recent']) await table.ledger.create(record(id));
    await recordNotificationsSent(deps, 'old', ['esp', 'meta'], '2025-05-10T00:00:00.000Z');
    await recordNotificationsSent(deps, 'older', ['meta'], '2025-05-01T00:00:00.000Z');
    await recordNotificationsSent(deps, 'recent', ['esp'], '2025-06-01T00:00:00.000Z');
    await acknowledgeNotification(deps, 'old', 'esp');

    // Act
    const entries = await unacknowledgedBefore(deps, '2025-05-20T00:00:00.000Z');

    // Assert
    expect(entries).toEqual([
      { requestId: 'older', type: 'erasure', recipient: 'meta', sentAt: '2025-05-01T00:00:00.000Z' },
      { requestId: 'old', type: 'erasure', recipient: 'meta', sentAt: '2025-05-10T00:00:00.000Z' },
    ]);
  });

  it('publishes the count of notifications unacknowledged past the days as a DSR metric', async () => {
    // Arrange
    for (const id of ['stale', 'fresh']) await table.ledger.create(record(id));
    await recordNotificationsSent(deps, 'stale', ['esp', 'meta'], '2025-05-15T00:00:00.000Z');
    await recordNotificationsSent(deps, 'fresh', ['esp'], '2025-06-01T00:00:00.000Z');
    const metrics = new Metrics({ namespace: 'DSR', serviceName: 'dsr' });

    // Act
    const { result: report, records: [emf] } = await withEmittedMetrics(() => checkAcknowledgements({ ...deps, metrics, days: 14 }));

    // Assert
    expect(report.sentBefore).toBe('2025-05-20T08:00:00.000Z');
    expect(report.unacknowledged.map((entry) => [entry.requestId, entry.recipient])).toEqual([
      ['stale', 'esp'],
      ['stale', 'meta'],
    ]);
    expect(emf!._aws.CloudWatchMetrics[0]!.Namespace).toBe('DSR');
    expect(emf!.UnacknowledgedNotifications).toBe(2);
  });

  it('stamps the current time when no clock is given: the write, the acknowledgement and the check', async () => {
    // Arrange
    await table.ledger.create(record('r1'));
    const untimed = { doc: table.doc, tableName: table.tableName };
    const before = new Date().toISOString();
    const metrics = new Metrics({ namespace: 'DSR', serviceName: 'dsr' });

    // Act
    await recordNotificationsSent(untimed, 'r1', ['esp'], SENT);
    const written = await storedItem('r1');
    await acknowledgeNotification(untimed, 'r1', 'esp');
    const { result: report } = await withEmittedMetrics(() => checkAcknowledgements({ ...untimed, metrics, days: 14 }));

    // Assert
    const after = new Date().toISOString();
    const within = (value: unknown) => typeof value === 'string' && value >= before && value <= after;
    expect(within(written?.updatedAt)).toBe(true);
    const acknowledgedAt = (await table.ledger.get('r1')).notifications?.esp?.acknowledgedAt;
    expect(within(acknowledgedAt)).toBe(true);
    expect(within(report.checkedAt)).toBe(true);
    expect(Date.parse(report.checkedAt) - Date.parse(report.sentBefore)).toBe(14 * 86_400_000);
  });

  it('reports when it checked, and counts a notification sent exactly at the limit', async () => {
    // Arrange
    await table.ledger.create(record('edge'));
    await recordNotificationsSent(deps, 'edge', ['esp'], '2025-05-20T08:00:00.000Z');
    const metrics = new Metrics({ namespace: 'DSR', serviceName: 'dsr' });

    // Act
    const { result: report, records: [emf] } = await withEmittedMetrics(() => checkAcknowledgements({ ...deps, metrics, days: 14 }));

    // Assert
    expect(report).toEqual({
      checkedAt: LATER.toISOString(),
      sentBefore: '2025-05-20T08:00:00.000Z',
      unacknowledged: [{ requestId: 'edge', type: 'erasure', recipient: 'esp', sentAt: '2025-05-20T08:00:00.000Z' }],
    });
    expect(emf!.UnacknowledgedNotifications).toBe(1);
  });

  it('publishes 0 when nothing is unacknowledged', async () => {
    // Arrange
    const metrics = new Metrics({ namespace: 'DSR', serviceName: 'dsr' });

    // Act
    const { result: report, records: [emf] } = await withEmittedMetrics(() => checkAcknowledgements({ ...deps, metrics, days: 14 }));

    // Assert
    expect(report.unacknowledged).toEqual([]);
    expect(emf!.UnacknowledgedNotifications).toBe(0);
  });

  it('names the ledger when it is unavailable', async () => {
    // Arrange
    await table.close();

    // Act
    const acknowledging = acknowledgeNotification(deps, 'r1', 'esp');

    // Assert
    await expect(acknowledging).rejects.toThrow(/request-ledger/);
    table = await startLedgerTable();
  });

  it('maps a throttled ledger to the retryable StoreUnavailable', async () => {
    // Arrange
    const throttled = { send: async () => Promise.reject(Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } })) };

    // Act
    const listing = unacknowledgedBefore({ doc: throttled as never, tableName: 't' }, SENT);

    // Assert
    await expect(listing).rejects.toThrow(StoreUnavailable);
  });
});

/** A document client answering each command type with the given function (the commands it got are kept, in order). */
function fakeDoc(answers: { update?: () => unknown; get?: () => unknown; query?: (input: Record<string, unknown>) => unknown }) {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  return {
    sent,
    send: async (command: { input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      if (command instanceof UpdateCommand && answers.update) return answers.update();
      if (command instanceof GetCommand && answers.get) return answers.get();
      if (command instanceof QueryCommand && answers.query) return answers.query(command.input);
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  };
}

const throttled = () => Promise.reject(Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));

describe('notification ledger on a scripted table', () => {
  const notified = { ...record('r1'), notifications: { esp: { sentAt: SENT } } };

  it('fails a throttled write of the sent times retryably, even though the record exists', async () => {
    // Arrange
    const doc = fakeDoc({ update: throttled, get: async () => ({ Item: notified }) });

    // Act
    const writing = recordNotificationsSent({ doc: doc as never, tableName: 't', now: () => LATER }, 'r1', ['esp'], SENT);

    // Assert
    await expect(writing).rejects.toThrow(StoreUnavailable);
    await expect(writing).rejects.toThrow(/request-ledger/);
  });

  it('fails a throttled acknowledgement retryably instead of answering it as a repeat', async () => {
    // Arrange
    const doc = fakeDoc({ update: throttled, get: async () => ({ Item: notified }) });

    // Act
    const acknowledging = acknowledgeNotification({ doc: doc as never, tableName: 't', now: () => LATER }, 'r1', 'esp');

    // Assert
    await expect(acknowledging).rejects.toThrow(StoreUnavailable);
  });

  it.each([
    ['a repeated write of the sent times', (deps: Parameters<typeof recordNotificationsSent>[0]) => recordNotificationsSent(deps, 'r1', ['esp'], SENT), undefined],
    ['a repeated acknowledgement', (deps: Parameters<typeof recordNotificationsSent>[0]) => acknowledgeNotification(deps, 'r1', 'esp'), { acknowledged: false }],
  ] as const)('reads the record with a consistent read after %s loses its condition', async (_, call, answer) => {
    // Arrange
    const conditionFailed = () => Promise.reject(Object.assign(new Error('failed'), { name: 'ConditionalCheckFailedException', $metadata: { httpStatusCode: 400 } }));
    const doc = fakeDoc({ update: conditionFailed, get: async () => ({ Item: { ...notified, notifications: { esp: { sentAt: SENT, acknowledgedAt: SENT } } } }) });

    // Act
    const outcome = await call({ doc: doc as never, tableName: 't', now: () => LATER });

    // Assert
    expect(outcome).toEqual(answer);
    expect(doc.sent.filter((command) => command.name === 'GetCommand').map((command) => command.input)).toEqual([{ TableName: 't', Key: { requestId: 'r1' }, ConsistentRead: true }]);
  });

  it('reads every page of the index, and orders notifications sent at the same time by request id', async () => {
    // Arrange
    const pages = [
      { Items: [{ ...record('r-b'), notifications: { esp: { sentAt: SENT } } }], LastEvaluatedKey: { requestId: 'r-b' } },
      {
        Items: [
          { ...record('r-a'), notifications: { meta: { sentAt: SENT }, esp: { sentAt: SENT, acknowledgedAt: LATER.toISOString() } } },
          { ...record('r-c'), notifications: { esp: { sentAt: '2025-05-01T00:00:00.000Z' }, meta: { sentAt: '2025-06-02T00:00:00.000Z' } } },
        ],
      },
    ];
    const doc = fakeDoc({ query: (input) => (input.ExclusiveStartKey ? pages[1] : pages[0]) });

    // Act
    const entries = await unacknowledgedBefore({ doc: doc as never, tableName: 't' }, SENT);

    // Assert
    expect(entries).toEqual([
      { requestId: 'r-c', type: 'erasure', recipient: 'esp', sentAt: '2025-05-01T00:00:00.000Z' },
      { requestId: 'r-a', type: 'erasure', recipient: 'meta', sentAt: SENT },
      { requestId: 'r-b', type: 'erasure', recipient: 'esp', sentAt: SENT },
    ]);
    expect(doc.sent.map((command) => command.input.ExclusiveStartKey)).toEqual([undefined, { requestId: 'r-b' }]);
  });
});
