import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Ledger, RequestRecord } from './ledger';
import { DUE_SOON_DAYS } from './requests';

/**
 * Deadline check (GDPR Art. 12(3): answer within one month): finds the open requests past their
 * `dueAt` or due within 5 days and publishes their counts as CloudWatch metrics (EMF, namespace `DSR`:
 * `OverdueRequests`, `DueSoonRequests`) for the alarm.
 */

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

/** Splits the open requests due within `DUE_SOON_DAYS` into overdue and due soon, and publishes the counts. */
export async function checkDeadlines(deps: { ledger: Ledger; metrics: Metrics; now?: () => Date }): Promise<DeadlineReport> {
  const now = deps.now ? deps.now() : new Date();
  const horizon = new Date(now.getTime() + DUE_SOON_DAYS * 86_400_000).toISOString();
  const records = await deps.ledger.openDueBefore(horizon);
  const entries = records
    .map(({ requestId, type, brand, status, dueAt }) => ({ requestId, type, brand, status, dueAt }))
    .sort((left, right) => left.dueAt.localeCompare(right.dueAt));
  const overdue = entries.filter((entry) => entry.dueAt < now.toISOString());
  const dueSoon = entries.filter((entry) => entry.dueAt >= now.toISOString());
  deps.metrics.addMetric('OverdueRequests', MetricUnit.Count, overdue.length);
  deps.metrics.addMetric('DueSoonRequests', MetricUnit.Count, dueSoon.length);
  deps.metrics.publishStoredMetrics();
  return { checkedAt: now.toISOString(), overdue, dueSoon };
}
