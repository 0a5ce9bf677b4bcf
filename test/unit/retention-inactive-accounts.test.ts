import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { getStore, type InactiveAccountRule } from '../../functions/core/data-map';
import { retentionRequestId, sweepInactiveAccounts, type InactiveDeps, type InactiveSegment } from '../../functions/core/retention/inactive-accounts';
import type { RunFile } from '../../functions/core/retention/plan';

/** Inactive accounts: no login and no order for the period → an erasure request, once; held, disabled and dry runs only count. */

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);
const NOW = new Date('2030-06-15T12:00:00.000Z');
const profile = getStore('customer-profile');
const rule = profile.retentionRules[0] as InactiveAccountRule;
const requestErasure = vi.fn<InactiveDeps['requestErasure']>();
const run: RunFile = { runId: 'run-1', now: NOW.toISOString(), dryRun: false, inactiveAccounts: { enabled: true, months: 36 }, versionedBuckets: {}, heldCustomerKeys: ['key-held'] };
const segment = (overrides: Partial<RunFile> = {}): InactiveSegment => ({
  store: profile,
  rule,
  run: { ...run, ...overrides },
  now: NOW,
  held: new Set(run.heldCustomerKeys),
  keyOf: (customerId) => `key-${customerId}`,
  segment: 2,
  totalSegments: 8,
});
/** 36 months before NOW, moved by `days`. */
const monthsAgo36 = (days: number) => new Date(Date.UTC(2027, 5, 15, 12) + days * 86_400_000).toISOString();

beforeEach(() => {
  docMock.reset();
  requestErasure.mockReset();
  requestErasure.mockResolvedValue('created');
  docMock.on(ScanCommand).resolves({
    Items: [
      { customerId: 'c-old', brand: 'albelli', lastLoginAt: monthsAgo36(-1) },
      { customerId: 'c-recent', brand: 'albelli', lastLoginAt: monthsAgo36(1) },
      { customerId: 'c-ordered', brand: 'resnap', lastLoginAt: monthsAgo36(-400) },
      { customerId: 'c-never', brand: 'bonusprint', createdAt: monthsAgo36(-10) },
      { customerId: 'held', brand: 'albelli', lastLoginAt: monthsAgo36(-100) },
    ],
  });
  docMock.on(QueryCommand).resolves({ Items: [] });
  docMock.on(QueryCommand, { ExpressionAttributeValues: { ':customerId': 'c-ordered' } }).resolves({ Items: [{ orderedAt: monthsAgo36(-500) }, { orderedAt: monthsAgo36(2) }] });
});

describe('sweepInactiveAccounts', () => {
  it('requests the erasure of each account without a login or order for 36 months (a day past it), by brand, with a run-derived id', async () => {
    // Act
    const counts = await sweepInactiveAccounts({ doc, requestErasure }, segment());

    // Assert
    expect(counts).toEqual({ store: 'customer-profile', examined: 5, expired: 3, removed: 2, heldSkipped: 1, remaining: 0 });
    expect(requestErasure.mock.calls.map(([request]) => request)).toEqual([
      { requestId: retentionRequestId('run-1', 'key-c-old'), customerId: 'c-old', brand: 'albelli' },
      { requestId: retentionRequestId('run-1', 'key-c-never'), customerId: 'c-never', brand: 'bonusprint' },
    ]);
    expect(docMock.commandCalls(ScanCommand)[0]!.args[0].input).toMatchObject({ TableName: 'dsr-customer-profile', Segment: 2, TotalSegments: 8 });
    // Orders are read only for accounts whose login is old enough, and only their dates.
    expect(docMock.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual(
      ['c-old', 'c-ordered', 'c-never', 'held'].map((customerId) =>
        expect.objectContaining({ TableName: 'dsr-orders', ConsistentRead: true, ProjectionExpression: '#date', ExpressionAttributeValues: { ':customerId': customerId } }),
      ),
    );
  });

  it('only counts when the setting is disabled or on a dry run', async () => {
    // Act
    const disabled = await sweepInactiveAccounts({ doc, requestErasure }, segment({ inactiveAccounts: { enabled: false, months: 36 } }));
    const dry = await sweepInactiveAccounts({ doc, requestErasure }, segment({ dryRun: true }));

    // Assert
    for (const counts of [disabled, dry]) expect(counts).toEqual({ store: 'customer-profile', examined: 5, expired: 3, removed: 0, heldSkipped: 1, remaining: 2 });
    expect(requestErasure).not.toHaveBeenCalled();
  });

  it('leaves an inactive account without a brand of the group as remaining (no request can name it)', async () => {
    // Arrange
    docMock.on(ScanCommand).resolves({ Items: [{ customerId: 'c-nobrand', brand: 'acme', lastLoginAt: monthsAgo36(-1) }] });

    // Act
    const counts = await sweepInactiveAccounts({ doc, requestErasure }, segment());

    // Assert
    expect(counts).toEqual({ store: 'customer-profile', examined: 1, expired: 1, removed: 0, heldSkipped: 0, remaining: 1 });
    expect(requestErasure).not.toHaveBeenCalled();
  });

  it('uses the configured period', async () => {
    // Act
    const counts = await sweepInactiveAccounts({ doc, requestErasure }, segment({ inactiveAccounts: { enabled: true, months: 37 } }));

    // Assert
    expect(counts).toEqual({ store: 'customer-profile', examined: 5, expired: 1, removed: 0, heldSkipped: 1, remaining: 0 });
    expect(requestErasure).not.toHaveBeenCalled();
  });

  it('reads the profiles of its segment by their key, brand, last login and creation only, and each candidate\'s own orders by their order date only', async () => {
    // Act
    await sweepInactiveAccounts({ doc, requestErasure }, segment());

    // Assert
    expect(docMock.commandCalls(ScanCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'dsr-customer-profile',
        Segment: 2,
        TotalSegments: 8,
        ProjectionExpression: '#pk, #brand, #login, #created',
        ExpressionAttributeNames: { '#pk': 'customerId', '#brand': 'brand', '#login': 'lastLoginAt', '#created': 'createdAt' },
        ExclusiveStartKey: undefined,
      },
    ]);
    expect(docMock.commandCalls(QueryCommand)[0]!.args[0].input).toEqual({
      TableName: 'dsr-orders',
      KeyConditionExpression: '#pk = :customerId',
      ProjectionExpression: '#date',
      ExpressionAttributeNames: { '#pk': 'customerId', '#date': 'orderedAt' },
      ExpressionAttributeValues: { ':customerId': 'c-old' },
      ConsistentRead: true,
      ExclusiveStartKey: undefined,
    });
  });

  it('reads every page of the segment and of a customer\'s orders, a recent order on a later page keeping the account', async () => {
    // Arrange
    docMock.on(ScanCommand).resolvesOnce({ Items: [{ customerId: 'c-paged', brand: 'albelli', lastLoginAt: monthsAgo36(-1) }], LastEvaluatedKey: { customerId: 'c-paged' } }).resolves({
      Items: [{ customerId: 'c-second', brand: 'albelli', lastLoginAt: monthsAgo36(-1) }],
    });
    docMock
      .on(QueryCommand, { ExpressionAttributeValues: { ':customerId': 'c-paged' } })
      .resolvesOnce({ Items: [{ orderedAt: monthsAgo36(-5) }], LastEvaluatedKey: { customerId: 'c-paged', orderId: 'o1' } })
      .resolves({ Items: [{ orderedAt: monthsAgo36(3) }] });

    // Act
    const counts = await sweepInactiveAccounts({ doc, requestErasure }, segment());

    // Assert
    expect(counts).toEqual({ store: 'customer-profile', examined: 2, expired: 1, removed: 1, heldSkipped: 0, remaining: 0 });
    expect(requestErasure.mock.calls.map(([request]) => request.customerId)).toEqual(['c-second']);
    expect(docMock.commandCalls(ScanCommand).map((call) => call.args[0].input.ExclusiveStartKey)).toEqual([undefined, { customerId: 'c-paged' }]);
    expect(docMock.commandCalls(QueryCommand).map((call) => call.args[0].input.ExclusiveStartKey)).toEqual([undefined, { customerId: 'c-paged', orderId: 'o1' }, undefined]);
  });

  it('counts nothing for a page without items, and only order dates that are strings', async () => {
    // Arrange
    docMock.on(ScanCommand).resolvesOnce({ LastEvaluatedKey: { customerId: 'c0' } }).resolves({ Items: [{ customerId: 'c-odd', brand: 'albelli', lastLoginAt: monthsAgo36(-1) }] });
    docMock.on(QueryCommand).resolvesOnce({ LastEvaluatedKey: { customerId: 'c-odd', orderId: 'o0' } }).resolves({ Items: [{ orderedAt: Date.parse(monthsAgo36(10)) }, { orderId: 'o-undated' }] });

    // Act
    const counts = await sweepInactiveAccounts({ doc, requestErasure }, segment());

    // Assert
    expect(counts).toEqual({ store: 'customer-profile', examined: 1, expired: 1, removed: 1, heldSkipped: 0, remaining: 0 });
  });

  it('counts from the last login, not the creation, of an account that has logged in', async () => {
    // Arrange
    docMock.on(ScanCommand).resolves({
      Items: [
        { customerId: 'c-returned', brand: 'albelli', createdAt: monthsAgo36(-900), lastLoginAt: monthsAgo36(5) },
        { customerId: 'c-left', brand: 'albelli', createdAt: monthsAgo36(5), lastLoginAt: monthsAgo36(-1) },
      ],
    });

    // Act
    const counts = await sweepInactiveAccounts({ doc, requestErasure }, segment());

    // Assert
    expect(counts).toEqual({ store: 'customer-profile', examined: 2, expired: 1, removed: 1, heldSkipped: 0, remaining: 0 });
    expect(requestErasure.mock.calls.map(([request]) => request.customerId)).toEqual(['c-left']);
  });

  it('names the profile store when its scan fails', async () => {
    // Arrange
    docMock.on(ScanCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));

    // Act / Assert
    await expect(sweepInactiveAccounts({ doc, requestErasure }, segment())).rejects.toThrow('Store "customer-profile" is unavailable: ThrottlingException: throttled');
  });

  it('names the store when a read fails', async () => {
    // Arrange
    docMock.on(QueryCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));

    // Act / Assert
    await expect(sweepInactiveAccounts({ doc, requestErasure }, segment())).rejects.toThrow('Store "orders" is unavailable: ThrottlingException: throttled');
  });
});

describe('retentionRequestId', () => {
  it('is a UUID, the same for the same run and customer, another for another run or customer', () => {
    // Act
    const id = retentionRequestId('run-1', 'key-a');

    // Assert
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(retentionRequestId('run-1', 'key-a')).toBe(id);
    expect(new Set([id, retentionRequestId('run-2', 'key-a'), retentionRequestId('run-1', 'key-b')]).size).toBe(3);
  });

  it('matches the known-answer vectors (SHA-256 of retention:<runId>:<customerKey>, version and variant set)', () => {
    // printf '%s' 'retention:run-1:key-a' | openssl dgst -sha256 → 90a61c272f10c85c34c830b227b3f5999ed0840232e3baf21b70ef24ce531178
    // printf '%s' 'retention:run-1:key-c-old' | openssl dgst -sha256 → bc3e7958b9416b3ebd6696b11a14a2d8f8099b369f1260b6b75730827ea1ccc3
    // Assert
    expect(retentionRequestId('run-1', 'key-a')).toBe('90a61c27-2f10-885c-a4c8-30b227b3f599');
    expect(retentionRequestId('run-1', 'key-c-old')).toBe('bc3e7958-b941-8b3e-ad66-96b11a14a2d8');
  });
});
