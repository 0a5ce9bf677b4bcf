import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import dynalite from 'dynalite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getStore, resourceName, type StoreDefinition } from '../../functions/core/data-map';
import { InvalidInput, StoreFailed, StoreUnavailable } from '../../functions/core/errors';
import { newRequestRecord, type RequestRecord } from '../../functions/core/ledger';
import { applyRectification, applyRectificationOutput, correctionsOf, rectificationStepInput, rectificationTargets, type RectificationDeps } from '../../functions/core/rectification/apply';
import type { Corrections } from '../../functions/core/rectification/corrections';
import { tableDefinition } from '../../local/runtime';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const STORES = ['customer-profile', 'marketing', 'orders'].map((id) => getStore(id));
let server: ReturnType<typeof dynalite>;
let doc: DynamoDBDocumentClient;

const address = (street: string, type: 'home' | 'shipping' | 'billing' = 'home') => ({ type, street, postalCode: '1011 AB', city: 'Amsterdam', country: 'NL' });

/** The seeded records of a customer: a profile, three consents and a segment, and orders in several statuses. */
function customerRecords(customerId: string): { store: StoreDefinition; item: Record<string, unknown> }[] {
  const [profile, marketing, orders] = STORES as [StoreDefinition, StoreDefinition, StoreDefinition];
  const order = (orderId: string, status: string) => ({
    store: orders,
    item: { customerId, orderId, status, invoiceNumber: `INV-${orderId}`, shippingAddress: address('Old 1', 'shipping'), billingAddress: address('Bill 1', 'billing') },
  });
  return [
    { store: profile, item: { customerId, brand: 'albelli', firstName: 'Old', lastName: 'Name', email: 'old@example.org', phone: '+3161111111', locale: 'nl-NL', addresses: [address('Old 1')] } },
    { store: marketing, item: { customerId, entryId: 'consent#email', channel: 'email', granted: true, address: 'old@example.org' } },
    { store: marketing, item: { customerId, entryId: 'consent#sms', channel: 'sms', granted: false, address: '+3161111111' } },
    { store: marketing, item: { customerId, entryId: 'consent#post', channel: 'post', granted: true, address: 'Old 1, 1011 AB Amsterdam' } },
    { store: marketing, item: { customerId, entryId: 'segment#families', segment: 'families' } },
    order('o1', 'placed'),
    order('o2', 'in_production'),
    order('o3', 'shipped'),
    order('o4', 'delivered'),
  ];
}

/** A ledger answering one rectification record with the given corrections. */
function ledgerWith(customerId: string, corrections?: Corrections): RectificationDeps['ledger'] {
  const record: RequestRecord = {
    ...newRequestRecord({ requestId: 'r1', type: 'rectification', customerId, customerKey: 'k', brand: 'albelli', bodyHash: 'h', receivedAt: new Date('2026-01-01T00:00:00Z') }),
    ...(corrections ? { corrections } : {}),
  };
  return { get: async () => record };
}

async function item(storeId: string, key: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
  return (await doc.send(new GetCommand({ TableName: resourceName(getStore(storeId)), Key: key, ConsistentRead: true }))).Item;
}

beforeAll(async () => {
  server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const dynamo = new DynamoDBClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'eu-west-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
  for (const store of STORES) await dynamo.send(new CreateTableCommand(tableDefinition(store, resourceName(store))));
  doc = DynamoDBDocumentClient.from(dynamo);
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(async () => {
  for (const customerId of ['c1', 'c12']) for (const { store, item: record } of customerRecords(customerId)) await doc.send(new PutCommand({ TableName: resourceName(store), Item: record }));
});

const everything: Corrections = {
  email: 'new@example.org',
  phone: '+3162222222',
  firstName: 'New',
  lastName: 'Person',
  locale: 'en-GB',
  addresses: [address('New 2'), address('Ship 3', 'shipping')],
};

describe('rectificationStepInput', () => {
  it('takes the request id from the step input and refuses an empty one', () => {
    expect(rectificationStepInput.parse({ requestId: 'r1', customerId: 'c1' })).toStrictEqual({ requestId: 'r1' });
    expect(rectificationStepInput.safeParse({ requestId: '' }).success).toBe(false);
  });
});

describe('correctionsOf', () => {
  it('answers the record\'s corrections', async () => {
    await expect(correctionsOf(ledgerWith('c1', { firstName: 'A' }), 'r1')).resolves.toEqual({ firstName: 'A' });
  });

  it('refuses a record without corrections (final already, or not a rectification)', async () => {
    await expect(correctionsOf(ledgerWith('c1'), 'r1')).rejects.toThrow(new InvalidInput('Request r1 holds no corrections to apply'));
  });

  it('refuses corrections on a request that is not a rectification', async () => {
    // Arrange
    const record = { ...newRequestRecord({ requestId: 'r2', type: 'erasure', customerId: 'c1', customerKey: 'k', brand: 'albelli', bodyHash: 'h', receivedAt: new Date('2026-01-01T00:00:00Z') }), corrections: { firstName: 'A' } };

    // Act / Assert
    await expect(correctionsOf({ get: async () => record }, 'r2')).rejects.toThrow(new InvalidInput('Request r2 holds no corrections to apply'));
  });
});

describe('rectificationTargets', () => {
  it('lists the profile with every corrected field, the consents of the corrected addresses and the unshipped orders', async () => {
    // Act
    const targets = await rectificationTargets({ doc, ledger: ledgerWith('c1'), env }, 'c1', everything);

    // Assert
    expect(targets.map(({ store, fields, records }) => ({ store, fields, keys: records.map((record) => record.key) }))).toEqual([
      { store: 'customer-profile', fields: ['email', 'phone', 'firstName', 'lastName', 'locale', 'addresses'], keys: [{ customerId: 'c1' }] },
      { store: 'marketing', fields: ['email', 'phone', 'addresses'], keys: ['consent#email', 'consent#post', 'consent#sms'].map((entryId) => ({ customerId: 'c1', entryId })) },
      { store: 'orders', fields: ['addresses'], keys: ['o1', 'o2'].map((orderId) => ({ customerId: 'c1', orderId })) },
    ]);
    expect(targets[1]!.records.map((record) => record.expected)).toEqual([{ address: 'new@example.org' }, { address: 'New 2, 1011 AB Amsterdam' }, { address: '+3162222222' }]);
    expect(targets[2]!.records[0]!.expected).toEqual({ shippingAddress: address('Ship 3', 'shipping') });
  });

  it('touches no consent or order for a name-only correction, and no profile that does not exist', async () => {
    // Act
    const named = await rectificationTargets({ doc, ledger: ledgerWith('c1'), env }, 'c1', { lastName: 'X' });
    const nobody = await rectificationTargets({ doc, ledger: ledgerWith('c9'), env }, 'c9', everything);

    // Assert
    expect(named.map(({ store, fields, records }) => [store, fields, records.length])).toEqual([['customer-profile', ['lastName'], 1], ['marketing', [], 0], ['orders', [], 0]]);
    expect(nobody.map(({ records }) => records.length)).toEqual([0, 0, 0]);
  });

  it('reports no postal consent and no order for an empty address list (which the schema refuses)', async () => {
    // Act
    const [, marketing, orders] = await rectificationTargets({ doc, ledger: ledgerWith('c1'), env }, 'c1', { email: 'new@example.org', addresses: [] });

    // Assert
    expect([marketing!.fields, marketing!.records.map((record) => record.key)]).toEqual([['email'], [{ customerId: 'c1', entryId: 'consent#email' }]]);
    expect([orders!.fields, orders!.records]).toEqual([[], []]);
  });

  it('takes a home address as the shipping address when no shipping address is corrected', async () => {
    const [, , orders] = await rectificationTargets({ doc, ledger: ledgerWith('c1'), env }, 'c1', { addresses: [address('Home 9')] });

    expect(orders!.records.map((record) => record.expected)).toEqual([{ shippingAddress: address('Home 9', 'shipping') }, { shippingAddress: address('Home 9', 'shipping') }]);
  });
});

describe('applyRectification', () => {
  it('sets the corrections in c1\'s stores only, never the invoice data or shipped orders, and reports field names and counts', async () => {
    // Arrange
    const before12 = await Promise.all(customerRecords('c12').map(({ store, item: record }) => item(store.id, store.id === 'customer-profile' ? { customerId: 'c12' } : record.entryId ? { customerId: 'c12', entryId: record.entryId } : { customerId: 'c12', orderId: record.orderId })));

    // Act
    const result = await applyRectification({ doc, ledger: ledgerWith('c1', everything), env }, { requestId: 'r1', customerId: 'c1' });

    // Assert
    expect(result.stores).toEqual([
      { store: 'customer-profile', fields: ['email', 'phone', 'firstName', 'lastName', 'locale', 'addresses'], records: 1 },
      { store: 'marketing', fields: ['email', 'phone', 'addresses'], records: 3 },
      { store: 'orders', fields: ['addresses'], records: 2 },
    ]);
    expect(applyRectificationOutput.parse(result)).toStrictEqual(result);
    expect(await item('customer-profile', { customerId: 'c1' })).toMatchObject({ ...everything, brand: 'albelli' });
    expect((await item('marketing', { customerId: 'c1', entryId: 'consent#sms' }))!).toMatchObject({ address: '+3162222222', granted: false });
    expect(await item('marketing', { customerId: 'c1', entryId: 'segment#families' })).toEqual({ customerId: 'c1', entryId: 'segment#families', segment: 'families' });
    for (const orderId of ['o1', 'o2']) expect((await item('orders', { customerId: 'c1', orderId }))!.shippingAddress).toEqual(address('Ship 3', 'shipping'));
    for (const orderId of ['o3', 'o4']) expect((await item('orders', { customerId: 'c1', orderId }))!.shippingAddress).toEqual(address('Old 1', 'shipping'));
    for (const orderId of ['o1', 'o2', 'o3', 'o4']) expect((await item('orders', { customerId: 'c1', orderId }))!.billingAddress).toEqual(address('Bill 1', 'billing'));
    const after12 = await Promise.all(customerRecords('c12').map(({ store, item: record }) => item(store.id, store.id === 'customer-profile' ? { customerId: 'c12' } : record.entryId ? { customerId: 'c12', entryId: record.entryId } : { customerId: 'c12', orderId: record.orderId })));
    expect(after12).toEqual(before12);
  });

  it('leaves the same state and reports the same counts when applied twice', async () => {
    // Arrange
    const deps = { doc, ledger: ledgerWith('c1', everything), env };
    const first = await applyRectification(deps, { requestId: 'r1', customerId: 'c1' });
    const state = await item('customer-profile', { customerId: 'c1' });

    // Act
    const second = await applyRectification(deps, { requestId: 'r1', customerId: 'c1' });

    // Assert
    expect(second).toEqual(first);
    expect(await item('customer-profile', { customerId: 'c1' })).toEqual(state);
  });

  it('skips an order that ships between the read and the write (counted as not corrected)', async () => {
    // Arrange: the order ships as soon as the orders are read
    const shipping = {
      ...doc,
      send: async (command: unknown) => {
        const response = await doc.send(command as never);
        if (command instanceof QueryCommand && command.input.TableName === resourceName(getStore('orders'))) {
          await doc.send(new UpdateCommand({ TableName: resourceName(getStore('orders')), Key: { customerId: 'c1', orderId: 'o1' }, UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'shipped' } }));
        }
        return response;
      },
    } as unknown as DynamoDBDocumentClient;

    // Act
    const result = await applyRectification({ doc: shipping, ledger: ledgerWith('c1', { addresses: [address('Ship 4', 'shipping')] }), env }, { requestId: 'r1', customerId: 'c1' });

    // Assert
    expect(result.stores.find((entry) => entry.store === 'orders')).toEqual({ store: 'orders', fields: ['addresses'], records: 1 });
    expect((await item('orders', { customerId: 'c1', orderId: 'o1' }))!.shippingAddress).toEqual(address('Old 1', 'shipping'));
    expect((await item('orders', { customerId: 'c1', orderId: 'o2' }))!.shippingAddress).toEqual(address('Ship 4', 'shipping'));
  });

  it('reports no field and no record for a customer no store holds', async () => {
    // Act
    const result = await applyRectification({ doc, ledger: ledgerWith('c9', everything), env }, { requestId: 'r1', customerId: 'c9' });

    // Assert
    expect(result.stores).toEqual([
      { store: 'customer-profile', fields: [], records: 0 },
      { store: 'marketing', fields: [], records: 0 },
      { store: 'orders', fields: [], records: 0 },
    ]);
    expect(await item('customer-profile', { customerId: 'c9' })).toBeUndefined();
  });

  it('does not recreate a profile deleted between the read and the write', async () => {
    // Arrange: the profile is deleted as soon as it has been read
    const deleting = {
      ...doc,
      send: async (command: unknown) => {
        const response = await doc.send(command as never);
        if (command instanceof GetCommand) await doc.send(new DeleteCommand({ TableName: resourceName(getStore('customer-profile')), Key: { customerId: 'c1' } }));
        return response;
      },
    } as unknown as DynamoDBDocumentClient;

    // Act
    const result = await applyRectification({ doc: deleting, ledger: ledgerWith('c1', { lastName: 'X' }), env }, { requestId: 'r1', customerId: 'c1' });

    // Assert
    expect(result.stores[0]).toEqual({ store: 'customer-profile', fields: [], records: 0 });
    expect(await item('customer-profile', { customerId: 'c1' })).toBeUndefined();
  });

  it('reads no consent and no order for a name-only correction', async () => {
    // Arrange
    const sent: string[] = [];
    const recording = {
      ...doc,
      send: async (command: { constructor: { name: string } }) => {
        sent.push(command.constructor.name);
        return doc.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;

    // Act
    await applyRectification({ doc: recording, ledger: ledgerWith('c1', { firstName: 'X' }), env }, { requestId: 'r1', customerId: 'c1' });

    // Assert
    expect(sent).toEqual(['GetCommand', 'UpdateCommand']);
    expect(await item('customer-profile', { customerId: 'c1' })).toMatchObject({ firstName: 'X', lastName: 'Name' });
  });

  it('names the profile store, retryable, when its read is throttled', async () => {
    // Arrange
    const failing = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    mockClient(failing).on(GetCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));

    // Act / Assert
    await expect(applyRectification({ doc: failing, ledger: ledgerWith('c1', { lastName: 'X' }), env }, { requestId: 'r1', customerId: 'c1' })).rejects.toThrow(
      new StoreUnavailable('Store "customer-profile" is unavailable: ThrottlingException: slow down'),
    );
  });

  it('names the store when a write fails', async () => {
    // Arrange
    const failing = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    const mock = mockClient(failing);
    mock.on(GetCommand).resolves({ Item: { customerId: 'c1' } });
    mock.on(UpdateCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    // Act / Assert
    await expect(applyRectification({ doc: failing, ledger: ledgerWith('c1', { lastName: 'X' }), env }, { requestId: 'r1', customerId: 'c1' })).rejects.toThrow(
      new StoreFailed('Store "customer-profile" failed: AccessDeniedException: denied'),
    );
  });
});
