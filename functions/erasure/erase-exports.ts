import { erasureConfig } from '../core/erasure/config';
import { eraseCustomerExports, eraseExportsInput } from '../core/erasure/exports';
import { eraseStoreOutput } from '../core/erasure/erase-store';
import { s3Client } from '../shared/clients';
import { logger, subjectTaskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Eraser `erase-exports`: deletes every archive volume and staging object of the customer's exports. */
export const handler = subjectTaskHandler(eraseExportsInput, async (input) => {
  const config = erasureConfig();
  const result = await eraseCustomerExports({ s3: s3Client(), ledger: ledgerFromEnv(), auditBucket: config.auditBucket, retry: config.retry, concurrency: config.concurrency }, input);
  logger.info('store erased', { store: result.store, deleted: result.deleted, versionsDeleted: result.versionsDeleted });
  return result;
}, eraseStoreOutput);
