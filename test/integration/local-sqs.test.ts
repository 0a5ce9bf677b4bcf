import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recipientEventPattern } from '../../functions/core/notify-recipients';
import { startEventBridgeServer } from '../../local/eventbridge-server';
import { LambdaRuntime } from '../../local/lambda-runtime';
import { startSqsServer, type SqsServer } from '../../local/sqs-server';

/** The local SQS endpoint through the real SQS client, and the local EventBridge's queue rules (the Art. 19 channels). */

const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };

describe('local SQS', () => {
  let dataDir: string;
  let server: SqsServer;
  let sqs: SQSClient;
  let clock: number;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dsr-sqs-'));
    clock = 1_000_000;
    server = await startSqsServer({ port: 0, region: 'eu-west-1', dataDir, now: () => clock });
    sqs = new SQSClient({ region: 'eu-west-1', endpoint: server.url, credentials });
  });

  afterEach(async () => {
    sqs.destroy();
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('sends, receives (hidden while invisible) and deletes a message, with the counts GetQueueAttributes reports', async () => {
    // Arrange
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'q1' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"hello":"world"}' }));

    // Act
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 30 }));
    const hidden = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    const counts = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first.Messages![0]!.ReceiptHandle }));
    clock += 31_000;
    const afterDelete = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));

    // Assert
    expect(first.Messages!.map((message) => message.Body)).toEqual(['{"hello":"world"}']);
    expect(hidden.Messages ?? []).toEqual([]);
    expect(counts.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1', QueueArn: 'arn:aws:sqs:eu-west-1:000000000000:q1' });
    expect(afterDelete.Messages ?? []).toEqual([]);
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'q1' }))).QueueUrl).toBe(QueueUrl);
  });

  it('moves a message received maxReceiveCount times to the dead-letter queue', async () => {
    // Arrange
    const dlq = server.createQueue('q2-dlq');
    const queue = server.createQueue('q2', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: server.arnOf('q2-dlq'), maxReceiveCount: 2 }) });
    server.send('q2', 'poison');

    // Act
    const receipts: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      receipts.push((await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue, VisibilityTimeout: 0 }))).Messages?.length ?? 0);
      clock += 1;
    }
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq }));

    // Assert
    expect(receipts).toEqual([1, 1, 0]);
    expect(dead.Messages!.map((message) => [message.Body, message.Attributes?.ApproximateReceiveCount])).toEqual([['poison', '1']]);
  });

  it('answers an unknown queue and an invalid receipt handle with the SQS errors', async () => {
    // Arrange
    const QueueUrl = server.createQueue('q3');

    // Act
    const unknown = sqs.send(new GetQueueUrlCommand({ QueueName: 'nope' }));
    const badHandle = sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'not-a-handle' }));

    // Assert
    await expect(unknown).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    await expect(badHandle).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid' });
  });

  it('keeps queues and messages across a restart of the endpoint', async () => {
    // Arrange
    server.createQueue('q4');
    server.send('q4', 'kept');
    await server.close();

    // Act
    server = await startSqsServer({ port: 0, region: 'eu-west-1', dataDir, now: () => clock });
    sqs.destroy();
    sqs = new SQSClient({ region: 'eu-west-1', endpoint: server.url, credentials });
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'q4' }));
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));

    // Assert
    expect(received.Messages!.map((message) => message.Body)).toEqual(['kept']);
  });

  it('gets the events a recipient rule matches from the local EventBridge, as the EventBridge envelope, and nothing else', async () => {
    // Arrange
    const QueueUrl = server.createQueue('dsr-recipient-esp');
    const other = server.createQueue('dsr-recipient-meta');
    const events = await startEventBridgeServer({
      port: 0,
      region: 'eu-west-1',
      dataDir,
      lambda: new LambdaRuntime({ region: 'eu-west-1', functions: [] }),
      functions: [],
      queueRules: [
        { queueName: 'dsr-recipient-esp', pattern: recipientEventPattern('esp') },
        { queueName: 'dsr-recipient-meta', pattern: recipientEventPattern('meta') },
      ],
      queues: server,
    });
    const client = new EventBridgeClient({ region: 'eu-west-1', endpoint: events.url, credentials });

    // Act
    await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'dsr.recipient', DetailType: 'Recipient Notification', Detail: '{"recipientId":"esp","idempotencyKey":"r1:esp"}', EventBusName: 'dsr-local' },
          { Source: 'dsr.recipient', DetailType: 'Other', Detail: '{"recipientId":"esp"}' },
          { Source: 'dsr.request', DetailType: 'Recipient Notification', Detail: '{"recipientId":"esp"}' },
        ],
      }),
    );
    await events.idle();
    client.destroy();
    await events.close();
    const esp = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    const meta = await sqs.send(new ReceiveMessageCommand({ QueueUrl: other, MaxNumberOfMessages: 10 }));

    // Assert
    expect(esp.Messages!.map((message) => JSON.parse(message.Body!))).toEqual([
      expect.objectContaining({ version: '0', source: 'dsr.recipient', 'detail-type': 'Recipient Notification', account: '000000000000', detail: { recipientId: 'esp', idempotencyKey: 'r1:esp' } }),
    ]);
    expect(meta.Messages ?? []).toEqual([]);
  });
});
