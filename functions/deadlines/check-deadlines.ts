import { Metrics } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { checkDeadlines } from '../core/deadlines';
import { logger, taskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

const metrics = new Metrics({ namespace: 'DSR', serviceName: 'dsr' });

/** Daily schedule target: publishes `OverdueRequests`/`DueSoonRequests` and returns the lists. */
export const handler = taskHandler(z.looseObject({}), async () => {
  const report = await checkDeadlines({ ledger: ledgerFromEnv(), metrics });
  logger.info('deadlines checked', { overdue: report.overdue.length, dueSoon: report.dueSoon.length });
  return report;
});
