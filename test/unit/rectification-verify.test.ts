import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RectificationVerificationFailed } from '../../functions/core/errors';
import { newRequestRecord } from '../../functions/core/ledger';
import type { Corrections } from '../../functions/core/rectification/corrections';
import { verifyRectification, verifyRectificationOutput } from '../../functions/core/rectification/verify';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);
const NOW = new Date('2026-03-01T10:00:00.000Z');
const shipping = { type: 'shipping', street: 'Rokin 2', postalCode: '1012 KT', city: 'Amsterdam', country: 'NL' };

/** A ledger answering a rectification record with the corrections. */
function ledgerWith(corrections: Corrections) {
  const record = { ...newRequestRecord({ requestId: 'r1', type: 'rectification', customerId: 'c1', customerKey: 'k', brand: 'albelli', bodyHash: 'h', receivedAt: NOW }), corrections };
  return { get: async () => record };
}

beforeEach(() => {
  docMock.reset();
  docMock.on(QueryCommand).resolves({ Items: [] });
});

describe('verifyRectification', () => {
  it('passes when every covered record holds the corrections, counting what it checked per store', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({ Item: { customerId: 'c1', lastName: 'Right', email: 'right@example.org' } });
    docMock.on(QueryCommand, { TableName: 'dsr-marketing' }).resolves({ Items: [{ customerId: 'c1', entryId: 'consent#email', address: 'right@example.org' }, { customerId: 'c1', entryId: 'segment#x' }] });

    // Act
    const result = await verifyRectification({ doc, ledger: ledgerWith({ lastName: 'Right', email: 'right@example.org' }), env }, { requestId: 'r1', customerId: 'c1' }, () => NOW);

    // Assert
    expect(result).toEqual({
      verifiedAt: NOW.toISOString(),
      stores: [
        { store: 'customer-profile', checked: 1, mismatches: 0 },
        { store: 'marketing', checked: 1, mismatches: 0 },
        { store: 'orders', checked: 0, mismatches: 0 },
      ],
    });
    expect(docMock.commandCalls(GetCommand)[0]!.args[0].input).toMatchObject({ Key: { customerId: 'c1' }, ConsistentRead: true });
    expect(verifyRectificationOutput.parse(result)).toStrictEqual(result);
  });

  it('compares addresses as values, whatever the order of their attributes', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({ Item: undefined });
    docMock.on(QueryCommand, { TableName: 'dsr-orders', ExpressionAttributeValues: { ':value': 'c1' } }).resolves({
      Items: [{ customerId: 'c1', orderId: 'o1', status: 'placed', shippingAddress: { country: 'NL', city: 'Amsterdam', postalCode: '1012 KT', street: 'Rokin 2', type: 'shipping' } }],
    });

    // Act
    const result = await verifyRectification({ doc, ledger: ledgerWith({ addresses: [shipping as NonNullable<Corrections['addresses']>[number]] }), env }, { requestId: 'r1', customerId: 'c1' }, () => NOW);

    // Assert
    expect(result.stores.find((entry) => entry.store === 'orders')).toEqual({ store: 'orders', checked: 1, mismatches: 0 });
  });

  it('fails naming each store whose records differ, with counts and never the values', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({ Item: { customerId: 'c1', lastName: 'Wrong', email: 'right@example.org' } });
    docMock.on(QueryCommand, { TableName: 'dsr-marketing' }).resolves({ Items: [{ customerId: 'c1', entryId: 'consent#email', address: 'old@example.org' }] });

    // Act
    const verifying = verifyRectification({ doc, ledger: ledgerWith({ lastName: 'Right', email: 'right@example.org' }), env }, { requestId: 'r1', customerId: 'c1' }, () => NOW);

    // Assert
    await expect(verifying).rejects.toThrow(RectificationVerificationFailed);
    await expect(verifying).rejects.toThrow('Corrections not held after rectification in: customer-profile (1 of 1 records), marketing (1 of 1 records)');
  });

  it('counts the mismatches of a store among the records it checked', async () => {
    // Arrange: two unshipped orders, one still shipping to the old address
    docMock.on(GetCommand).resolves({ Item: undefined });
    docMock.on(QueryCommand, { TableName: 'dsr-orders' }).resolves({
      Items: [
        { customerId: 'c1', orderId: 'o1', status: 'placed', shippingAddress: shipping },
        { customerId: 'c1', orderId: 'o2', status: 'in_production', shippingAddress: { ...shipping, street: 'Old 1' } },
        { customerId: 'c1', orderId: 'o3', status: 'shipped', shippingAddress: { ...shipping, street: 'Old 1' } },
      ],
    });

    // Act
    const verifying = verifyRectification({ doc, ledger: ledgerWith({ addresses: [shipping as NonNullable<Corrections['addresses']>[number]] }), env }, { requestId: 'r1', customerId: 'c1' }, () => NOW);

    // Assert
    await expect(verifying).rejects.toThrow(new RectificationVerificationFailed('Corrections not held after rectification in: orders (1 of 2 records)'));
  });

  it('fails a profile that holds only some of the corrected fields', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({ Item: { customerId: 'c1', firstName: 'Right', lastName: 'Old' } });

    // Act
    const verifying = verifyRectification({ doc, ledger: ledgerWith({ firstName: 'Right', lastName: 'Right' }), env }, { requestId: 'r1', customerId: 'c1' }, () => NOW);

    // Assert
    await expect(verifying).rejects.toThrow(new RectificationVerificationFailed('Corrections not held after rectification in: customer-profile (1 of 1 records)'));
  });

  it('reads the tables the environment names, strongly consistent, and only the customer\'s own partitions', async () => {
    // Arrange
    const named = { ...env, DSR_TABLE_CUSTOMER_PROFILE: 'prod-profile', DSR_TABLE_MARKETING: 'prod-marketing', DSR_TABLE_ORDERS: 'prod-orders' };
    docMock.on(GetCommand).resolves({ Item: undefined });

    // Act
    await verifyRectification({ doc, ledger: ledgerWith({ email: 'a@example.org', addresses: [shipping as NonNullable<Corrections['addresses']>[number]] }), env: named }, { requestId: 'r1', customerId: 'c1' }, () => NOW);

    // Assert
    expect(docMock.commandCalls(GetCommand).map((call) => call.args[0].input)).toEqual([{ TableName: 'prod-profile', Key: { customerId: 'c1' }, ConsistentRead: true }]);
    expect(docMock.commandCalls(QueryCommand).map(({ args: [{ input }] }) => [input.TableName, input.ExpressionAttributeValues, input.ConsistentRead])).toEqual([
      ['prod-marketing', { ':value': 'c1' }, true],
      ['prod-orders', { ':value': 'c1' }, true],
    ]);
  });

  it('stamps the read-back with the current time by default', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({ Item: { customerId: 'c1', lastName: 'Right' } });
    const before = Date.now();

    // Act
    const result = await verifyRectification({ doc, ledger: ledgerWith({ lastName: 'Right' }), env }, { requestId: 'r1', customerId: 'c1' });

    // Assert
    expect(Date.parse(result.verifiedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(result.verifiedAt)).toBeLessThanOrEqual(Date.now());
  });
});
