import { checkLegalHold, checkLegalHoldInput, legalHoldOutput } from '../core/erasure/legal-hold';
import { documentClient } from '../shared/clients';
import { logger, subjectTaskHandler } from '../shared/handler';

/** Workflow task `check-legal-hold`: `{held, reasons}` for the customer's orders and contacts (see `checkLegalHold`). */
export const handler = subjectTaskHandler(checkLegalHoldInput, async (input) => {
  const result = await checkLegalHold(documentClient(), input);
  logger.info('legal hold checked', { held: result.held, reasons: result.reasons.length });
  return result;
}, legalHoldOutput);
