import { describe, expect, it } from 'vitest';
import { getStore, type AfterDateRule, type UntilDateRule } from '../../functions/core/data-map';
import { customerKeyOfItem, isRuleRecord, retainedPartitionPrefix, ruleAttributes } from '../../functions/core/retention/table-rule';

/** A dated table rule applied to scanned items: the attributes a scan reads, the rule's records, whose they are. */

const keyOf = (customerId: string) => `key-${customerId}`;
const contacts = getStore('contact-history');
const orders = getStore('orders');
const ledger = getStore('request-ledger');
const contactRule = contacts.retentionRules[0] as AfterDateRule;
const invoiceRule = orders.retentionRules.find((rule) => rule.kind === 'until-attribute') as UntilDateRule;
const ledgerRule = ledger.retentionRules.find((rule) => rule.kind === 'after-attribute') as AfterDateRule;

describe('customerKeyOfItem', () => {
  it('finds the customer of an item by retained partition, customerKey, or its customer id hashed', () => {
    // Act / Assert
    expect(customerKeyOfItem(orders, { customerId: 'retained#abc', orderId: 'o' }, keyOf)).toBe('abc');
    expect(customerKeyOfItem(orders, { customerId: 'c7', orderId: 'o' }, keyOf)).toBe('key-c7');
    expect(customerKeyOfItem(ledger, { requestId: 'r', customerKey: 'k' }, keyOf)).toBe('k');
    expect(customerKeyOfItem(contacts, { contactId: 'ct', customerId: 'c8' }, keyOf)).toBe('key-c8');
    expect(customerKeyOfItem(contacts, { contactId: 'ct', customerId: 'c8', customerKey: 'own' }, keyOf)).toBe('own');
    expect(customerKeyOfItem(ledger, { requestId: 'open#x' }, keyOf)).toBeUndefined();
    expect(customerKeyOfItem(contacts, { contactId: 'ct', customerId: 8 }, keyOf)).toBeUndefined();
    // A store without retained partitions takes no key for a prefix, whatever its partition key starts with.
    expect(customerKeyOfItem(contacts, { contactId: 'undefined-ct', customerId: 'c8' }, keyOf)).toBe('key-c8');
  });
});

describe('retainedPartitionPrefix', () => {
  it('is the retained partitions\' prefix of an anonymise-and-retain store, and none of another', () => {
    // Act / Assert
    expect(retainedPartitionPrefix(orders)).toBe('retained#');
    expect(retainedPartitionPrefix(contacts)).toBeUndefined();
  });
});

describe('ruleAttributes', () => {
  it('reads the keys, the rule\'s date and condition, and the customer, each once', () => {
    // Act / Assert
    expect(ruleAttributes(contacts, contactRule)).toEqual(['contactId', 'closedAt', 'status', 'customerId']);
    expect(ruleAttributes(orders, invoiceRule)).toEqual(['customerId', 'orderId', 'retainUntil']);
    expect(ruleAttributes(ledger, ledgerRule)).toEqual(['requestId', 'updatedAt', 'status', 'customerKey']);
    expect(ruleAttributes(contacts, { ...contactRule, when: undefined })).toEqual(['contactId', 'closedAt', 'customerId']);
  });
});

describe('isRuleRecord', () => {
  it('covers only the retained partitions for a rule on retained records', () => {
    // Act / Assert
    expect(isRuleRecord(orders, invoiceRule, { customerId: 'retained#k', orderId: 'o' })).toBe(true);
    expect(isRuleRecord(orders, invoiceRule, { customerId: 'c1', orderId: 'o', retainUntil: '2020-01-01T00:00:00.000Z' })).toBe(false);
  });

  it('covers every item for a rule on a date in the record of a store that retains no partitions', () => {
    // Act / Assert
    expect(isRuleRecord(contacts, invoiceRule, { contactId: 'ct', retainUntil: '2020-01-01T00:00:00.000Z' })).toBe(true);
    expect(isRuleRecord(contacts, invoiceRule, { contactId: 'undefined-ct' })).toBe(true);
  });

  it('leaves out items without the attribute the rule\'s condition reads (the ledger\'s open markers)', () => {
    // Act / Assert
    expect(isRuleRecord(ledger, ledgerRule, { requestId: 'r1', status: 'in_progress' })).toBe(true);
    expect(isRuleRecord(ledger, ledgerRule, { requestId: 'open#erasure#k' })).toBe(false);
    expect(isRuleRecord(contacts, { ...contactRule, when: undefined }, { contactId: 'ct' })).toBe(true);
  });
});
