import { getStore, resourceName } from '../core/data-map';
import { issueRectificationCertificate, issueRectificationCertificateInput, issueRectificationCertificateOutput } from '../core/rectification/certificate';
import { s3Client } from '../shared/clients';
import { logger, subjectTaskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Workflow task `issue-rectification-certificate`: writes the certificate of rectification once and returns its summary. */
export const handler = subjectTaskHandler(issueRectificationCertificateInput, async (input) => {
  const result = await issueRectificationCertificate(
    { s3: s3Client(), auditBucket: resourceName(getStore('audit')), request: (requestId) => ledgerFromEnv().get(requestId) },
    input,
  );
  logger.info('rectification certificate issued', { key: result.certificate.key });
  return result;
}, issueRectificationCertificateOutput);
