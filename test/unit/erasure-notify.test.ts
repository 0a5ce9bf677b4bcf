import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { notificationOutput, notifiedRecipientSchema, notifyProcessors, notifyProcessorsInput, recipientsToNotify } from '../../functions/core/erasure/notify';
import { StoreUnavailable } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
const events = new EventBridgeClient({ region: 'eu-west-1' });
const eventsMock = mockClient(events);
const now = () => new Date('2025-06-01T12:00:00.000Z');
const noSuchKey = () => Object.assign(new Error('missing'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });

/** A GetObject body as the SDK returns it (only the method the core uses). */
function body(text: string) {
  return { transformToString: async () => text };
}

beforeEach(() => {
  s3Mock.reset();
  eventsMock.reset();
});

describe('notifyProcessors', () => {
  const deps = { events, s3, eventBusName: 'bus', auditBucket: 'dsr-audit', env, now };
  const input = { requestId: 'r1', customerId: 'c1', brand: 'albelli' as const, suppression: { emailHashes: ['e1'], phoneHashes: ['p1'] } };

  it('emits one event per recipient that must be told, without raw data, and records it once', async () => {
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    s3Mock.on(PutObjectCommand).resolves({});
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }, { EventId: '2' }] });

    const record = await notifyProcessors(deps, input);

    const entries = eventsMock.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!;
    expect(entries.map((entry) => [entry.Source, entry.DetailType, JSON.parse(entry.Detail!).recipientId])).toEqual([
      ['dsr.erasure', 'Erasure Requested', 'email-marketing-provider'],
      ['dsr.erasure', 'Erasure Requested', 'meta-custom-audiences'],
    ]);
    const detail = JSON.parse(entries[0]!.Detail!);
    expect(detail).toMatchObject({ requestId: 'r1', customerKey: customerKey('c1', env.DSR_HASH_KEY), emailHashes: ['e1'], phoneHashes: ['p1'], stores: ['marketing'] });
    expect(JSON.stringify(entries)).not.toContain('"c1"');
    expect(record.recipients.map((recipient) => recipient.id)).toEqual(['email-marketing-provider', 'meta-custom-audiences']);
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Key).toBe('notifications/r1.json');
  });

  it('does not notify again when the request was already notified (replay)', async () => {
    const stored = { requestId: 'r1', notifiedAt: '2025-01-01T00:00:00.000Z', recipients: [{ id: 'email-marketing-provider', name: 'x', stores: ['marketing'] }] };
    s3Mock.on(GetObjectCommand).resolves({ Body: body(JSON.stringify(stored)) as never });

    const record = await notifyProcessors(deps, input);

    expect(record).toEqual(stored);
    expect(eventsMock.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('fails retryably when EventBridge rejects entries', async () => {
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }, { EventId: '2' }] });

    await expect(notifyProcessors(deps, input)).rejects.toThrow(/ThrottlingException/);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});

describe('notifyProcessors (entries, failures and contracts)', () => {
  // customer:c1 under this key, computed once with openssl.
  const KEY = 'kat-hash-key-0123456789abcdef0123';
  const C1_KEY = 'b3e88105c805287d0b21a58e1f78ef6ae5f8da27931f0c262fe0385372744050';
  const deps = { events, s3, eventBusName: 'dsr-bus', auditBucket: 'dsr-audit', env: { DSR_HASH_KEY: KEY }, now };
  const input = { requestId: 'r1', customerId: 'c1', brand: 'albelli' as const, suppression: { emailHashes: ['e1'], phoneHashes: ['p1'] } };
  const denied = () => Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });

  beforeEach(() => {
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    s3Mock.on(PutObjectCommand).resolves({});
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
  });

  it('puts one entry per recipient in one call, with hashes only, and records the recipients in the audit bucket', async () => {
    const recipients = recipientsToNotify();

    const record = await notifyProcessors(deps, input);

    expect(recipients.length).toBeGreaterThan(0);
    const calls = eventsMock.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input.Entries).toEqual(
      recipients.map((recipient) => ({
        EventBusName: 'dsr-bus',
        Source: 'dsr.erasure',
        DetailType: 'Erasure Requested',
        Detail: JSON.stringify({
          requestId: 'r1',
          idempotencyKey: `r1:${recipient.id}`,
          recipientId: recipient.id,
          brand: 'albelli',
          stores: recipient.stores,
          customerKey: C1_KEY,
          emailHashes: ['e1'],
          phoneHashes: ['p1'],
        }),
      })),
    );
    expect(record).toStrictEqual({ requestId: 'r1', notifiedAt: '2025-06-01T12:00:00.000Z', recipients });
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'dsr-audit',
      Key: 'notifications/r1.json',
      Body: JSON.stringify(record),
      ContentType: 'application/json',
    });
    expect(notificationOutput.parse(record)).toStrictEqual(record);
  });

  it.each([
    [{ FailedEntryCount: 2, Entries: [{ ErrorCode: 'ThrottlingException' }, { ErrorCode: 'ThrottlingException' }, {}] }, 'EventBridge rejected 2 erasure notifications (ThrottlingException)'],
    [{ FailedEntryCount: 2, Entries: [{ ErrorCode: 'A' }, { ErrorCode: 'B' }] }, 'EventBridge rejected 2 erasure notifications (A, B)'],
    [{ FailedEntryCount: 1 }, 'EventBridge rejected 1 erasure notifications (unknown)'],
  ])('fails retryably when the bus rejects entries (%j), recording nothing', async (answer, message) => {
    eventsMock.on(PutEventsCommand).resolves(answer);

    const notifying = notifyProcessors(deps, input);

    await expect(notifying).rejects.toThrow(StoreUnavailable);
    await expect(notifying).rejects.toThrow(message);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it.each([
    ['the bus', () => eventsMock.on(PutEventsCommand).rejects(denied()), 'event-bus'],
    ['reading the record', () => s3Mock.on(GetObjectCommand).rejects(denied()), 'audit'],
    ['writing the record', () => s3Mock.on(PutObjectCommand).rejects(denied()), 'audit'],
  ])('names the store when %s fails', async (_, fail, store) => {
    fail();

    await expect(notifyProcessors(deps, input)).rejects.toThrow(`Store "${store}" failed: AccessDenied: denied`);
  });

  it('uses the configured key and the current time by default', async () => {
    const saved = process.env.DSR_HASH_KEY;
    process.env.DSR_HASH_KEY = KEY;
    try {
      const before = new Date().toISOString();

      const record = await notifyProcessors({ events, s3, eventBusName: 'dsr-bus', auditBucket: 'dsr-audit' }, input);

      expect(record.notifiedAt >= before).toBe(true);
      expect(JSON.parse(eventsMock.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!).customerKey).toBe(C1_KEY);
    } finally {
      if (saved === undefined) delete process.env.DSR_HASH_KEY;
      else process.env.DSR_HASH_KEY = saved;
    }
  });

  it('takes the request id, brand and suppression hashes, and refuses anything less', () => {
    const parsed = notifyProcessorsInput.parse({ requestId: 'r1', brand: 'albelli', suppression: { emailHashes: [], phoneHashes: [] }, customerId: 'c1' });

    expect(parsed).toStrictEqual({ requestId: 'r1', brand: 'albelli', suppression: { emailHashes: [], phoneHashes: [] } });
    expect(() => notifyProcessorsInput.parse({ requestId: 'r1', brand: 'other', suppression: { emailHashes: [], phoneHashes: [] } })).toThrow();
    expect(() => notifyProcessorsInput.parse({ requestId: 'r1', brand: 'albelli' })).toThrow();
    expect(() => notifiedRecipientSchema.parse({ id: 'x', name: 'y' })).toThrow();
    expect(() => notificationOutput.parse({ requestId: 'r1', notifiedAt: 'x' })).toThrow();
  });
});
