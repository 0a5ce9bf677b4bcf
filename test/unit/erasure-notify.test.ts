import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { notifyProcessors } from '../../functions/core/erasure/notify';
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
