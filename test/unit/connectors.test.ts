import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { customerTableQueries, primaryKeyOf, readCustomerItems } from '../../functions/core/connectors/dynamodb-store';
import { listCustomerObjects } from '../../functions/core/connectors/s3-store';
import { getStore } from '../../functions/core/data-map';
import { StoreFailed, StoreUnavailable } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);
const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);

async function collect<T>(pages: AsyncGenerator<T[] | { items: T[] }>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...(Array.isArray(page) ? page : page.items));
  return all;
}

beforeEach(() => {
  docMock.reset();
  s3Mock.reset();
});

describe('customerTableQueries', () => {
  it('queries the own partition and the retained partition of an anonymise-and-retain store', () => {
    const queries = customerTableQueries(getStore('orders'), 'c1', env);

    expect(queries).toEqual([
      { table: 'dsr-orders', keyAttribute: 'customerId', keyValue: 'c1', retained: false },
      { table: 'dsr-orders', keyAttribute: 'customerId', keyValue: `retained#${customerKey('c1', env.DSR_HASH_KEY)}`, retained: true },
    ]);
  });

  it('queries through the index for an index-located store', () => {
    const queries = customerTableQueries(getStore('contact-history'), 'c1', env);

    expect(queries).toEqual([{ table: 'dsr-contact-history', indexName: 'byCustomer', keyAttribute: 'customerId', keyValue: 'c1', retained: false }]);
  });

  it('rejects a customer id that could overlap another key', () => {
    expect(() => customerTableQueries(getStore('orders'), 'c1/../c2', env)).toThrow(/Customer id/);
  });
});

describe('readCustomerItems', () => {
  it('follows LastEvaluatedKey across pages and tags retained items', async () => {
    docMock
      .on(QueryCommand, { ExpressionAttributeValues: { ':value': 'c1' } })
      .resolvesOnce({ Items: [{ customerId: 'c1', orderId: 'o1' }], LastEvaluatedKey: { customerId: 'c1', orderId: 'o1' } })
      .resolvesOnce({ Items: [{ customerId: 'c1', orderId: 'o2' }] });
    docMock.on(QueryCommand, { ExpressionAttributeValues: { ':value': `retained#${customerKey('c1', env.DSR_HASH_KEY)}` } }).resolves({ Items: [{ orderId: 'o0' }] });

    const pages = [];
    for await (const page of readCustomerItems(doc, getStore('orders'), 'c1', { env, consistentRead: true })) pages.push(page);

    expect(pages.map((page) => [page.retained, page.items.map((item) => item.orderId)])).toEqual([
      [false, ['o1']],
      [false, ['o2']],
      [true, ['o0']],
    ]);
    expect(docMock.commandCalls(QueryCommand)[1]!.args[0].input.ExclusiveStartKey).toEqual({ customerId: 'c1', orderId: 'o1' });
  });

  it('wraps throttling as StoreUnavailable and access errors as StoreFailed, naming the store', async () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    docMock.on(QueryCommand).rejects(throttled);
    await expect(collect(readCustomerItems(doc, getStore('marketing'), 'c1', { env }))).rejects.toThrow(StoreUnavailable);

    docMock.on(QueryCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(collect(readCustomerItems(doc, getStore('marketing'), 'c1', { env }))).rejects.toThrow(/Store "marketing" failed/);
    await expect(collect(readCustomerItems(doc, getStore('marketing'), 'c1', { env }))).rejects.toThrow(StoreFailed);
  });

  it('never asks an index for a consistent read', async () => {
    docMock.on(QueryCommand).resolves({ Items: [] });

    await collect(readCustomerItems(doc, getStore('contact-history'), 'c1', { env, consistentRead: true }));

    expect(docMock.commandCalls(QueryCommand)[0]!.args[0].input.ConsistentRead).toBeUndefined();
  });
});

describe('primaryKeyOf', () => {
  it('keeps only the key attributes', () => {
    expect(primaryKeyOf(getStore('orders'), { customerId: 'c1', orderId: 'o1', email: 'x@example.com' })).toEqual({ customerId: 'c1', orderId: 'o1' });
    expect(primaryKeyOf(getStore('contact-history'), { contactId: 'k1', customerId: 'c1' })).toEqual({ contactId: 'k1' });
  });
});

describe('listCustomerObjects', () => {
  it('lists the customer prefix with a trailing delimiter and follows continuation tokens', async () => {
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({ Contents: [{ Key: 'customers/c1/a.jpg', Size: 3 }], IsTruncated: true, NextContinuationToken: 't1' })
      .resolvesOnce({ Contents: [{ Key: 'customers/c1/b.jpg', Size: 4 }], IsTruncated: false });

    const objects = await collect(listCustomerObjects(s3, getStore('uploaded-photos'), 'c1', { env }));

    expect(objects.map((object) => [object.key, object.size])).toEqual([
      ['customers/c1/a.jpg', 3],
      ['customers/c1/b.jpg', 4],
    ]);
    const calls = s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input);
    expect(calls.map((input) => [input.Prefix, input.ContinuationToken])).toEqual([
      ['customers/c1/', undefined],
      ['customers/c1/', 't1'],
    ]);
  });

  it('lists the photo library under every brand prefix', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'onskefoto/c1/' }).resolves({ Contents: [{ Key: 'onskefoto/c1/a/1.jpg', Size: 1 }] });

    const pages = await collect(listCustomerObjects(s3, getStore('photo-library'), 'c1', { env }));

    expect(s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.Prefix)).toEqual(['albelli/c1/', 'bonusprint/c1/', 'fotoknudsen/c1/', 'onskefoto/c1/', 'resnap/c1/']);
    expect(pages.flat().map((object) => object.key)).toEqual(['onskefoto/c1/a/1.jpg']);
  });

  it('wraps a missing bucket as StoreFailed', async () => {
    s3Mock.on(ListObjectsV2Command).rejects(Object.assign(new Error('no bucket'), { name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } }));

    await expect(collect(listCustomerObjects(s3, getStore('call-recordings'), 'c1', { env }))).rejects.toThrow(StoreFailed);
  });
});
