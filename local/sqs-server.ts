import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AwsServiceError, startAwsJsonServer } from './aws-json-server';

/**
 * A local SQS endpoint: the subset the pipeline and its tests use, over the AWS JSON 1.0 protocol that
 * `@aws-sdk/client-sqs` speaks (`X-Amz-Target: AmazonSQS.<Operation>`): CreateQueue, GetQueueUrl,
 * GetQueueAttributes, SendMessage, ReceiveMessage (visibility timeout, long polling) and DeleteMessage,
 * with the redrive policy moving a message to its dead-letter queue after `maxReceiveCount` receives,
 * as SQS does. The local EventBridge delivers the Art. 19 recipient rules' events through `send`.
 * Queues and messages are kept in `<dataDir>/sqs.json` when the endpoint closes.
 */

/** Account id in the local queue URLs and ARNs. */
const ACCOUNT_ID = '000000000000';

/** One message as held by a queue. */
interface StoredMessage {
  messageId: string;
  body: string;
  sentAt: number;
  receiveCount: number;
  /** Epoch ms until which the message is invisible (received, not yet deleted). */
  invisibleUntil: number;
  receiptHandle?: string;
}

/** One queue. */
interface StoredQueue {
  name: string;
  attributes: Record<string, string>;
  messages: StoredMessage[];
}

/** Options of the local SQS endpoint. */
export interface SqsServerOptions {
  /** Port on 127.0.0.1; 0 picks a free port. */
  port: number;
  region: string;
  dataDir: string;
  /** Clock in epoch ms (tests). */
  now?: () => number;
  log?: (message: string, detail?: Record<string, unknown>) => void;
}

/** A running local SQS endpoint. */
export interface SqsServer {
  url: string;
  port: number;
  /** Creates a queue unless it exists (attributes as CreateQueue takes them, e.g. `RedrivePolicy`); returns its URL. */
  createQueue(name: string, attributes?: Record<string, string>): string;
  /** The ARN of a queue name. */
  arnOf(name: string): string;
  /** Sends a message in-process, as SendMessage does (the local EventBridge's queue targets). */
  send(queueName: string, body: string): void;
  close(): Promise<void>;
}

/** Path of the persisted queues in a data directory. */
function statePath(dataDir: string): string {
  return join(dataDir, 'sqs.json');
}

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/** Starts the endpoint, with the queues persisted in the data directory. */
export async function startSqsServer(options: SqsServerOptions): Promise<SqsServer> {
  const now = options.now ?? Date.now;
  const file = statePath(options.dataDir);
  await mkdir(dirname(file), { recursive: true });
  const queues = new Map<string, StoredQueue>();
  try {
    for (const queue of JSON.parse(await readFile(file, 'utf8')) as StoredQueue[]) queues.set(queue.name, queue);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const arnOf = (name: string) => `arn:aws:sqs:${options.region}:${ACCOUNT_ID}:${name}`;
  let baseUrl = '';
  const urlOf = (name: string) => `${baseUrl}/${ACCOUNT_ID}/${name}`;

  const queueOf = (request: Record<string, unknown>): StoredQueue => {
    const url = request.QueueUrl;
    if (typeof url !== 'string') throw new AwsServiceError('MissingParameter', 'The request must contain the parameter QueueUrl.');
    const queue = queues.get(url.slice(url.lastIndexOf('/') + 1));
    if (!queue) throw new AwsServiceError('QueueDoesNotExist', 'The specified queue does not exist.');
    return queue;
  };

  const createQueue = (name: string, attributes: Record<string, string> = {}): string => {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new AwsServiceError('InvalidParameterValue', 'Queue name can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
    const existing = queues.get(name);
    if (!existing) queues.set(name, { name, attributes: { VisibilityTimeout: '30', ...attributes }, messages: [] });
    return urlOf(name);
  };

  const enqueue = (queue: StoredQueue, body: string): StoredMessage => {
    const message: StoredMessage = { messageId: randomUUID(), body, sentAt: now(), receiveCount: 0, invisibleUntil: 0 };
    queue.messages.push(message);
    return message;
  };

  /** Moves the visible messages received `maxReceiveCount` times to the dead-letter queue of the redrive policy. */
  const redrive = (queue: StoredQueue): void => {
    if (!queue.attributes.RedrivePolicy) return;
    const policy = JSON.parse(queue.attributes.RedrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
    const target = queues.get(policy.deadLetterTargetArn.slice(policy.deadLetterTargetArn.lastIndexOf(':') + 1));
    if (!target) return;
    const limit = Number(policy.maxReceiveCount);
    const moved = queue.messages.filter((message) => message.invisibleUntil <= now() && message.receiveCount >= limit);
    queue.messages = queue.messages.filter((message) => !moved.includes(message));
    for (const message of moved) target.messages.push({ ...message, receiveCount: 0, invisibleUntil: 0, receiptHandle: undefined });
  };

  const receive = (queue: StoredQueue, max: number, visibilitySeconds: number): StoredMessage[] => {
    redrive(queue);
    const visible = queue.messages.filter((message) => message.invisibleUntil <= now()).slice(0, max);
    for (const message of visible) {
      message.receiveCount += 1;
      message.invisibleUntil = now() + visibilitySeconds * 1000;
      message.receiptHandle = randomUUID();
    }
    return visible;
  };

  const operations = {
    CreateQueue: (request: Record<string, unknown>) => {
      if (typeof request.QueueName !== 'string') throw new AwsServiceError('MissingParameter', 'The request must contain the parameter QueueName.');
      return { QueueUrl: createQueue(request.QueueName, (request.Attributes ?? {}) as Record<string, string>) };
    },
    GetQueueUrl: (request: Record<string, unknown>) => {
      const name = String(request.QueueName ?? '');
      if (!queues.has(name)) throw new AwsServiceError('QueueDoesNotExist', 'The specified queue does not exist.');
      return { QueueUrl: urlOf(name) };
    },
    GetQueueAttributes: (request: Record<string, unknown>) => {
      const queue = queueOf(request);
      redrive(queue);
      const visible = queue.messages.filter((message) => message.invisibleUntil <= now()).length;
      return {
        Attributes: {
          ...queue.attributes,
          QueueArn: arnOf(queue.name),
          ApproximateNumberOfMessages: String(visible),
          ApproximateNumberOfMessagesNotVisible: String(queue.messages.length - visible),
        },
      };
    },
    SendMessage: (request: Record<string, unknown>) => {
      const queue = queueOf(request);
      if (typeof request.MessageBody !== 'string' || request.MessageBody === '') throw new AwsServiceError('MissingParameter', 'The request must contain the parameter MessageBody.');
      const message = enqueue(queue, request.MessageBody);
      return { MessageId: message.messageId, MD5OfMessageBody: md5(message.body) };
    },
    ReceiveMessage: async (request: Record<string, unknown>) => {
      const queue = queueOf(request);
      const max = Number(request.MaxNumberOfMessages ?? 1);
      if (!Number.isInteger(max) || max < 1 || max > 10) throw new AwsServiceError('InvalidParameterValue', 'Value for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10.');
      const visibility = Number(request.VisibilityTimeout ?? queue.attributes.VisibilityTimeout ?? 30);
      const deadline = now() + Math.min(Number(request.WaitTimeSeconds ?? 0), 20) * 1000;
      let messages = receive(queue, max, visibility);
      while (messages.length === 0 && now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        messages = receive(queue, max, visibility);
      }
      return {
        Messages: messages.map((message) => ({
          MessageId: message.messageId,
          ReceiptHandle: message.receiptHandle,
          MD5OfBody: md5(message.body),
          Body: message.body,
          Attributes: { ApproximateReceiveCount: String(message.receiveCount), SentTimestamp: String(message.sentAt) },
        })),
      };
    },
    DeleteMessage: (request: Record<string, unknown>) => {
      const queue = queueOf(request);
      const index = queue.messages.findIndex((message) => message.receiptHandle !== undefined && message.receiptHandle === request.ReceiptHandle);
      if (index < 0) throw new AwsServiceError('ReceiptHandleIsInvalid', 'The input receipt handle is invalid.');
      queue.messages.splice(index, 1);
      return {};
    },
  };

  const server = await startAwsJsonServer({
    port: options.port,
    targetPrefix: 'AmazonSQS',
    contentType: 'application/x-amz-json-1.0',
    operations,
    onInternalError: (operation, error) => options.log?.('sqs endpoint error', { operation, errorName: (error as Error)?.name }),
  });
  baseUrl = server.url;

  return {
    url: server.url,
    port: server.port,
    createQueue,
    arnOf,
    send: (queueName, body) => {
      const queue = queues.get(queueName);
      if (!queue) throw new Error(`Local queue ${queueName} does not exist`);
      enqueue(queue, body);
    },
    close: async () => {
      await server.close();
      await writeFile(file, JSON.stringify([...queues.values()]));
    },
  };
}
