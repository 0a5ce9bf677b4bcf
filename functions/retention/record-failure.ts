import { getStore, resourceName } from '../core/data-map';
import { recordFailure, recordFailureInput, writeReportOutput } from '../core/retention/report';
import { s3Client } from '../shared/clients';
import { logger, taskHandler } from '../shared/handler';

/** `Record Failure` of the retention workflow: writes the failed run's report (see `recordFailure`). */
export const handler = taskHandler(
  recordFailureInput,
  async (input) => {
    const result = await recordFailure({ s3: s3Client(), auditBucket: resourceName(getStore('audit')) }, input);
    logger.info('retention run failed', { runId: input.runId, error: input.error.Error });
    return result;
  },
  writeReportOutput,
);
