import { Metrics } from '@aws-lambda-powertools/metrics';
import { getStore, resourceName } from '../core/data-map';
import { writeReport, writeReportInput, writeReportOutput } from '../core/retention/report';
import { s3Client } from '../shared/clients';
import { logger, taskHandler } from '../shared/handler';

const metrics = new Metrics({ namespace: 'DSR', serviceName: 'dsr' });

/** `Write Report`: the run's report in the audit bucket and its per-store metrics (see `writeReport`). */
export const handler = taskHandler(
  writeReportInput,
  async (input) => {
    const result = await writeReport({ s3: s3Client(), auditBucket: resourceName(getStore('audit')), metrics }, input);
    logger.info('retention report written', { runId: input.runId, totals: result.totals });
    return result;
  },
  writeReportOutput,
);
