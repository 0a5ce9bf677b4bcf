import { getStore, resourceName } from '../core/data-map';
import { verificationOutput } from '../core/processing/certificate';
import { objectionStepInput, verifyObjection } from '../core/processing/objection';
import { documentClient, s3Client } from '../shared/clients';
import { logger, subjectTaskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Workflow task `verify-objection`: reads the objection back (see `verifyObjection`). */
export const handler = subjectTaskHandler(objectionStepInput, async (input) => {
  const result = await verifyObjection({ doc: documentClient(), s3: s3Client(), auditBucket: resourceName(getStore('audit')), ledger: ledgerFromEnv() }, input);
  logger.info('objection verified', { checks: result.checks.length });
  return result;
}, verificationOutput);
