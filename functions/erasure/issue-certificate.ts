import { erasureConfig } from '../core/erasure/config';
import { issueCertificate, issueCertificateInput, issueCertificateOutput } from '../core/erasure/certificate';
import { documentClient, s3Client } from '../shared/clients';
import { logger, subjectTaskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Workflow task `issue-certificate`: writes the certificate of erasure once and returns its summary. */
export const handler = subjectTaskHandler(issueCertificateInput, async (input) => {
  const result = await issueCertificate(
    {
      s3: s3Client(),
      doc: documentClient(),
      auditBucket: erasureConfig().auditBucket,
      request: (requestId) => ledgerFromEnv().get(requestId),
    },
    input,
  );
  logger.info('certificate issued', { key: result.certificate.key, retainedRecords: result.certificate.retainedRecords });
  return result;
}, issueCertificateOutput);
