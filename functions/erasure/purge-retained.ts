import { erasureConfig } from '../core/erasure/config';
import { purgeRetained, purgeRetainedInput } from '../core/erasure/purge';
import { documentClient } from '../shared/clients';
import { logger, taskHandler } from '../shared/handler';

/** Scheduled `purge-retained`: deletes retained invoice records whose `retainUntil` has passed (see `purgeRetained`). */
export const handler = taskHandler(purgeRetainedInput, async (input) => {
  const result = await purgeRetained({ doc: documentClient(), retry: erasureConfig().retry }, input.now ? new Date(input.now) : new Date());
  logger.info('retained records purged', { stores: result.stores });
  return result;
});
