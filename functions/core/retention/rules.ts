import {
  addPeriod,
  DATA_MAP,
  periodText,
  type AfterDateRule,
  type InactiveAccountRule,
  type RetentionPeriod,
  type RetentionRule,
  type StoreDefinition,
  type UntilDateRule,
} from '../data-map';

/**
 * The retention rules of the data map, evaluated: when a record or object is past its rule. A record
 * is past its rule only once the end of its period lies strictly before `now`; a record without the
 * date the rule counts from (an open contact has no `closedAt`) never is.
 */

/** A rule the retention sweep enforces by reading the store (the others: account lifetime, S3 lifecycle, none). */
export type SweptRule = AfterDateRule | UntilDateRule | InactiveAccountRule;

/** One store with the rule the sweep enforces in it. */
export interface SweptStore {
  store: StoreDefinition;
  rule: SweptRule;
}

/** True for a rule the sweep enforces. */
export function isSwept(rule: RetentionRule): rule is SweptRule {
  return rule.kind === 'after-attribute' || rule.kind === 'after-metadata' || rule.kind === 'until-attribute' || rule.kind === 'inactive-account';
}

/** Every store with a swept rule, in data-map order (a store has at most one). */
export function sweptStores(dataMap: readonly StoreDefinition[] = DATA_MAP): SweptStore[] {
  return dataMap.flatMap((store) => {
    const rules = store.retentionRules.filter(isSwept);
    if (rules.length > 1) throw new Error(`Store "${store.id}" has more than one swept retention rule`);
    return rules.map((rule) => ({ store, rule }));
  });
}

/** The swept rule of a store; throws for a store the sweep does not enforce a rule in. */
export function sweptStore(storeId: string, dataMap: readonly StoreDefinition[] = DATA_MAP): SweptStore {
  const found = sweptStores(dataMap).find((entry) => entry.store.id === storeId);
  if (!found) throw new Error(`Store "${storeId}" has no rule the retention sweep enforces`);
  return found;
}

/** An ISO date value as a Date, or undefined when absent or not a date. */
export function dateOf(value: unknown): Date | undefined {
  // An empty string is not a date either: `new Date('')` is invalid.
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** When the period after `from` ends, or undefined without a start. */
export function periodEnd(from: Date | undefined, period: RetentionPeriod): Date | undefined {
  return from && addPeriod(from, period);
}

/**
 * When a record (table item, or an object's user metadata) expires under a dated rule, or undefined
 * when it never does (no date, or `when` not met).
 */
export function expiryOf(rule: AfterDateRule | UntilDateRule, record: Record<string, unknown>): Date | undefined {
  if (rule.kind === 'until-attribute') return dateOf(record[rule.attribute]);
  if (rule.when && !rule.when.in.includes(String(record[rule.when.attribute]))) return undefined;
  return periodEnd(dateOf(record[rule.attribute]), rule.period);
}

/** True when the record is past its dated rule at `now` (its period ended strictly before). */
export function isPastRule(rule: AfterDateRule | UntilDateRule, record: Record<string, unknown>, now: Date): boolean {
  const expiry = expiryOf(rule, record);
  return expiry !== undefined && expiry.getTime() < now.getTime();
}

/** The inactive-account rule with its period from the setting (`inactiveAccountMonths`). */
export function inactivePeriod(months: number): RetentionPeriod {
  return { amount: months, unit: 'months' };
}

/**
 * True when an account is inactive at `now`: its latest activity (last login, else creation, and its
 * latest order) lies more than `period` back. An account with no date at all is never inactive.
 */
export function isInactive(activity: readonly (string | undefined)[], period: RetentionPeriod, now: Date): boolean {
  const dates = activity.map(dateOf).filter((date): date is Date => date !== undefined);
  if (dates.length === 0) return false;
  const latest = new Date(Math.max(...dates.map((date) => date.getTime())));
  return addPeriod(latest, period).getTime() < now.getTime();
}

/** The period phrases a customer-facing text states (`2 years`, `90 days`, `1 day`). */
export function statedPeriods(text: string): string[] {
  return [...text.matchAll(/\b(\d+) (days?|months?|years?)\b/g)].map((match) => match[0]);
}

/**
 * The periods a store's retention text states that no enforcing rule of the store has (its own `{period}`
 * filled in, so text and rule agree); empty when every stated period is enforced. Every rule kind with a
 * period enforces it (the sweep, or an S3 lifecycle rule); `account-lifetime` and `none` have none.
 */
export function unenforcedPeriods(store: Pick<StoreDefinition, 'retention' | 'retentionRules'>): string[] {
  const enforced = new Set<string>();
  for (const rule of store.retentionRules) if ('period' in rule) enforced.add(periodText(rule.period));
  return statedPeriods(store.retention).filter((phrase) => !enforced.has(phrase));
}
