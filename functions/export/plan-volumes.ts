import { planVolumes, planVolumesInput, planVolumesOutput } from '../core/export/plan';
import type { RequestRecord } from '../core/ledger';
import { logger, taskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';
import { exportDeps } from './export-deps';

/** Workflow task `plan-volumes`: splits the collected files into ZIP volumes and stages the plan. */
export const handler = taskHandler(planVolumesInput, async (input) => {
  const records = new Map<string, Promise<RequestRecord>>();
  const record = (requestId: string): Promise<RequestRecord> => {
    if (!records.has(requestId)) records.set(requestId, ledgerFromEnv().get(requestId));
    return records.get(requestId)!;
  };
  const result = await planVolumes(
    { ...exportDeps(process.env, input.requestId), requestedAt: async (requestId) => (await record(requestId)).createdAt, requestedLocale: async (requestId) => (await record(requestId)).locale },
    input,
  );
  logger.info('volumes planned', { volumes: result.volumeCount });
  return result;
}, planVolumesOutput);
