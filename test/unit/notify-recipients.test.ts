import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailable, SubjectRedacted } from '../../functions/core/errors';
import type { RequestRecord } from '../../functions/core/ledger';
import {
  notificationDetail,
  notificationOutput,
  NOTIFIED_RECIPIENTS,
  notifyRecipients,
  notifyRecipientsInput,
  RECIPIENT_SCOPES,
  recipientEventPattern,
  recipientQueueName,
  recipientScope,
  recipientsToNotify,
} from '../../functions/core/notify-recipients';
import { startLedgerTable, type LedgerTable } from './helpers/ledger-table';

const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
const events = new EventBridgeClient({ region: 'eu-west-1' });
const eventsMock = mockClient(events);
const NOW = new Date('2025-06-01T12:00:00.000Z');
const KEY = 'b'.repeat(64);
const noSuchKey = () => Object.assign(new Error('missing'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
const denied = () => Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });

function request(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    requestId: 'r1',
    type: 'erasure',
    customerId: 'c1',
    customerKey: KEY,
    brand: 'albelli',
    status: 'in_progress',
    createdAt: '2025-05-30T00:00:00.000Z',
    updatedAt: '2025-05-30T00:00:00.000Z',
    dueAt: '2025-06-30T00:00:00.000Z',
    bodyHash: 'hash',
    stores: {},
    version: 1,
    ...overrides,
  };
}

/** A GetObject body as the SDK returns it (only the method the core uses). */
function body(text: string) {
  return { transformToString: async () => text };
}

describe('recipient scope and channels', () => {
  it('tells the recipients of every store about an erasure, each with the one identifier the data map gives it', () => {
    // Act
    const scope = recipientScope(request());
    const recipients = recipientsToNotify(scope);

    // Assert
    expect(scope.action).toBe('erase');
    expect(recipients).toEqual([
      { id: 'email-marketing-provider', name: 'Email-marketing service provider', stores: ['marketing'], identifier: 'customer-id' },
      { id: 'meta-custom-audiences', name: 'Meta Platforms (Facebook and Instagram custom audiences)', stores: ['marketing'], identifier: 'customer-key' },
    ]);
  });

  it('defaults a type without a scope entry to every store, with its type as the action', () => {
    // Arrange
    const type = 'export' as RequestRecord['type'];

    // Act
    const scope = recipientScope(request({ type }));

    // Assert
    expect(RECIPIENT_SCOPES[type]).toBeUndefined();
    expect(scope.action).toBe('export');
    expect(recipientsToNotify(scope).map((recipient) => recipient.id)).toEqual(['email-marketing-provider', 'meta-custom-audiences']);
  });

  it.each([
    [{ type: 'restriction', restriction: { action: 'restrict', scope: 'marketing', ground: 'accuracy-contested' } }, 'restrict', ['email-marketing-provider', 'meta-custom-audiences'], { scope: 'marketing', ground: 'accuracy-contested' }],
    [{ type: 'restriction', restriction: { action: 'lift', scope: 'all' } }, 'lift', ['email-marketing-provider', 'meta-custom-audiences'], { scope: 'all' }],
    [{ type: 'restriction', restriction: { action: 'restrict', scope: 'smart-creation', ground: 'legal-claims' } }, 'restrict', [], { scope: 'smart-creation', ground: 'legal-claims' }],
    [{ type: 'objection', objection: { purpose: 'direct-marketing' } }, 'object', ['email-marketing-provider', 'meta-custom-audiences'], { purpose: 'direct-marketing' }],
    [{ type: 'objection', objection: { purpose: 'smart-creation' } }, 'object', [], { purpose: 'smart-creation' }],
    [{ type: 'rectification', corrections: { email: 'new@example.com', lastName: 'New' } }, 'rectify', ['email-marketing-provider', 'meta-custom-audiences'], { fields: ['email', 'lastName'] }],
  ] as const)('scopes %j to its stores, action and details', (overrides, action, recipients, details) => {
    // Act
    const scope = recipientScope(request(overrides as unknown as Partial<RequestRecord>));

    // Assert
    expect(scope.action).toBe(action);
    expect(scope.details).toEqual(details);
    expect(recipientsToNotify(scope).map((recipient) => recipient.id)).toEqual(recipients);
    expect(JSON.stringify(scope)).not.toContain('example.com');
  });

  it('lists no corrected fields for a rectification record without corrections', () => {
    // Act
    const scope = recipientScope(request({ type: 'rectification' }));

    // Assert
    expect(scope).toEqual({ action: 'rectify', stores: expect.any(Array), details: { fields: [] } });
  });

  it.each([
    ['direct-marketing', ['marketing']],
    ['smart-creation', ['smart-creation']],
  ] as const)('scopes an objection to %s to the store of that purpose', (purpose, stores) => {
    expect(recipientScope(request({ type: 'objection', objection: { purpose } } as Partial<RequestRecord>)).stores).toEqual(stores);
  });

  it('tells no recipient of a store outside the scope', () => {
    // Act
    const recipients = recipientsToNotify({ stores: ['orders', 'customer-profile'] });

    // Assert
    expect(recipients).toEqual([]);
  });

  it('lists each notified recipient once, with its queue name and an event pattern of its own', () => {
    // Act
    const ids = NOTIFIED_RECIPIENTS.map((recipient) => recipient.id);

    // Assert
    expect(ids).toEqual(['email-marketing-provider', 'meta-custom-audiences']);
    expect(recipientQueueName('dsr', 'meta-custom-audiences')).toBe('dsr-recipient-meta-custom-audiences');
    expect(recipientEventPattern('meta-custom-audiences')).toEqual({
      source: ['dsr.recipient'],
      'detail-type': ['Recipient Notification'],
      detail: { recipientId: ['meta-custom-audiences'] },
    });
  });

  it('gives a customer-id recipient the id and a customer-key recipient only the keyed hash', () => {
    // Arrange
    const scope = recipientScope(request());
    const [esp, meta] = recipientsToNotify(scope);

    // Act
    const espDetail = notificationDetail(request(), scope, esp!, NOW.toISOString());
    const metaDetail = notificationDetail(request(), scope, meta!, NOW.toISOString());

    // Assert
    expect(espDetail).toStrictEqual({
      idempotencyKey: 'r1:email-marketing-provider',
      requestId: 'r1',
      recipientId: 'email-marketing-provider',
      type: 'erasure',
      action: 'erase',
      brand: 'albelli',
      stores: ['marketing'],
      customerId: 'c1',
      sentAt: NOW.toISOString(),
      acknowledge: '/v1/requests/r1/notifications/email-marketing-provider/ack',
    });
    expect(metaDetail).toMatchObject({ idempotencyKey: 'r1:meta-custom-audiences', customerKey: KEY });
    expect(metaDetail).not.toHaveProperty('customerId');
    expect(JSON.stringify(metaDetail)).not.toContain('"c1"');
  });

  it('fails SubjectRedacted for a customer-id recipient once the record holds no customer id', () => {
    // Arrange
    const redacted = request({ customerId: undefined });
    const scope = recipientScope(redacted);
    const [esp] = recipientsToNotify(scope);

    // Act
    const detail = () => notificationDetail(redacted, scope, esp!, NOW.toISOString());

    // Assert
    expect(detail).toThrow(SubjectRedacted);
    expect(detail).toThrow('Request r1 no longer holds a customer id; recipient email-marketing-provider cannot be told');
  });

  it('still tells a customer-key recipient once the record holds no customer id', () => {
    // Arrange
    const redacted = request({ customerId: undefined });
    const scope = recipientScope(redacted);
    const [, meta] = recipientsToNotify(scope);

    // Act
    const detail = notificationDetail(redacted, scope, meta!, NOW.toISOString());

    // Assert
    expect(detail).toMatchObject({ recipientId: 'meta-custom-audiences', customerKey: KEY });
    expect(detail).not.toHaveProperty('customerId');
  });

  it('takes the request id and brand only', () => {
    // Act
    const parsed = notifyRecipientsInput.parse({ requestId: 'r1', brand: 'albelli', customerId: 'c1' });

    // Assert
    expect(parsed).toStrictEqual({ requestId: 'r1', brand: 'albelli' });
    expect(() => notifyRecipientsInput.parse({ requestId: 'r1', brand: 'other' })).toThrow();
    expect(() => notificationOutput.parse({ requestId: 'r1', notifiedAt: 'x' })).toThrow();
  });
});

describe('notifyRecipients', () => {
  let table: LedgerTable;
  let deps: Parameters<typeof notifyRecipients>[0];

  beforeEach(async () => {
    s3Mock.reset();
    eventsMock.reset();
    table = await startLedgerTable();
    deps = { events, s3, ledger: table.ledger, eventBusName: 'dsr-bus', auditBucket: 'dsr-audit', now: () => NOW };
    await table.ledger.create(request());
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    s3Mock.on(PutObjectCommand).resolves({});
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }, { EventId: '2' }] });
  });

  afterEach(async () => {
    await table.close();
  });

  it('puts one event per recipient in one call, records the sent times on the ledger and the record in the audit bucket', async () => {
    // Act
    const record = await notifyRecipients(deps, { requestId: 'r1', brand: 'albelli' });

    // Assert
    const calls = eventsMock.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    const entries = calls[0]!.args[0].input.Entries!;
    expect(entries.map((entry) => [entry.EventBusName, entry.Source, entry.DetailType, JSON.parse(entry.Detail!).idempotencyKey])).toEqual([
      ['dsr-bus', 'dsr.recipient', 'Recipient Notification', 'r1:email-marketing-provider'],
      ['dsr-bus', 'dsr.recipient', 'Recipient Notification', 'r1:meta-custom-audiences'],
    ]);
    expect(record).toStrictEqual({
      requestId: 'r1',
      notifiedAt: NOW.toISOString(),
      recipients: [
        { id: 'email-marketing-provider', name: 'Email-marketing service provider', stores: ['marketing'] },
        { id: 'meta-custom-audiences', name: 'Meta Platforms (Facebook and Instagram custom audiences)', stores: ['marketing'] },
      ],
    });
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input).toEqual({ Bucket: 'dsr-audit', Key: 'notifications/r1.json', Body: JSON.stringify(record), ContentType: 'application/json' });
    expect((await table.ledger.get('r1')).notifications).toEqual({
      'email-marketing-provider': { sentAt: NOW.toISOString() },
      'meta-custom-audiences': { sentAt: NOW.toISOString() },
    });
  });

  it('does not notify again when the request was notified (replay), and makes sure the ledger lists it', async () => {
    // Arrange
    const stored = { requestId: 'r1', notifiedAt: '2025-05-31T00:00:00.000Z', recipients: [{ id: 'email-marketing-provider', name: 'x', stores: ['marketing'] }] };
    s3Mock.on(GetObjectCommand).resolves({ Body: body(JSON.stringify(stored)) as never });

    // Act
    const record = await notifyRecipients(deps, { requestId: 'r1', brand: 'albelli' });

    // Assert
    expect(record).toEqual(stored);
    expect(eventsMock.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect((await table.ledger.get('r1')).notifications).toEqual({ 'email-marketing-provider': { sentAt: '2025-05-31T00:00:00.000Z' } });
  });

  it.each([
    [{ FailedEntryCount: 2, Entries: [{ ErrorCode: 'ThrottlingException' }, { ErrorCode: 'ThrottlingException' }] }, 'EventBridge rejected 2 recipient notifications (ThrottlingException)'],
    [{ FailedEntryCount: 1 }, 'EventBridge rejected 1 recipient notifications (unknown)'],
    [{ FailedEntryCount: 1, Entries: [{ EventId: '1' }, { ErrorCode: 'InternalFailure' }] }, 'EventBridge rejected 1 recipient notifications (InternalFailure)'],
    [{ FailedEntryCount: 2, Entries: [{ ErrorCode: 'ThrottlingException' }, { ErrorCode: 'InternalFailure' }] }, 'EventBridge rejected 2 recipient notifications (ThrottlingException, InternalFailure)'],
  ])('fails retryably when the bus rejects entries (%j), recording nothing', async (answer, message) => {
    // Arrange
    eventsMock.on(PutEventsCommand).resolves(answer);

    // Act
    const notifying = notifyRecipients(deps, { requestId: 'r1', brand: 'albelli' });

    // Assert
    await expect(notifying).rejects.toThrow(StoreUnavailable);
    await expect(notifying).rejects.toThrow(message);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect((await table.ledger.get('r1')).notifications).toBeUndefined();
  });

  it.each([
    ['the bus', () => eventsMock.on(PutEventsCommand).rejects(denied()), 'event-bus'],
    ['reading the record', () => s3Mock.on(GetObjectCommand).rejects(denied()), 'audit'],
    ['writing the record', () => s3Mock.on(PutObjectCommand).rejects(denied()), 'audit'],
  ])('names the store when %s fails', async (_, fail, store) => {
    // Arrange
    fail();

    // Act
    const notifying = notifyRecipients(deps, { requestId: 'r1', brand: 'albelli' });

    // Assert
    await expect(notifying).rejects.toThrow(`Store "${store}" failed: AccessDenied: denied`);
  });

  it('puts no event for a request whose stores have no notified recipient, and still records that none was told', async () => {
    // Arrange
    await table.ledger.create(request({ requestId: 'r2', type: 'objection', objection: { purpose: 'smart-creation' } } as Partial<RequestRecord>));

    // Act
    const record = await notifyRecipients(deps, { requestId: 'r2', brand: 'albelli' });

    // Assert
    expect(record).toStrictEqual({ requestId: 'r2', notifiedAt: NOW.toISOString(), recipients: [] });
    expect(eventsMock.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual(['notifications/r2.json']);
    expect((await table.ledger.get('r2')).notifications).toBeUndefined();
  });

  it('stamps the current time by default', async () => {
    // Arrange
    const before = new Date().toISOString();

    // Act
    const record = await notifyRecipients({ ...deps, now: undefined }, { requestId: 'r1', brand: 'albelli' });

    // Assert
    expect(record.notifiedAt >= before).toBe(true);
  });
});
