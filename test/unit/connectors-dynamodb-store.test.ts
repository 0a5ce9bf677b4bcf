import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { customerTableQueries, primaryKeyOf, readCustomerItems } from '../../functions/core/connectors/dynamodb-store';
import { getStore } from '../../functions/core/data-map';
import { StoreFailed, StoreUnavailable } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);

async function collect<T>(pages: AsyncGenerator<T[] | { items: T[] }>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...(Array.isArray(page) ? page : page.items));
  return all;
}

beforeEach(() => {
  docMock.reset();
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
