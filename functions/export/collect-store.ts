import { collectInput, collectOutput, collectStore } from '../core/export/collect';
import { logger, subjectTaskHandler } from '../shared/handler';
import { exportDeps } from './export-deps';

/** Collector `collect-<store>`: export mode stages the store's records/listing; verify mode counts what is left. */
export const handler = subjectTaskHandler(collectInput, async (input) => {
  const result = await collectStore(exportDeps(process.env, input.requestId), input);
  logger.info('store collected', { store: input.store, mode: input.mode, items: result.items });
  return result;
}, collectOutput);
