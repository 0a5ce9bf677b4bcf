import { erasureConfig } from '../core/erasure/config';
import { applyObjection, applyObjectionOutput, objectionStepInput } from '../core/processing/objection';
import { documentClient, s3Client } from '../shared/clients';
import { logger, subjectTaskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Workflow task `apply-objection`: records the objection and withdraws, suppresses and deletes as its purpose says (see `applyObjection`). */
export const handler = subjectTaskHandler(objectionStepInput, async (input) => {
  const config = erasureConfig();
  const result = await applyObjection(
    { doc: documentClient(), s3: s3Client(), auditBucket: config.auditBucket, ledger: ledgerFromEnv(), retry: config.retry, concurrency: config.concurrency },
    input,
  );
  logger.info('objection applied', { purpose: result.purpose, changes: result.changes });
  return result;
}, applyObjectionOutput);
