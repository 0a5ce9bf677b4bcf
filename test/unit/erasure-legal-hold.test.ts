import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkLegalHold, checkLegalHoldInput, contactHoldReason, legalHoldOutput, MAX_LISTED_REASONS, orderHoldReasons } from '../../functions/core/erasure/legal-hold';
import { customerKey } from '../../functions/core/keyed-hash';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);

beforeEach(() => {
  docMock.reset();
  docMock.on(QueryCommand).resolves({ Items: [] });
});

describe('orderHoldReasons', () => {
  it.each([
    [{ orderId: 'o1', status: 'delivered', paymentStatus: 'paid' }, []],
    [{ orderId: 'o1', status: 'cancelled', paymentStatus: 'pending' }, []],
    [{ orderId: 'o1', status: 'cancelled', paymentStatus: 'refunded' }, []],
    [{ orderId: 'o1', status: 'placed', paymentStatus: 'paid' }, ['order o1: not yet delivered (status placed)']],
    [{ orderId: 'o1', status: 'shipped', paymentStatus: 'pending' }, ['order o1: not yet delivered (status shipped)']],
    [{ orderId: 'o1', status: 'delivered', paymentStatus: 'pending' }, ['order o1: not yet paid']],
    [{ orderId: 'o1', status: 'delivered', paymentStatus: 'disputed' }, ['order o1: payment disputed']],
    [{ orderId: 'o1', status: 'cancelled', paymentStatus: 'disputed' }, ['order o1: payment disputed']],
    [{ orderId: 'o1', status: 'shipped', paymentStatus: 'disputed' }, ['order o1: not yet delivered (status shipped)', 'order o1: payment disputed']],
    [{ orderId: 7 }, ['order 7: not yet delivered (status undefined)']],
  ])('%j → %j', (order, expected) => {
    expect(orderHoldReasons(order)).toEqual(expected);
  });
});

describe('contactHoldReason', () => {
  it.each([
    [{ contactId: 'k1', legalClaim: true }, 'contact k1: complaint flagged as a legal claim'],
    [{ contactId: 'k1', legalClaim: false }, undefined],
    [{ contactId: 'k1', legalClaim: 'true' }, undefined],
    [{ contactId: 'k1' }, undefined],
  ])('%j → %j', (contact, expected) => {
    expect(contactHoldReason(contact)).toBe(expected);
  });
});

describe('checkLegalHold', () => {
  it('reads only the customer\'s own orders (consistently) and contacts (through their index): a retained invoice never holds an erasure', async () => {
    docMock
      .on(QueryCommand, { ExpressionAttributeValues: { ':value': `retained#${customerKey('c1', env.DSR_HASH_KEY)}` } })
      .resolves({ Items: [{ orderId: 'o9', invoiceNumber: 'INV-9' }] });

    const result = await checkLegalHold(doc, { requestId: 'r1', customerId: 'c1' }, env);

    expect(result).toEqual({ held: false, reasons: [] });
    const queries = docMock.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries.map((query) => [query.TableName, query.IndexName, query.ExpressionAttributeValues?.[':value'], query.ConsistentRead])).toEqual([
      ['dsr-orders', undefined, 'c1', true],
      ['dsr-contact-history', 'byCustomer', 'c1', undefined],
    ]);
  });

  it('holds on orders and contacts in that order, across pages', async () => {
    docMock
      .on(QueryCommand, { TableName: 'dsr-orders', ExclusiveStartKey: undefined })
      .resolves({ Items: [{ orderId: 'o1', status: 'placed', paymentStatus: 'paid' }], LastEvaluatedKey: { customerId: 'c1', orderId: 'o1' } })
      .on(QueryCommand, { TableName: 'dsr-orders', ExclusiveStartKey: { customerId: 'c1', orderId: 'o1' } })
      .resolves({ Items: [{ orderId: 'o2', status: 'delivered', paymentStatus: 'pending' }] })
      .on(QueryCommand, { TableName: 'dsr-contact-history' })
      .resolves({ Items: [{ contactId: 'k1', legalClaim: true }, { contactId: 'k2', legalClaim: false }] });

    const result = await checkLegalHold(doc, { requestId: 'r1', customerId: 'c1' }, env);

    expect(result).toEqual({
      held: true,
      reasons: ['order o1: not yet delivered (status placed)', 'order o2: not yet paid', 'contact k1: complaint flagged as a legal claim'],
    });
  });

  it.each([
    [MAX_LISTED_REASONS, MAX_LISTED_REASONS, undefined],
    [MAX_LISTED_REASONS + 1, MAX_LISTED_REASONS + 1, 'and 1 more'],
    [30, MAX_LISTED_REASONS + 1, 'and 10 more'],
  ])('lists %i reasons as %i lines (summary %j)', async (count, lines, summary) => {
    docMock
      .on(QueryCommand, { TableName: 'dsr-orders' })
      .resolves({ Items: Array.from({ length: count }, (_, i) => ({ orderId: `o${i}`, status: 'placed', paymentStatus: 'paid' })) });

    const result = await checkLegalHold(doc, { requestId: 'r1', customerId: 'c1' }, env);

    expect(result.held).toBe(true);
    expect(result.reasons).toHaveLength(lines);
    expect(result.reasons[MAX_LISTED_REASONS - 1]).toBe(`order o${MAX_LISTED_REASONS - 1}: not yet delivered (status placed)`);
    expect(result.reasons[MAX_LISTED_REASONS]).toBe(summary);
  });
});

describe('check-legal-hold contracts', () => {
  it('takes a request id only and returns held with its reasons', () => {
    expect(checkLegalHoldInput.parse({ requestId: 'r1', customerId: 'c1' })).toStrictEqual({ requestId: 'r1' });
    expect(legalHoldOutput.parse({ held: true, reasons: ['order o1: not yet paid'] })).toStrictEqual({ held: true, reasons: ['order o1: not yet paid'] });
    expect(() => checkLegalHoldInput.parse({})).toThrow();
    expect(() => legalHoldOutput.parse({ reasons: [] })).toThrow();
    expect(() => legalHoldOutput.parse({ held: false })).toThrow();
  });
});

describe('checkLegalHold', () => {
  const env = { DSR_HASH_KEY: 'k'.repeat(40) };
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
  const docMock = mockClient(doc);

  beforeEach(() => {
    docMock.reset();
  });

  const orders = (items: Record<string, unknown>[]) =>
    docMock.on(QueryCommand, { TableName: 'dsr-orders', ExpressionAttributeValues: { ':value': 'c1' } }).resolves({ Items: items });

  beforeEach(() => {
    docMock.on(QueryCommand).resolves({ Items: [] });
  });

  it('holds undelivered, unpaid and disputed orders and legal-claim contacts, naming only ids', async () => {
    orders([
      { orderId: 'o1', status: 'shipped', paymentStatus: 'paid', customerNote: 'secret' },
      { orderId: 'o2', status: 'delivered', paymentStatus: 'pending' },
      { orderId: 'o3', status: 'delivered', paymentStatus: 'disputed' },
      { orderId: 'o4', status: 'delivered', paymentStatus: 'paid' },
      { orderId: 'o5', status: 'cancelled', paymentStatus: 'refunded' },
    ]);
    docMock.on(QueryCommand, { TableName: 'dsr-contact-history' }).resolves({
      Items: [
        { contactId: 'k1', legalClaim: true, subject: 'lawyer letter' },
        { contactId: 'k2', legalClaim: false },
      ],
    });

    const result = await checkLegalHold(doc, { requestId: 'r1', customerId: 'c1' }, env);

    expect(result).toEqual({
      held: true,
      reasons: [
        'order o1: not yet delivered (status shipped)',
        'order o2: not yet paid',
        'order o3: payment disputed',
        'contact k1: complaint flagged as a legal claim',
      ],
    });
  });

  it('does not hold a customer whose orders are delivered and paid, or cancelled', async () => {
    orders([
      { orderId: 'o1', status: 'delivered', paymentStatus: 'paid' },
      { orderId: 'o2', status: 'cancelled', paymentStatus: 'pending' },
    ]);

    const result = await checkLegalHold(doc, { requestId: 'r1', customerId: 'c1' }, env);

    expect(result).toEqual({ held: false, reasons: [] });
  });

  it('summarises long reason lists', async () => {
    orders(Array.from({ length: 30 }, (_, i) => ({ orderId: `o${i}`, status: 'placed', paymentStatus: 'pending' })));

    const result = await checkLegalHold(doc, { requestId: 'r1', customerId: 'c1' }, env);

    expect(result.reasons).toHaveLength(MAX_LISTED_REASONS + 1);
    expect(result.reasons.at(-1)).toBe('and 10 more');
  });
});
