import { erasureConfig } from '../core/erasure/config';
import { eraseStore, eraseStoreInput, eraseStoreOutput } from '../core/erasure/erase-store';
import { documentClient, s3Client } from '../shared/clients';
import { logger, subjectTaskHandler } from '../shared/handler';

/** Eraser `erase-<storeId>`: erases one store of the customer as the data map says (see `eraseStore`). */
export const handler = subjectTaskHandler(eraseStoreInput, async (input) => {
  const config = erasureConfig();
  const result = await eraseStore({ doc: documentClient(), s3: s3Client(), auditBucket: config.auditBucket, retry: config.retry, concurrency: config.concurrency }, input);
  logger.info('store erased', { store: result.store, deleted: result.deleted, retained: result.retained, versionsDeleted: result.versionsDeleted });
  return result;
}, eraseStoreOutput);
