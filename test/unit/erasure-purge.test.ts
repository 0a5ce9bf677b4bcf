import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { purgeRetained, purgeRetainedInput } from '../../functions/core/erasure/purge';
import { StoreFailed } from '../../functions/core/errors';

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

describe('purgeRetained (scan, retries and contract)', () => {
  it('scans the retained partitions of every anonymise-and-retain store for keys only, and reports zero for nothing expired', async () => {
    docMock.on(ScanCommand).resolves({});

    const result = await purgeRetained({ doc, env }, new Date('2032-01-01T00:00:00.000Z'));

    expect(result).toStrictEqual({ now: '2032-01-01T00:00:00.000Z', stores: [{ store: 'orders', purged: 0 }] });
    expect(docMock.commandCalls(ScanCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'dsr-orders',
        FilterExpression: 'begins_with(#pk, :prefix) AND #until < :now',
        ProjectionExpression: '#pk, #sk',
        ExpressionAttributeNames: { '#pk': 'customerId', '#until': 'retainUntil', '#sk': 'orderId' },
        ExpressionAttributeValues: { ':prefix': 'retained#', ':now': '2032-01-01T00:00:00.000Z' },
        ExclusiveStartKey: undefined,
      },
    ]);
    expect(docMock.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });

  it('retries unprocessed deletes with the default policy when none is given', async () => {
    docMock.on(ScanCommand).resolves({ Items: [{ customerId: 'retained#a', orderId: 'o1' }] });
    docMock
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { 'dsr-orders': [{ DeleteRequest: { Key: { customerId: 'retained#a', orderId: 'o1' } } }] } })
      .resolves({});

    const result = await purgeRetained({ doc, env }, new Date('2032-01-01T00:00:00.000Z'));

    expect(result.stores).toEqual([{ store: 'orders', purged: 1 }]);
    expect(docMock.commandCalls(BatchWriteCommand)).toHaveLength(2);
  });

  it('names the store when the scan fails', async () => {
    docMock.on(ScanCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));

    const purging = purgeRetained({ doc, env }, new Date('2032-01-01T00:00:00.000Z'));

    await expect(purging).rejects.toThrow(StoreFailed);
    await expect(purging).rejects.toThrow('Store "orders" failed: AccessDeniedException: denied');
  });

  it('takes an optional ISO instant and keeps the other fields of the scheduled event', () => {
    expect(purgeRetainedInput.parse({ now: '2032-01-01T00:00:00.000Z', source: 'aws.events' })).toStrictEqual({ now: '2032-01-01T00:00:00.000Z', source: 'aws.events' });
    expect(purgeRetainedInput.parse({})).toStrictEqual({});
    expect(() => purgeRetainedInput.parse({ now: 'tomorrow' })).toThrow();
  });
});
