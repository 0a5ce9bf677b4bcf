import { z } from 'zod';
import { logger, taskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Scheduled sweep of the ledger's outbox: emits status events owed for over a minute (see `Ledger.flushPendingEvents`). */
export const handler = taskHandler(z.looseObject({}), async () => {
  const outcome = await ledgerFromEnv().flushPendingEvents();
  logger.info('owed status events emitted', { emitted: outcome.emitted });
  return outcome;
});
