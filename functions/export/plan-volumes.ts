import { planVolumes, planVolumesInput, planVolumesOutput } from '../core/export/plan';
import { logger, taskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';
import { exportDeps } from './export-deps';

/** Workflow task `plan-volumes`: splits the collected files into ZIP volumes and stages the plan. */
export const handler = taskHandler(planVolumesInput, async (input) => {
  const result = await planVolumes({ ...exportDeps(), requestedAt: async (requestId) => (await ledgerFromEnv().get(requestId)).createdAt }, input);
  logger.info('volumes planned', { volumes: result.volumes.length });
  return result;
}, planVolumesOutput);
