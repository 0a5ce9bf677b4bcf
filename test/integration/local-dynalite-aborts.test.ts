import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteItemCommand, CreateTableCommand, DescribeTableCommand, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulators, type Emulators } from '../../local/emulators';

/**
 * The embedded DynamoDB survives clients that go away: dynalite (architect/dynalite#183) throws from a
 * request's `error` event when a client disconnects mid-body, and keeps working on requests whose
 * client has left, so closing its store under them threw LEVEL_DATABASE_NOT_OPEN /
 * LEVEL_ITERATOR_NOT_OPEN. Both crashed the whole process (`npm start`, a test run, a benchmark).
 */

const TABLE = 'abort-test';
const QUERY = JSON.stringify({ TableName: TABLE, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'c1' } }, ConsistentRead: true });

let dataDir: string;
let emulators: Emulators | undefined;
let client: DynamoDBClient;
const uncaught: unknown[] = [];
const record = (error: unknown) => uncaught.push(error);

/** A raw DynamoDB call whose client goes away: after half its body (`midBody`) or right after sending all of it. */
function abandonedCall(endpoint: string, target: string, body: string, midBody: boolean): Promise<void> {
  const url = new URL(endpoint);
  return new Promise((resolve) => {
    const call = request({
      hostname: url.hostname,
      port: url.port,
      method: 'POST',
      path: '/',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDB_20120810.${target}`,
        authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
        'x-amz-date': '20260101T000000Z',
        'content-length': Buffer.byteLength(body),
      },
    });
    call.on('error', () => undefined);
    if (midBody) call.write(body.slice(0, body.length >> 1), () => setTimeout(() => (call.destroy(), resolve()), 20));
    else call.end(body, () => (call.destroy(), resolve()));
  });
}

beforeEach(async () => {
  uncaught.length = 0;
  process.on('uncaughtException', record);
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-dynalite-aborts-'));
  emulators = await startEmulators(dataDir, { dynamodb: 0, s3: 0 });
  client = new DynamoDBClient({ endpoint: emulators.dynamodbEndpoint, region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  while ((await client.send(new DescribeTableCommand({ TableName: TABLE }))).Table?.TableStatus !== 'ACTIVE') await new Promise((resolve) => setTimeout(resolve, 10));
  const pad = 'x'.repeat(400);
  for (let batch = 0; batch < 80; batch += 1) {
    const puts = Array.from({ length: 25 }, (_, index) => ({ PutRequest: { Item: { pk: { S: 'c1' }, sk: { S: String(batch * 25 + index).padStart(6, '0') }, pad: { S: pad } } } }));
    await client.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: puts } }));
  }
});

afterEach(async () => {
  await emulators?.close();
  emulators = undefined;
  process.off('uncaughtException', record);
  await rm(dataDir, { recursive: true, force: true });
});

describe('embedded DynamoDB and clients that go away', () => {
  it('a client that disconnects mid-body crashes nothing, and the next call is answered', async () => {
    // Arrange
    const writes = JSON.stringify({ RequestItems: { [TABLE]: [{ DeleteRequest: { Key: { pk: { S: 'c1' }, sk: { S: '000000' } } } }] } });

    // Act
    await Promise.all(Array.from({ length: 8 }, () => abandonedCall(emulators!.dynamodbEndpoint, 'BatchWriteItem', writes, true)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const page = await client.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'c1' } }, Limit: 1 }));

    // Assert
    expect(uncaught).toEqual([]);
    expect(page.Items?.[0]?.sk?.S).toBe('000000');
  });

  it('closing while dynalite still works on queries whose clients left waits for them and crashes nothing', async () => {
    // Arrange
    await Promise.all(Array.from({ length: 24 }, () => abandonedCall(emulators!.dynamodbEndpoint, 'Query', QUERY, false)));

    // Act
    await emulators!.close();
    emulators = undefined;
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Assert
    expect(uncaught).toEqual([]);
  });
});
