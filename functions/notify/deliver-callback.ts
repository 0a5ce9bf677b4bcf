import { deliverCallback, statusChangedEvent } from '../core/callback';
import { logger, taskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Event-rule target: POSTs a signed status callback to the request's `callbackUrl` (never fails the request). */
export const handler = taskHandler(statusChangedEvent, async (event) => {
  const outcome = await deliverCallback(
    {
      ledger: ledgerFromEnv(),
      secret: process.env.DSR_CALLBACK_SECRET ?? '',
      fetch,
      maxAttempts: Number(process.env.DSR_CALLBACK_MAX_ATTEMPTS ?? 5),
      baseDelayMs: Number(process.env.DSR_CALLBACK_BASE_DELAY_MS ?? 1000),
      timeoutMs: 10_000,
    },
    event,
  );
  logger.info('callback', { requestId: outcome.requestId, status: outcome.status, delivered: outcome.delivered, attempts: outcome.attempts, reason: outcome.reason });
  return outcome;
});
