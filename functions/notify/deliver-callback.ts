import { deliverCallback, statusChangedEvent } from '../core/callback';
import { readFunctionSettings } from '../core/settings';
import { logger, taskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Event-rule target: POSTs a signed status callback to the request's `callbackUrl` (never fails the request). */
export const handler = taskHandler(statusChangedEvent, async (event) => {
  const settings = readFunctionSettings();
  const outcome = await deliverCallback(
    {
      ledger: ledgerFromEnv(),
      secret: process.env.DSR_CALLBACK_SECRET ?? '',
      fetch,
      maxAttempts: settings.callbackMaxAttempts,
      baseDelayMs: settings.callbackBaseDelayMs,
      timeoutMs: 10_000,
    },
    event,
  );
  logger.info('callback', { requestId: outcome.requestId, status: outcome.status, delivered: outcome.delivered, attempts: outcome.attempts, reason: outcome.reason });
  return outcome;
});
