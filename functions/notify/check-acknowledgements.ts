import { Metrics } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { checkAcknowledgements } from '../core/notification-ledger';
import { readFunctionSettings } from '../core/settings';
import { logger, taskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

const metrics = new Metrics({ namespace: 'DSR', serviceName: 'dsr' });

/** Daily schedule target: publishes `UnacknowledgedNotifications` (Art. 19 notifications unacknowledged past `DSR_NOTIFICATION_ACK_DAYS`). */
export const handler = taskHandler(z.looseObject({}), async () => {
  const report = await checkAcknowledgements({ ...ledgerFromEnv().table(), metrics, days: readFunctionSettings().notificationAckDays });
  logger.info('acknowledgements checked', { unacknowledged: report.unacknowledged.length });
  return report;
});
