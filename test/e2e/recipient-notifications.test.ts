import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { customerKey } from '../../functions/core/keyed-hash';
import { documentClient, s3Client, sfnClient } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { handler as realCollector } from '../../functions/export/collect-store';
import { startApiServer, type ApiServer } from '../../local/api-server';
import { localFunctionName, type LambdaHandler } from '../../local/lambda-runtime';
import { startLocalAws } from '../../local/runtime';
import { seedSyntheticCustomer } from '../../local/seed/synthetic';
import { settled, type ErasureContext } from '../workflow/erasure-helpers';
import { ApiClient as CliApiClient } from '../../cli/api-client';
import { ApiClient } from './export-archive';

/**
 * End to end, Art. 19: an erasure through the HTTP API tells each recipient once, even when a failed run
 * is replayed; each notification reaches the recipient's own local queue (read with the real SQS client)
 * with the one identifier the data map gives it; the recipient acknowledges through the API and the record
 * shows it; an unknown recipient is refused with nothing written; and a notification left unacknowledged
 * past the setting counts in the daily metric. A rectification, a restriction and an objection reach the
 * same queues, with the corrected field names and the scope or purpose, never a value.
 */

const ESP = 'email-marketing-provider';
const META = 'meta-custom-audiences';

let dataDir: string;
let ctx: ErasureContext;
let api: ApiServer;
let client: ApiClient;
let sqs: SQSClient;
let requestId: string;
const previousCoolingOff = process.env.DSR_ERASURE_COOLING_OFF_SECONDS;

/** A received recipient message: the EventBridge envelope, with the notification as its detail. */
interface Delivered {
  receiptHandle: string;
  event: { source: string; 'detail-type': string; detail: Record<string, unknown> };
}

/** Everything waiting in a recipient's queue (received with a short visibility, then released). */
async function drain(recipient: string): Promise<Delivered[]> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: `dsr-recipient-${recipient}` }));
  const delivered: Delivered[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }));
    if (Messages.length === 0) return delivered;
    delivered.push(...Messages.map((message) => ({ receiptHandle: message.ReceiptHandle!, event: JSON.parse(message.Body!) as Delivered['event'] })));
  }
}

/** The ledger item exactly as stored. */
async function storedItem(id: string): Promise<Record<string, unknown> | undefined> {
  return (await ctx.doc.send(new GetCommand({ TableName: 'dsr-request-ledger', Key: { requestId: id }, ConsistentRead: true }))).Item;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-recipients-e2e-'));
  process.env.DSR_ERASURE_COOLING_OFF_SECONDS = '1';
  const aws = await startLocalAws({ dataDir, reset: true, stepFunctions: { retryOverrideMs: 10 }, log: () => {} });
  ctx = { aws, doc: documentClient(), s3: s3Client(), sfn: sfnClient(), ledger: ledgerFromEnv() };
  await seedSyntheticCustomer({ s3: ctx.s3, doc: ctx.doc }, { customerId: 'rn1', brand: 'albelli', photos: 2, photoBytes: 0, orders: 1, contacts: 1, libraryPhotos: 0 });
  await seedSyntheticCustomer({ s3: ctx.s3, doc: ctx.doc }, { customerId: 'rn2', brand: 'albelli', photos: 1, photoBytes: 0, orders: 1, contacts: 1, libraryPhotos: 0 });
  api = await startApiServer({ port: 0, token: aws.secrets.apiToken });
  client = new ApiClient(api.url, aws.secrets.apiToken);
  sqs = new SQSClient({ region: aws.region, endpoint: aws.endpoints.sqs, credentials: aws.credentials });
}, 120_000);

afterAll(async () => {
  sqs?.destroy();
  await api?.close();
  await ctx?.aws.close();
  if (previousCoolingOff === undefined) delete process.env.DSR_ERASURE_COOLING_OFF_SECONDS;
  else process.env.DSR_ERASURE_COOLING_OFF_SECONDS = previousCoolingOff;
  await rm(dataDir, { recursive: true, force: true });
});

describe('Art. 19 recipient notifications through the HTTP API', () => {
  it('tells each recipient of an erasure exactly once, also when a failed run is replayed, through its own queue', async () => {
    // Arrange: verification fails once (after Notify Processors ran), so the request needs a replay.
    const collector = localFunctionName('collect-marketing');
    ctx.aws.lambda.register(collector, { handler: (async () => ({ store: 'marketing', items: 1, retainedItems: 0, personalItems: 1 })) as LambdaHandler, timeoutSeconds: 120 });
    const response = await client.call('POST', '/v1/requests', { type: 'erasure', customerId: 'rn1', brand: 'albelli' });
    requestId = ((await response.json()) as { requestId: string }).requestId;
    const failed = await client.waitFinal(requestId);
    ctx.aws.lambda.register(collector, { handler: realCollector as LambdaHandler, timeoutSeconds: 900 });

    // Act: the replay `dsr replay` starts (same input, `<id>-replay-1`).
    const first = await ctx.sfn.send(new DescribeExecutionCommand({ executionArn: (await storedItem(requestId))!.executionArn as string }));
    const replay = await ctx.sfn.send(new StartExecutionCommand({ stateMachineArn: first.stateMachineArn, name: `${requestId}-replay-1`, input: first.input }));
    await settled(ctx, replay.executionArn!);
    const completed = (await (await client.call('GET', `/v1/requests/${requestId}`)).json()) as { status: string; notifications: { recipient: string; sentAt: string; acknowledgedAt?: string }[] };

    // Assert
    expect(failed.status).toBe('failed');
    expect(completed.status).toBe('completed');
    const esp = await drain(ESP);
    const meta = await drain(META);
    expect(esp.map((message) => message.event.detail.idempotencyKey)).toEqual([`${requestId}:${ESP}`]);
    expect(meta.map((message) => message.event.detail.idempotencyKey)).toEqual([`${requestId}:${META}`]);
    expect(esp[0]!.event).toMatchObject({ source: 'dsr.recipient', 'detail-type': 'Recipient Notification' });
    expect(esp[0]!.event.detail).toMatchObject({ requestId, recipientId: ESP, type: 'erasure', action: 'erase', stores: ['marketing'], customerId: 'rn1' });
    expect(meta[0]!.event.detail).toMatchObject({ requestId, recipientId: META, type: 'erasure', action: 'erase', customerKey: customerKey('rn1') });
    expect(meta[0]!.event.detail).not.toHaveProperty('customerId');
    expect(JSON.stringify(meta)).not.toContain('rn1');
    expect(JSON.stringify([...esp, ...meta])).not.toMatch(/@/);
    const sentAt = esp[0]!.event.detail.sentAt;
    expect(completed.notifications).toEqual([
      { recipient: ESP, sentAt },
      { recipient: META, sentAt },
    ]);
    for (const message of esp) {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: `dsr-recipient-${ESP}` }));
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.receiptHandle }));
    }
  });

  it('records a recipient\'s acknowledgement, shows it on the request, and answers a repeat (`dsr ack`) with the first one', async () => {
    // Act
    const acked = await client.call('POST', `/v1/requests/${requestId}/notifications/${ESP}/ack`);
    const ackedView = (await acked.json()) as { notifications: { recipient: string; sentAt: string; acknowledgedAt?: string }[] };
    const repeatView = (await new CliApiClient(api.url, ctx.aws.secrets.apiToken).acknowledge(requestId, ESP)) as unknown as typeof ackedView;
    const read = (await (await client.call('GET', `/v1/requests/${requestId}`)).json()) as typeof ackedView;

    // Assert
    expect(acked.status).toBe(200);
    const espState = ackedView.notifications.find((entry) => entry.recipient === ESP)!;
    expect(espState.acknowledgedAt! >= espState.sentAt).toBe(true);
    expect(repeatView.notifications).toEqual(ackedView.notifications);
    expect(read.notifications).toEqual(ackedView.notifications);
    expect(read.notifications.find((entry) => entry.recipient === META)).not.toHaveProperty('acknowledgedAt');
  });

  it('refuses an unknown recipient, an unknown request and a malformed recipient, writing nothing', async () => {
    // Arrange
    const before = await storedItem(requestId);

    // Act
    const notNotified = await client.call('POST', `/v1/requests/${requestId}/notifications/carriers/ack`);
    const unknownRequest = await client.call('POST', `/v1/requests/no-such-request/notifications/${ESP}/ack`);
    const malformed = await client.call('POST', `/v1/requests/${requestId}/notifications/Not_A_Recipient/ack`);

    // Assert
    expect(notNotified.status).toBe(404);
    expect(((await notNotified.json()) as { error: { code: string; message: string } }).error).toEqual({ code: 'not_found', message: `Request ${requestId} notified no recipient "carriers"` });
    expect(unknownRequest.status).toBe(404);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string; details: { field: string }[] } }).error).toMatchObject({ code: 'invalid_request', details: [{ field: 'recipient' }] });
    expect(await storedItem(requestId)).toEqual(before);
    expect(await storedItem('no-such-request')).toBeUndefined();
  });

  it('counts a notification left unacknowledged past the setting in the daily metric', async () => {
    // Arrange: the remaining notification was sent 20 days ago (the default limit is 14).
    const old = new Date(Date.now() - 20 * 86_400_000).toISOString();
    await ctx.doc.send(
      new UpdateCommand({
        TableName: 'dsr-request-ledger',
        Key: { requestId },
        UpdateExpression: 'SET notifications.#meta.sentAt = :old, unacknowledgedSince = :old',
        ExpressionAttributeNames: { '#meta': META },
        ExpressionAttributeValues: { ':old': old },
      }),
    );
    const emitted: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      emitted.push(...String(chunk).split('\n').filter((line) => line.includes('UnacknowledgedNotifications')));
      return write(chunk as string, ...(rest as []));
    });

    // Act
    const result = await ctx.aws.lambda.invoke(localFunctionName('check-acknowledgements'), {}).finally(() => vi.restoreAllMocks());
    const report = result.Payload as { unacknowledged: { requestId: string; recipient: string; sentAt: string }[] };

    // Assert
    expect(report.unacknowledged).toEqual([{ requestId, type: 'erasure', recipient: META, sentAt: old }]);
    const emf = emitted.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => '_aws' in entry);
    expect(emf?.UnacknowledgedNotifications).toBe(1);
  });

  it('tells the marketing recipients of a rectification, a restriction and an objection through their own queues, once each, with field names and scope but no values', async () => {
    // Arrange
    const bodies = [
      { type: 'rectification', customerId: 'rn2', brand: 'albelli', corrections: { email: 'rn2.new@example.org' } },
      { type: 'restriction', customerId: 'rn2', brand: 'albelli', action: 'restrict', scope: 'marketing', ground: 'accuracy-contested' },
      { type: 'objection', customerId: 'rn2', brand: 'albelli', purpose: 'direct-marketing' },
    ];

    // Act
    const ids: string[] = [];
    const views: { status: string; notifications?: { recipient: string }[] }[] = [];
    for (const body of bodies) {
      const created = (await (await client.call('POST', '/v1/requests', body)).json()) as { requestId: string };
      ids.push(created.requestId);
      await client.waitFinal(created.requestId);
      views.push((await (await client.call('GET', `/v1/requests/${created.requestId}`)).json()) as (typeof views)[number]);
    }
    const ours = (messages: Delivered[]) => messages.filter((message) => ids.includes(message.event.detail.requestId as string)).map((message) => message.event.detail);
    const esp = ours(await drain(ESP));
    const meta = ours(await drain(META));

    // Assert
    expect(views.map((view) => view.status)).toEqual(['completed', 'completed', 'completed']);
    for (const view of views) expect(view.notifications!.map((entry) => entry.recipient)).toEqual([ESP, META]);
    for (const [recipient, details] of [[ESP, esp], [META, meta]] as const) {
      expect(details.map((detail) => detail.idempotencyKey)).toEqual(ids.map((id) => `${id}:${recipient}`));
      expect(details.map((detail) => [detail.type, detail.action])).toEqual([['rectification', 'rectify'], ['restriction', 'restrict'], ['objection', 'object']]);
      expect(details[0]).toMatchObject({ fields: ['email'], stores: ['marketing'] });
      expect(details[1]).toMatchObject({ scope: 'marketing', ground: 'accuracy-contested' });
      expect(details[2]).toMatchObject({ purpose: 'direct-marketing' });
      expect(JSON.stringify(details)).not.toMatch(/@|example\.org/);
    }
    expect(esp.every((detail) => detail.customerId === 'rn2')).toBe(true);
    expect(meta.every((detail) => detail.customerKey === customerKey('rn2') && !('customerId' in detail))).toBe(true);
    expect(JSON.stringify(meta)).not.toContain('rn2');
  });
});
