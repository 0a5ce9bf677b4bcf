import { erasureConfig } from '../core/erasure/config';
import { verifyCustomerExports, verifyExportsInput } from '../core/erasure/exports';
import { verifyResultSchema } from '../core/export/collect';
import { s3Client } from '../shared/clients';
import { logger, subjectTaskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Collector `collect-exports` (verify mode only): counts what is left of the customer's exports after an erasure. */
export const handler = subjectTaskHandler(verifyExportsInput, async (input) => {
  const result = await verifyCustomerExports({ s3: s3Client(), ledger: ledgerFromEnv(), auditBucket: erasureConfig().auditBucket }, input);
  logger.info('store collected', { store: result.store, mode: 'verify', items: result.items });
  return result;
}, verifyResultSchema);
