import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RectificationVerificationFailed } from '../../functions/core/errors';
import { newRequestRecord } from '../../functions/core/ledger';
import type { Corrections } from '../../functions/core/rectification/corrections';
import { verifyRectification } from '../../functions/core/rectification/verify';

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
});
