import { describe, expect, it } from 'vitest';
import { addPeriod, DATA_MAP, getStore, periodText, type AfterDateRule, type UntilDateRule } from '../../functions/core/data-map';
import { dateOf, expiryOf, inactivePeriod, isInactive, isPastRule, isSwept, statedPeriods, sweptStore, sweptStores, unenforcedPeriods } from '../../functions/core/retention/rules';

/** The data map's retention rules evaluated at boundary dates: a day before and a day after each period. */

const NOW = new Date('2030-06-15T12:00:00.000Z');
const DAY = 86_400_000;

/** The instant `days` days (and the calendar period) away from NOW. */
function shifted(period: Parameters<typeof addPeriod>[1], days: number): string {
  // The start whose period ends exactly at NOW, moved by `days`.
  const start = new Date(NOW.getTime());
  if (period.unit === 'days') start.setUTCDate(start.getUTCDate() - period.amount);
  else start.setUTCMonth(start.getUTCMonth() - (period.unit === 'years' ? period.amount * 12 : period.amount));
  return new Date(start.getTime() + days * DAY).toISOString();
}

/** The swept rule of a store, as a dated rule. */
function datedRule(storeId: string): AfterDateRule | UntilDateRule {
  const { rule } = sweptStore(storeId);
  if (rule.kind === 'inactive-account') throw new Error('not dated');
  return rule;
}

describe('sweptStores', () => {
  it('enforces a rule by sweep in the contact history, call recordings, retained invoices, the ledger and the profiles only', () => {
    // Act
    const swept = sweptStores().map(({ store, rule }) => [store.id, rule.kind]);

    // Assert
    expect(swept).toEqual([
      ['customer-profile', 'inactive-account'],
      ['orders', 'until-attribute'],
      ['contact-history', 'after-attribute'],
      ['call-recordings', 'after-metadata'],
      ['request-ledger', 'after-attribute'],
    ]);
    expect(() => sweptStore('uploaded-photos')).toThrow('Store "uploaded-photos" has no rule the retention sweep enforces');
  });

  it('refuses a store with two swept rules', () => {
    // Arrange
    const store = { ...getStore('contact-history'), retentionRules: [...getStore('contact-history').retentionRules, ...getStore('contact-history').retentionRules] };

    // Act / Assert
    expect(() => sweptStores([store])).toThrow('Store "contact-history" has more than one swept retention rule');
  });

  it('tells swept rules from account-lifetime, lifecycle and none', () => {
    // Act
    const kinds = DATA_MAP.flatMap((store) => store.retentionRules).map((rule) => [rule.kind, isSwept(rule)]);

    // Assert
    expect(Object.fromEntries(kinds)).toEqual({ 'inactive-account': true, 'account-lifetime': false, 'until-attribute': true, 'after-attribute': true, 'after-metadata': true, lifecycle: false, none: false });
  });
});

describe('contact history: closedAt + 2 years, open contacts never', () => {
  const rule = datedRule('contact-history');

  it('expires a closed contact a day after its period and keeps it a day before', () => {
    // Assert
    expect(isPastRule(rule, { status: 'closed', closedAt: shifted(rule.period, -1) }, NOW)).toBe(true);
    expect(isPastRule(rule, { status: 'closed', closedAt: shifted(rule.period, 1) }, NOW)).toBe(false);
  });

  it('keeps a contact at the very end of its period, and every open contact or contact without closedAt', () => {
    // Assert
    expect(isPastRule(rule, { status: 'closed', closedAt: shifted(rule.period, 0) }, NOW)).toBe(false);
    expect(isPastRule(rule, { status: 'open', closedAt: '2001-01-01T00:00:00.000Z' }, NOW)).toBe(false);
    expect(isPastRule(rule, { status: 'closed' }, NOW)).toBe(false);
    expect(isPastRule(rule, { status: 'closed', closedAt: 'not a date' }, NOW)).toBe(false);
  });
});

describe('call recordings: recorded-at + 90 days', () => {
  const rule = datedRule('call-recordings');

  it('expires a recording 91 days after the call and keeps it after 89', () => {
    // Assert
    expect(rule.kind).toBe('after-metadata');
    expect(isPastRule(rule, { 'recorded-at': new Date(NOW.getTime() - 91 * DAY).toISOString() }, NOW)).toBe(true);
    expect(isPastRule(rule, { 'recorded-at': new Date(NOW.getTime() - 89 * DAY).toISOString() }, NOW)).toBe(false);
    expect(isPastRule(rule, {}, NOW)).toBe(false);
  });
});

describe('retained invoices: until retainUntil', () => {
  const rule = datedRule('orders');

  it('expires a retained invoice the day after retainUntil and keeps it the day before', () => {
    // Assert
    expect(rule).toMatchObject({ kind: 'until-attribute', attribute: 'retainUntil', records: 'retained' });
    expect(isPastRule(rule, { retainUntil: new Date(NOW.getTime() - DAY).toISOString() }, NOW)).toBe(true);
    expect(isPastRule(rule, { retainUntil: new Date(NOW.getTime() + DAY).toISOString() }, NOW)).toBe(false);
    expect(expiryOf(rule, { retainUntil: '2037-12-31T23:59:59.999Z' })).toEqual(new Date('2037-12-31T23:59:59.999Z'));
  });
});

describe('request ledger: closed requests 5 years after their last change', () => {
  const rule = datedRule('request-ledger');

  it('deletes a completed or cancelled request a day after 5 years and keeps it a day before', () => {
    // Assert
    for (const status of ['completed', 'cancelled']) {
      expect(isPastRule(rule, { status, updatedAt: shifted(rule.period, -1) }, NOW), status).toBe(true);
      expect(isPastRule(rule, { status, updatedAt: shifted(rule.period, 1) }, NOW), status).toBe(false);
    }
  });

  it('never deletes an open request or an open-request marker, however old', () => {
    // Assert
    for (const status of ['pending', 'in_progress', 'failed', 'on_hold']) expect(isPastRule(rule, { status, updatedAt: '2001-01-01T00:00:00.000Z' }, NOW), status).toBe(false);
    expect(isPastRule(rule, { requestId: 'open#erasure#k', holder: 'r1', claimedAt: '2001-01-01T00:00:00.000Z' }, NOW)).toBe(false);
  });
});

describe('inactive accounts: no login and no order for 36 months', () => {
  const period = inactivePeriod(36);

  it('finds an account inactive a day after 36 months without a login or an order, and active a day before', () => {
    // Assert
    expect(isInactive([shifted(period, -1)], period, NOW)).toBe(true);
    expect(isInactive([shifted(period, 1)], period, NOW)).toBe(false);
  });

  it('counts the latest of login and orders, and never finds an account without dates inactive', () => {
    // Assert
    expect(isInactive([shifted(period, -400), shifted(period, 1)], period, NOW)).toBe(false);
    expect(isInactive([undefined, shifted(period, -1), 'not a date'], period, NOW)).toBe(true);
    expect(isInactive([undefined], period, NOW)).toBe(false);
  });

  it('is the configured number of months, as people read it', () => {
    // Assert
    expect(periodText(inactivePeriod(36))).toBe('36 months');
    expect(periodText(inactivePeriod(1))).toBe('1 month');
  });

  it('keeps an account whose period ends exactly now', () => {
    // Assert
    expect(isInactive([shifted(period, 0)], period, NOW)).toBe(false);
    expect(isInactive([new Date(Date.parse(shifted(period, 0)) - 1).toISOString()], period, NOW)).toBe(true);
  });
});

describe('dates and periods', () => {
  it('adds calendar periods in UTC, clamping to the month\'s last day', () => {
    // Assert
    expect(addPeriod(new Date('2028-02-29T10:00:00.000Z'), { amount: 1, unit: 'years' })).toEqual(new Date('2029-02-28T10:00:00.000Z'));
    expect(addPeriod(new Date('2030-01-31T00:00:00.000Z'), { amount: 1, unit: 'months' })).toEqual(new Date('2030-02-28T00:00:00.000Z'));
    expect(addPeriod(new Date('2030-12-25T00:00:00.000Z'), { amount: 90, unit: 'days' })).toEqual(new Date('2031-03-25T00:00:00.000Z'));
    expect(addPeriod(new Date('2030-03-15T00:00:00.000Z'), { amount: 36, unit: 'months' })).toEqual(new Date('2033-03-15T00:00:00.000Z'));
  });

  it('reads only ISO date strings', () => {
    // Assert
    expect(dateOf('2030-01-01T00:00:00.000Z')).toEqual(new Date('2030-01-01T00:00:00.000Z'));
    expect([dateOf(''), dateOf(undefined), dateOf(42), dateOf('soon')]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('finds the period phrases a text states, and those no rule enforces', () => {
    // Assert
    expect(statedPeriods('kept 1 day, then 7 days; 2 years and 36 months; 5 yearly')).toEqual(['1 day', '7 days', '2 years', '36 months']);
    expect(statedPeriods('1 month, 1 year, 10 days, x12 days, 3 monthsly')).toEqual(['1 month', '1 year', '10 days']);
    expect(unenforcedPeriods({ retention: '90 days after the call', retentionRules: [{ kind: 'after-metadata', attribute: 'recorded-at', period: { amount: 90, unit: 'days' }, text: '{period} after the call' }] })).toEqual([]);
    expect(unenforcedPeriods({ retention: '90 days after the call', retentionRules: [{ kind: 'none', reason: 'r', text: '90 days after the call' }] })).toEqual(['90 days']);
  });

  it('counts the period of every enforcing rule kind as enforced, and none of a rule without a period', () => {
    // Arrange
    const retention = '2 years, 10 years, 36 months, 7 days, 1 day';
    const rules = [
      { kind: 'after-attribute', attribute: 'closedAt', period: { amount: 2, unit: 'years' }, text: '{period}' },
      { kind: 'until-attribute', attribute: 'retainUntil', period: { amount: 10, unit: 'years' }, records: 'retained', text: '{period}' },
      { kind: 'inactive-account', lastLoginAttribute: 'lastLoginAt', orderedAtAttribute: 'orderedAt', period: { amount: 36, unit: 'months' }, text: '{period}' },
      { kind: 'lifecycle', prefix: 'exports/', period: { amount: 7, unit: 'days' }, text: '{period}' },
      { kind: 'account-lifetime', text: '1 day' },
    ] as const;

    // Act / Assert
    expect(unenforcedPeriods({ retention, retentionRules: [...rules] })).toEqual(['1 day']);
    for (const rule of rules.slice(0, 4)) {
      const others = rules.filter((other) => other !== rule);
      expect(unenforcedPeriods({ retention, retentionRules: [...others] }), rule.kind).toHaveLength(2);
    }
  });
});
