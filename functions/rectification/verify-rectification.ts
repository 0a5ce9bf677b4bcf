import { rectificationStepInput } from '../core/rectification/apply';
import { verifyRectification, verifyRectificationOutput } from '../core/rectification/verify';
import { documentClient } from '../shared/clients';
import { logger, subjectTaskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Workflow task `verify-rectification`: reads every store back; fails `RectificationVerificationFailed` naming a store that differs. */
export const handler = subjectTaskHandler(rectificationStepInput, async (input) => {
  const result = await verifyRectification({ doc: documentClient(), ledger: ledgerFromEnv() }, input);
  logger.info('corrections verified', { stores: result.stores });
  return result;
}, verifyRectificationOutput);
