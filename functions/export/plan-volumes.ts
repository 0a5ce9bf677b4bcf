import { planVolumes, planVolumesInput } from '../core/export/plan';
import { logger, taskHandler } from '../shared/handler';
import { exportDeps } from './export-deps';

/** Workflow task `plan-volumes`: splits the collected files into ZIP volumes and stages the plan. */
export const handler = taskHandler(planVolumesInput, async (input) => {
  const result = await planVolumes(exportDeps(), input);
  logger.info('volumes planned', { volumes: result.volumes.length });
  return result;
});
