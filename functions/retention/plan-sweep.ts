import { getStore, resourceName } from '../core/data-map';
import { planSweep, planSweepInput, planSweepOutput } from '../core/retention/plan';
import { readFunctionSettings } from '../core/settings';
import { documentClient, s3Client } from '../shared/clients';
import { logger, taskHandler } from '../shared/handler';

/** `Plan Sweep`: collects the legal holds and writes the run file and segment manifest of a retention run (see `planSweep`). */
export const handler = taskHandler(
  planSweepInput,
  async (input) => {
    const settings = readFunctionSettings();
    const plan = await planSweep(
      {
        doc: documentClient(),
        s3: s3Client(),
        workBucket: resourceName(getStore('exports')),
        scanSegments: settings.retentionScanSegments,
        segmentItems: settings.retentionSegmentItems,
        maxConcurrency: settings.retentionMaxConcurrency,
        inactiveAccounts: { enabled: settings.inactiveAccountErasure === 'enabled', months: settings.inactiveAccountMonths },
      },
      input,
    );
    logger.info('retention sweep planned', { runId: plan.runId, segments: plan.segments, dryRun: plan.dryRun });
    return plan;
  },
  planSweepOutput,
);
