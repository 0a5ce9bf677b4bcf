import { erasureConfig } from '../core/erasure/config';
import { eraseStore, eraseStoreInput } from '../core/erasure/erase-store';
import { documentClient, s3Client } from '../shared/clients';
import { logger, taskHandler } from '../shared/handler';

/** Eraser `erase-<storeId>`: erases one store of the customer as the data map says (see `eraseStore`). */
export const handler = taskHandler(eraseStoreInput, async (input) => {
  const result = await eraseStore({ doc: documentClient(), s3: s3Client(), retry: erasureConfig().retry }, input);
  logger.info('store erased', { store: result.store, deleted: result.deleted, retained: result.retained, versionsDeleted: result.versionsDeleted });
  return result;
});
