import { getStore, resourceName } from '../core/data-map';
import { verificationOutput } from '../core/processing/certificate';
import { restrictionStepInput, verifyRestriction } from '../core/processing/restriction';
import { documentClient, s3Client } from '../shared/clients';
import { logger, subjectTaskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Workflow task `verify-restriction`: reads the restriction back through the processing check (see `verifyRestriction`). */
export const handler = subjectTaskHandler(restrictionStepInput, async (input) => {
  const result = await verifyRestriction({ doc: documentClient(), s3: s3Client(), auditBucket: resourceName(getStore('audit')), ledger: ledgerFromEnv() }, input);
  logger.info('restriction verified', { checks: result.checks.length });
  return result;
}, verificationOutput);
