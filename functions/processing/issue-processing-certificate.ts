import { getStore, resourceName } from '../core/data-map';
import { issueProcessingCertificate, issueProcessingCertificateInput, issueProcessingCertificateOutput } from '../core/processing/certificate';
import { s3Client } from '../shared/clients';
import { logger, subjectTaskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Workflow task `issue-processing-certificate`: writes the certificate of a restriction or objection once (see `issueProcessingCertificate`). */
export const handler = subjectTaskHandler(issueProcessingCertificateInput, async (input) => {
  const ledger = ledgerFromEnv();
  const result = await issueProcessingCertificate({ s3: s3Client(), auditBucket: resourceName(getStore('audit')), request: (requestId) => ledger.get(requestId) }, input);
  logger.info('certificate issued', { key: result.certificate.key });
  return result;
}, issueProcessingCertificateOutput);
