import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { purgeRetained } from '../../functions/core/erasure/purge';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);

beforeEach(() => {
  docMock.reset();
});

describe('purgeRetained', () => {
  it('deletes expired retained records page by page, filtering on the retained partitions', async () => {
    docMock
      .on(ScanCommand)
      .resolvesOnce({ Items: [{ customerId: 'retained#a', orderId: 'o1' }], LastEvaluatedKey: { customerId: 'retained#a', orderId: 'o1' } })
      .resolvesOnce({ Items: [{ customerId: 'retained#b', orderId: 'o2' }] });
    docMock.on(BatchWriteCommand).resolves({});

    const result = await purgeRetained({ doc, env }, new Date('2032-01-01T00:00:00.000Z'));

    const scans = docMock.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(scans[0]).toMatchObject({
      TableName: 'dsr-orders',
      FilterExpression: 'begins_with(#pk, :prefix) AND #until < :now',
      ExpressionAttributeValues: { ':prefix': 'retained#', ':now': '2032-01-01T00:00:00.000Z' },
    });
    expect(scans[1]!.ExclusiveStartKey).toEqual({ customerId: 'retained#a', orderId: 'o1' });
    const deleted = docMock.commandCalls(BatchWriteCommand).flatMap((call) => call.args[0].input.RequestItems!['dsr-orders']!);
    expect(deleted).toEqual([{ DeleteRequest: { Key: { customerId: 'retained#a', orderId: 'o1' } } }, { DeleteRequest: { Key: { customerId: 'retained#b', orderId: 'o2' } } }]);
    expect(result.stores).toEqual([{ store: 'orders', purged: 2 }]);
  });
});
