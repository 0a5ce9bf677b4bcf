import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { CONSENT_WITHDRAWAL_METRICS } from './consent-withdrawal';
import type { Ledger, RequestRecord } from './ledger';

/**
 * Deadline check (GDPR Art. 12(3): answer within one month): finds the open requests past their
 * `dueAt` or due within 5 days and publishes their counts as CloudWatch metrics (EMF, namespace `DSR`:
 * `OverdueRequests`, `DueSoonRequests`) for the alarm. A consent withdrawal is due "as soon as possible"
 * (hours, not a month): it counts as due soon within `CONSENT_WITHDRAWAL_DUE_SOON_HOURS` of its `dueAt`
 * and has its own metrics too (`CONSENT_WITHDRAWAL_METRICS`), so its short target gets its own alarm.
 */

/** How many days before `dueAt` a request counts as due soon (every type but a consent withdrawal). */
export const DUE_SOON_DAYS = 5;

/** Hours before `dueAt` a consent withdrawal counts as due soon (its target is 72 hours by default). */
export const CONSENT_WITHDRAWAL_DUE_SOON_HOURS = 24;

/** How long before its `dueAt` a request of a type counts as due soon, in milliseconds. */
export function dueSoonWindowMs(type: RequestRecord['type']): number {
  return type === 'consent-withdrawal' ? CONSENT_WITHDRAWAL_DUE_SOON_HOURS * 3_600_000 : DUE_SOON_DAYS * 86_400_000;
}

/** Where an open request of `type` due at `dueAt` stands at `now`: overdue, due soon (within its type's window), or neither. */
export function deadlineState(type: RequestRecord['type'], dueAt: string, now: Date): 'overdue' | 'due-soon' | undefined {
  const due = Date.parse(dueAt);
  if (due < now.getTime()) return 'overdue';
  return due <= now.getTime() + dueSoonWindowMs(type) ? 'due-soon' : undefined;
}

/** One open request near or past its deadline. */
export interface DeadlineEntry {
  requestId: string;
  type: RequestRecord['type'];
  brand: RequestRecord['brand'];
  status: RequestRecord['status'];
  dueAt: string;
}

/** The requests past due and due soon. */
export interface DeadlineReport {
  checkedAt: string;
  overdue: DeadlineEntry[];
  dueSoon: DeadlineEntry[];
}

/** Splits the open requests due within their type's window (`dueSoonWindowMs`) into overdue and due soon, and publishes the counts (totals and consent withdrawals). */
export async function checkDeadlines(deps: { ledger: Ledger; metrics: Metrics; now?: () => Date }): Promise<DeadlineReport> {
  const now = deps.now ? deps.now() : new Date();
  const horizon = new Date(now.getTime() + DUE_SOON_DAYS * 86_400_000).toISOString();
  const records = await deps.ledger.openDueBefore(horizon);
  const entries = records
    .map(({ requestId, type, brand, status, dueAt }) => ({ requestId, type, brand, status, dueAt }))
    .sort((left, right) => left.dueAt.localeCompare(right.dueAt));
  const overdue = entries.filter((entry) => deadlineState(entry.type, entry.dueAt, now) === 'overdue');
  const dueSoon = entries.filter((entry) => deadlineState(entry.type, entry.dueAt, now) === 'due-soon');
  const withdrawals = (list: DeadlineEntry[]) => list.filter((entry) => entry.type === 'consent-withdrawal').length;
  deps.metrics.addMetric('OverdueRequests', MetricUnit.Count, overdue.length);
  deps.metrics.addMetric('DueSoonRequests', MetricUnit.Count, dueSoon.length);
  deps.metrics.addMetric(CONSENT_WITHDRAWAL_METRICS.overdue, MetricUnit.Count, withdrawals(overdue));
  deps.metrics.addMetric(CONSENT_WITHDRAWAL_METRICS.dueSoon, MetricUnit.Count, withdrawals(dueSoon));
  deps.metrics.publishStoredMetrics();
  return { checkedAt: now.toISOString(), overdue, dueSoon };
}
