import { describe, expect, it } from 'vitest';
import { getStore, type AnonymiseAndRetainAction, type StoreDefinition } from '../../functions/core/data-map';
import { retainedPartition, retainedRecord, retainUntil } from '../../functions/core/erasure/anonymise';
import { StoreFailed } from '../../functions/core/errors';

/** Customer key of `cust-0001` under KEY, computed once with openssl (see keyed-hash.test.ts). */
const KEY = 'kat-hash-key-0123456789abcdef0123';
const CUST_0001_KEY = 'e8b449ab12ad65b6bc3bed67ef606872fe85adbc3a2ea2e750732a56e9c7afca';

describe('retainUntil', () => {
  it.each([
    ['2018-01-31T08:00:00.000Z', 7, '2025-01-31T23:59:59.999Z'],
    ['2020-02-29T10:00:00.000Z', 7, '2027-02-28T23:59:59.999Z'],
    ['2020-02-29T10:00:00.000Z', 4, '2024-02-29T23:59:59.999Z'],
    ['2021-12-31T23:30:00.000Z', 7, '2028-12-31T23:59:59.999Z'],
    ['2021-03-01T00:30:00+02:00', 7, '2028-02-28T23:59:59.999Z'],
    ['2021-06-15', 0, '2021-06-15T23:59:59.999Z'],
  ])('%s kept %i years → %s', (from, years, expected) => {
    expect(retainUntil(from, years)).toBe(expected);
  });

  it('refuses a start that is not a date', () => {
    expect(() => retainUntil('not a date', 7)).toThrow('retention start is not a date');
  });
});

describe('retainedPartition', () => {
  it('puts the keyed customer hash into every placeholder of the template', () => {
    const action = { ...(getStore('orders').erasure as AnonymiseAndRetainAction), retainedPartitionTemplate: 'retained#{customerKey}#{customerKey}' };

    expect(retainedPartition(getStore('orders').erasure as AnonymiseAndRetainAction, 'cust-0001', KEY)).toBe(`retained#${CUST_0001_KEY}`);
    expect(retainedPartition(action, 'cust-0001', KEY)).toBe(`retained#${CUST_0001_KEY}#${CUST_0001_KEY}`);
  });
});

describe('retainedRecord', () => {
  const orders = getStore('orders');
  const order = {
    customerId: 'cust-0001',
    orderId: 'o-1',
    invoiceNumber: 'INV-1',
    invoiceDate: '2020-02-29T10:00:00.000Z',
    orderedAt: '2020-02-20T10:00:00.000Z',
    netAmount: 100,
    vatAmount: 21,
    vatRate: 0.21,
    grossAmount: 121,
    country: 'NL',
    brand: 'albelli',
    shippingAddress: 'Damrak 1, Amsterdam',
    email: 'ada@example.com',
  };

  it('keeps the sort key, only the listed attributes the item has, and the end of retention, under the retained partition', () => {
    const record = retainedRecord(orders, order, 'retained#hash');

    expect(record).toStrictEqual({
      customerId: 'retained#hash',
      orderId: 'o-1',
      invoiceNumber: 'INV-1',
      invoiceDate: '2020-02-29T10:00:00.000Z',
      orderedAt: '2020-02-20T10:00:00.000Z',
      netAmount: 100,
      vatAmount: 21,
      vatRate: 0.21,
      grossAmount: 121,
      country: 'NL',
      brand: 'albelli',
      retainUntil: '2027-02-28T23:59:59.999Z',
    });
  });

  it('has no sort key when the table has none', () => {
    const unsorted: StoreDefinition = { ...orders, table: { partitionKey: 'customerId' } };

    const record = retainedRecord(unsorted, order, 'retained#hash');

    expect(Object.keys(record)).toEqual(['customerId', 'invoiceNumber', 'invoiceDate', 'orderedAt', 'netAmount', 'vatAmount', 'vatRate', 'grossAmount', 'country', 'brand', 'retainUntil']);
    expect(record.customerId).toBe('retained#hash');
  });

  it.each([
    ['missing', undefined],
    ['not a date', 'soon'],
    ['not a string', 20200229],
  ])('refuses (StoreFailed) a record whose retention start is %s, naming the store, the record and the attribute', (_, invoiceDate) => {
    const retain = () => retainedRecord(orders, { ...order, invoiceDate }, 'retained#hash');

    expect(retain).toThrow(StoreFailed);
    expect(retain).toThrow('Store "orders": record o-1 has no valid invoiceDate; it cannot be retained');
  });

  it('names no record when the table has no sort key', () => {
    const unsorted: StoreDefinition = { ...orders, table: { partitionKey: 'customerId' } };

    expect(() => retainedRecord(unsorted, { ...order, invoiceDate: undefined }, 'p')).toThrow('Store "orders": record  has no valid invoiceDate');
  });

  it.each([
    ['a store that deletes', getStore('customer-profile')],
    ['a store without a table', { ...orders, table: undefined }],
  ])('refuses %s', (_, store) => {
    expect(() => retainedRecord(store, order, 'p')).toThrow(`Store "${store.id}" does not anonymise and retain`);
  });
});

describe('retainUntil (invoice dates)', () => {
  it('ends 7 years after the invoice date, at the end of that day (UTC)', () => {
    expect(retainUntil('2024-03-15T10:00:00.000Z', 7)).toBe('2031-03-15T23:59:59.999Z');
  });

  it('moves 29 February to 28 February in a common year', () => {
    expect(retainUntil('2024-02-29T08:00:00.000Z', 7)).toBe('2031-02-28T23:59:59.999Z');
  });
});
