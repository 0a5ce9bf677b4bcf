import { getStore, resourceName } from '../core/data-map';
import { applyRestriction, applyRestrictionOutput, restrictionStepInput } from '../core/processing/restriction';
import { documentClient, s3Client } from '../shared/clients';
import { logger, subjectTaskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Workflow task `apply-restriction`: records or lifts the customer's restriction (see `applyRestriction`). */
export const handler = subjectTaskHandler(restrictionStepInput, async (input) => {
  const result = await applyRestriction({ doc: documentClient(), s3: s3Client(), auditBucket: resourceName(getStore('audit')), ledger: ledgerFromEnv() }, input);
  logger.info('restriction applied', { action: result.action, scope: result.scope, changes: result.changes });
  return result;
}, applyRestrictionOutput);
