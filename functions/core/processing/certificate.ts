import { z } from 'zod';
import { BRANDS } from '../brands';
import { writeJsonOnce } from '../connectors/s3-store';
import { getStore } from '../data-map';
import { certificateKey, certificateStepOutput, type CertificateStepDeps } from '../erasure/certificate';
import { InvalidInput } from '../errors';
import { customerKey } from '../keyed-hash';
import type { RequestRecord } from '../ledger';
import { certificateLifecycle, type CertificateLifecycle } from '../lifecycle';
import { notificationOutput } from '../notify-recipients';
import type { Subject } from '../subject';
import { workflowRequestId } from '../workflow-input';
import type { ObjectionParameters, RestrictionParameters } from './parameters';

/**
 * The certificate of a restriction (Art. 18) or an objection (Art. 21): a JSON document in the audit
 * bucket (`certificates/<requestId>.json`, the erasure certificate's key and write-once rule,
 * `writeJsonOnce`) with what the request changed per store (counts only), the verification, the
 * recipients told, who asked and how the customer was verified (`certificateLifecycle`). It holds the
 * customer's keyed hash, never the id. A replay returns the stored certificate's summary.
 */

/** Version of the document format. */
export const PROCESSING_CERTIFICATE_FORMAT = 1;

/** One change a step made in a store: what it did and to how many items (the same on every replay). */
export const changeSchema = z.object({ store: z.string(), action: z.string(), items: z.number().int().nonnegative() });

/** One change a step made in a store. */
export type Change = z.infer<typeof changeSchema>;

/** One verification check: the store read back, what was checked, and how many items still disagree (0: passed). */
export const verificationCheckSchema = z.object({ store: z.string(), check: z.string(), left: z.number().int().nonnegative() });

/** One verification check. */
export type VerificationCheck = z.infer<typeof verificationCheckSchema>;

/** Output of a verification step: when it read back, and each check (every one passed, or the step failed). */
export const verificationOutput = z.object({ verifiedAt: z.string(), checks: z.array(verificationCheckSchema) });

/** Output of a verification step. */
export type VerificationResult = z.infer<typeof verificationOutput>;

/** Input of `issue-processing-certificate`. */
export const issueProcessingCertificateInput = z.object({
  requestId: workflowRequestId,
  brand: z.enum(BRANDS),
  changes: z.array(changeSchema),
  verification: verificationOutput,
  notification: notificationOutput.pick({ notifiedAt: true, recipients: true }),
});

/** Parsed certificate input, with the customer resolved from the ledger. */
export type IssueProcessingCertificateInput = z.infer<typeof issueProcessingCertificateInput> & Subject;

/** The certificate document. */
export interface ProcessingCertificate {
  format: number;
  requestId: string;
  type: 'restriction' | 'objection';
  customerKey: string;
  brand: string;
  requestedAt: string;
  verifiedAt: string;
  issuedAt: string;
  /** What the request asked for. */
  request: { restriction: RestrictionParameters } | { objection: ObjectionParameters };
  stores: (Change & { title: string })[];
  verification: { result: 'passed'; checks: VerificationCheck[] };
  notifiedRecipients: { id: string; name: string; stores: string[]; notifiedAt: string }[];
  /** Who asked, how the customer was verified, the due date and its extension. */
  lifecycle: CertificateLifecycle;
}

/** The summary kept in the request's `result` (the certificate itself stays in the audit bucket). */
export interface ProcessingCertificateSummary {
  bucket: string;
  key: string;
  customerKey: string;
  requestedAt: string;
  verifiedAt: string;
  issuedAt: string;
  verification: 'passed';
  /** Items per store and action. */
  stores: Record<string, Record<string, number>>;
  notifiedRecipients: string[];
  lifecycle: CertificateLifecycle;
}

/** Output of `issue-processing-certificate`: the summary, which becomes the request's `result`. */
export const issueProcessingCertificateOutput = certificateStepOutput<ProcessingCertificateSummary>();

/** What the certificate step needs. */
export type ProcessingCertificateDeps = CertificateStepDeps;

/** The summary of a certificate. */
export function summariseProcessing(certificate: ProcessingCertificate, bucket: string): ProcessingCertificateSummary {
  const stores: Record<string, Record<string, number>> = {};
  for (const change of certificate.stores) stores[change.store] = { ...stores[change.store], [change.action]: change.items };
  return {
    bucket,
    key: certificateKey(certificate.requestId),
    customerKey: certificate.customerKey,
    requestedAt: certificate.requestedAt,
    verifiedAt: certificate.verifiedAt,
    issuedAt: certificate.issuedAt,
    verification: certificate.verification.result,
    stores,
    notifiedRecipients: certificate.notifiedRecipients.map((recipient) => recipient.id),
    lifecycle: certificate.lifecycle,
  };
}

/** What a restriction or objection record asked for; `InvalidInput` for a record of another type. */
function requestedOf(record: RequestRecord): Pick<ProcessingCertificate, 'type' | 'request'> {
  if (record.type === 'restriction' && record.restriction) return { type: 'restriction', request: { restriction: record.restriction } };
  if (record.type === 'objection' && record.objection) return { type: 'objection', request: { objection: record.objection } };
  throw new InvalidInput(`Request ${record.requestId} has type ${record.type}, not restriction or objection`);
}

/** Writes the certificate (once) and returns its summary; a replay returns the stored certificate's summary. */
export async function issueProcessingCertificate(deps: ProcessingCertificateDeps, input: IssueProcessingCertificateInput): Promise<{ certificate: ProcessingCertificateSummary }> {
  const record = await deps.request(input.requestId);
  const certificate: ProcessingCertificate = {
    format: PROCESSING_CERTIFICATE_FORMAT,
    requestId: input.requestId,
    ...requestedOf(record),
    customerKey: customerKey(input.customerId, deps.env?.DSR_HASH_KEY),
    brand: input.brand,
    requestedAt: record.createdAt,
    verifiedAt: input.verification.verifiedAt,
    issuedAt: (deps.now?.() ?? new Date()).toISOString(),
    stores: input.changes.map((change) => ({ ...change, title: getStore(change.store).title })),
    verification: { result: 'passed', checks: input.verification.checks },
    notifiedRecipients: input.notification.recipients.map((recipient) => ({ ...recipient, notifiedAt: input.notification.notifiedAt })),
    lifecycle: certificateLifecycle(record),
  };
  const written = await writeJsonOnce(deps.s3, 'audit', deps.auditBucket, certificateKey(input.requestId), certificate);
  return { certificate: summariseProcessing(written, deps.auditBucket) };
}
