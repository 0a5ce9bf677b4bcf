import { applyRectification, applyRectificationOutput, rectificationStepInput } from '../core/rectification/apply';
import { documentClient } from '../shared/clients';
import { logger, subjectTaskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Workflow task `apply-rectification`: sets the request's corrections in the profile, consents and unshipped orders (see `applyRectification`). */
export const handler = subjectTaskHandler(rectificationStepInput, async (input) => {
  const result = await applyRectification({ doc: documentClient(), ledger: ledgerFromEnv() }, input);
  logger.info('corrections applied', { stores: result.stores.map(({ store, records }) => ({ store, records })) });
  return result;
}, applyRectificationOutput);
