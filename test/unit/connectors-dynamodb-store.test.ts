import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { restoredAfterEach } from './helpers/replacements';
import { customerTableQueries, primaryKeyOf, readCustomerItems, scanSegmentPages, stillPresent } from '../../functions/core/connectors/dynamodb-store';
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

  it.each(['uploaded-photos', 'request-ledger'])('refuses %s, which is not a DynamoDB store with a customer locator', (id) => {
    expect(() => customerTableQueries(getStore(id), 'c1', env)).toThrow(`Store "${id}" is not a DynamoDB store with a customer locator`);
  });

  it('refuses an S3 store whatever its locator, and a table located by key prefix', () => {
    const s3WithPartitionLocator = { ...getStore('uploaded-photos'), locator: getStore('marketing').locator };
    const tableWithPrefixLocator = { ...getStore('marketing'), locator: getStore('uploaded-photos').locator };

    expect(() => customerTableQueries(s3WithPartitionLocator, 'c1', env)).toThrow('Store "uploaded-photos" is not a DynamoDB store with a customer locator');
    expect(() => customerTableQueries(tableWithPrefixLocator, 'c1', env)).toThrow('Store "marketing" is not a DynamoDB store with a customer locator');
  });

  it('reads the table name from the environment', () => {
    const queries = customerTableQueries(getStore('marketing'), 'c1', { ...env, DSR_TABLE_MARKETING: 'acme-marketing' });

    expect(queries).toEqual([{ table: 'acme-marketing', keyAttribute: 'customerId', keyValue: 'c1', retained: false }]);
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

  it('sends one key condition on the locator attribute, with the page size and consistency asked for', async () => {
    docMock.on(QueryCommand).resolves({ Items: [] });

    await collect(readCustomerItems(doc, getStore('marketing'), 'c1', { env, consistentRead: true, pageSize: 25 }));

    expect(docMock.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'dsr-marketing',
        KeyConditionExpression: '#key = :value',
        ExpressionAttributeNames: { '#key': 'customerId' },
        ExpressionAttributeValues: { ':value': 'c1' },
        ConsistentRead: true,
        Limit: 25,
      },
    ]);
  });

  it.each([
    ['own', [false]],
    ['retained', [true]],
    ['all', [false, true]],
  ] as const)('partitions: %s reads only those partitions', async (partitions, retained) => {
    docMock.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => ({ Items: [{ value: input.ExpressionAttributeValues[':value'] }] }));

    const pages = [];
    for await (const page of readCustomerItems(doc, getStore('orders'), 'c1', { env, partitions })) pages.push(page);

    expect(pages.map((page) => page.retained)).toEqual(retained);
    expect(docMock.commandCalls(QueryCommand)).toHaveLength(retained.length);
  });

  it('yields no empty page, yet follows the key of an empty page to the next', async () => {
    docMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [], LastEvaluatedKey: { customerId: 'c1', entryId: 'e0' } })
      .resolvesOnce({ LastEvaluatedKey: { customerId: 'c1', entryId: 'e1' } })
      .resolvesOnce({ Items: [{ customerId: 'c1', entryId: 'e2' }] });

    const pages = [];
    for await (const page of readCustomerItems(doc, getStore('marketing'), 'c1', { env })) pages.push(page);

    expect(pages).toEqual([{ items: [{ customerId: 'c1', entryId: 'e2' }], retained: false }]);
    expect(docMock.commandCalls(QueryCommand).map((call) => call.args[0].input.ExclusiveStartKey)).toEqual([
      undefined,
      { customerId: 'c1', entryId: 'e0' },
      { customerId: 'c1', entryId: 'e1' },
    ]);
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

  it('has no sort key attribute for a table without one', () => {
    expect(Object.keys(primaryKeyOf(getStore('contact-history'), { contactId: 'k1', customerId: 'c1' }))).toEqual(['contactId']);
  });

  it('refuses a store without a table schema', () => {
    expect(() => primaryKeyOf(getStore('audit'), { key: 'x' })).toThrow('Store "audit" has no table schema');
  });
});

describe('stillPresent', () => {
  const replacements = restoredAfterEach();
  const contact = (n: number) => ({ contactId: `k${n}`, customerId: 'c1', note: 'hello' });

  /** Records the backoff delays instead of waiting them out. */
  function instantTimers(): number[] {
    const delays: number[] = [];
    const real = globalThis.setTimeout;
    replacements.replace(
      () => {
        globalThis.setTimeout = ((callback: () => void, ms: number) => {
          delays.push(ms);
          return real(callback, 0);
        }) as typeof setTimeout;
      },
      () => {
        globalThis.setTimeout = real;
      },
    );
    return delays;
  }

  it('reads the keys consistently from the table, 100 keys a call, and answers the items still there', async () => {
    docMock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { contactId: string }[] }> }) => ({
      Responses: { 'dsr-contact-history': input.RequestItems['dsr-contact-history']!.Keys.filter((key) => key.contactId !== 'k3') },
    }));
    const items = Array.from({ length: 150 }, (_, n) => contact(n));

    const present = await stillPresent(doc, getStore('contact-history'), items, { env });

    const calls = docMock.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems!['dsr-contact-history']!);
    expect(calls.map((request) => request.Keys!.length)).toEqual([100, 50]);
    expect(calls[0]).toMatchObject({ ConsistentRead: true });
    expect(calls[0]!.Keys![0]).toEqual({ contactId: 'k0' });
    expect(calls[1]!.Keys![0]).toEqual({ contactId: 'k100' });
    expect(present).toHaveLength(149);
    expect(present).not.toContainEqual({ contactId: 'k3' });
  });

  it('answers nothing, with no call, for no items', async () => {
    const present = await stillPresent(doc, getStore('contact-history'), [], { env });

    expect(present).toEqual([]);
    expect(docMock.commandCalls(BatchGetCommand)).toHaveLength(0);
  });

  it('retries unprocessed keys with exponential backoff from the base delay', async () => {
    const delays = instantTimers();
    docMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { 'dsr-contact-history': [{ contactId: 'k1' }] }, UnprocessedKeys: { 'dsr-contact-history': { Keys: [{ contactId: 'k2' }, { contactId: 'k3' }] } } })
      .resolvesOnce({ UnprocessedKeys: { 'dsr-contact-history': { Keys: [{ contactId: 'k3' }] } } })
      .resolvesOnce({ Responses: { 'dsr-contact-history': [{ contactId: 'k3' }] } });

    const present = await stillPresent(doc, getStore('contact-history'), [contact(1), contact(2), contact(3)], { env, baseDelayMs: 10 });

    expect(present).toEqual([{ contactId: 'k1' }, { contactId: 'k3' }]);
    expect(docMock.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems!['dsr-contact-history']!.Keys)).toEqual([
      [{ contactId: 'k1' }, { contactId: 'k2' }, { contactId: 'k3' }],
      [{ contactId: 'k2' }, { contactId: 'k3' }],
      [{ contactId: 'k3' }],
    ]);
    expect(delays).toEqual([10, 20]);
  });

  it('waits 50 ms before the first retry by default', async () => {
    const delays = instantTimers();
    docMock.on(BatchGetCommand).resolvesOnce({ UnprocessedKeys: { 'dsr-contact-history': { Keys: [{ contactId: 'k1' }] } } }).resolves({});

    await stillPresent(doc, getStore('contact-history'), [contact(1)], { env });

    expect(delays).toEqual([50]);
  });

  it('keys left unprocessed after maxAttempts → StoreUnavailable naming the store and the count', async () => {
    instantTimers();
    docMock.on(BatchGetCommand).resolves({ UnprocessedKeys: { 'dsr-contact-history': { Keys: [{ contactId: 'k1' }, { contactId: 'k2' }] } } });

    const outcome = stillPresent(doc, getStore('contact-history'), [contact(1), contact(2)], { env, maxAttempts: 3 });

    await expect(outcome).rejects.toThrow(StoreUnavailable);
    await expect(outcome).rejects.toThrow('Store "contact-history" left 2 keys unprocessed after 3 attempts');
    expect(docMock.commandCalls(BatchGetCommand)).toHaveLength(3);
  });

  it('makes 8 attempts by default', async () => {
    instantTimers();
    docMock.on(BatchGetCommand).resolves({ UnprocessedKeys: { 'dsr-contact-history': { Keys: [{ contactId: 'k1' }] } } });

    await expect(stillPresent(doc, getStore('contact-history'), [contact(1)], { env })).rejects.toThrow('after 8 attempts');
    expect(docMock.commandCalls(BatchGetCommand)).toHaveLength(8);
  });

  it('wraps a failing read into a store error naming the store', async () => {
    docMock.on(BatchGetCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    await expect(stillPresent(doc, getStore('contact-history'), [contact(1)], { env })).rejects.toThrow(/Store "contact-history" failed/);
  });
});

describe('scanSegmentPages', () => {
  it('follows LastEvaluatedKey through one segment with the projection', async () => {
    docMock
      .on(ScanCommand)
      .resolvesOnce({ Items: [{ contactId: 'a' }], LastEvaluatedKey: { contactId: 'a' } })
      .resolvesOnce({ Items: [{ contactId: 'b' }] });

    const items = await collect(scanSegmentPages(doc, getStore('orders'), { segment: 2, totalSegments: 8, attributes: ['customerId', 'status'] }, env));

    expect(items).toEqual([{ contactId: 'a' }, { contactId: 'b' }]);
    const inputs = docMock.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(inputs[0]).toEqual({
      TableName: 'dsr-orders',
      Segment: 2,
      TotalSegments: 8,
      ProjectionExpression: '#a0, #a1',
      ExpressionAttributeNames: { '#a0': 'customerId', '#a1': 'status' },
      ExclusiveStartKey: undefined,
    });
    expect(inputs[1]!.ExclusiveStartKey).toEqual({ contactId: 'a' });
  });

  it("fails with the store's named error", async () => {
    docMock.on(ScanCommand).rejects(Object.assign(new Error('no such table'), { name: 'ResourceNotFoundException' }));

    await expect(collect(scanSegmentPages(doc, getStore('orders'), { segment: 0, totalSegments: 1, attributes: ['customerId'] }, env))).rejects.toBeInstanceOf(StoreFailed);
  });
});
