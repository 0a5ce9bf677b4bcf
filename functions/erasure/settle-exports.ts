import { settleCustomerExports, settleExportsInput, settleExportsOutput } from '../core/erasure/exports';
import { sfnClient } from '../shared/clients';
import { logger, subjectTaskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Workflow task `settle-exports`: cancels the customer's open exports and counts the running ones (see `settleCustomerExports`). */
export const handler = subjectTaskHandler(settleExportsInput, async (input) => {
  const result = await settleCustomerExports({ sfn: sfnClient(), ledger: ledgerFromEnv() }, input);
  logger.info('exports settled', { running: result.running });
  return result;
}, settleExportsOutput);
