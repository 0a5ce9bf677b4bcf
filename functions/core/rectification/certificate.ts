import { z } from 'zod';
import { BRANDS } from '../brands';
import { readOptionalJson, writeJsonOnce } from '../connectors/s3-store';
import { getStore } from '../data-map';
import { certificateKey, certificateStepOutput, type CertificateStepDeps } from '../erasure/certificate';
import { customerKey } from '../keyed-hash';
import { certificateLifecycle, type CertificateLifecycle } from '../lifecycle';
import { notificationOutput } from '../notify-recipients';
import type { Subject } from '../subject';
import { workflowRequestId } from '../workflow-input';
import { rectifiedStoreSchema, type RectifiedStoreResult } from './apply';
import { verifyRectificationOutput, type RectificationCheck } from './verify';

/**
 * The certificate of rectification: a JSON document in the audit bucket under the same key and
 * write-once rule as the certificate of erasure (`certificates/<requestId>.json`, `writeJsonOnce`). It
 * names per store the corrected fields and how many records hold them, the read-back result, what was
 * deliberately left as it was (invoices, shipped orders), who asked and how the customer was verified,
 * and the recipients told; never a value, name or address.
 */

/** Version of the rectification certificate format. */
export const RECTIFICATION_CERTIFICATE_FORMAT = 1;

/** What a rectification leaves as it was, and why (listed on every certificate). */
export const NOT_RECTIFIED = [
  {
    store: 'orders',
    records: 'invoice data of every order (billing address, invoice number and date, amounts)',
    reason: 'An invoice is kept as issued: Dutch tax law (AWR art. 52) requires the records as they were, for 7 years',
  },
  { store: 'orders', records: 'shipping address of orders already shipped, delivered or cancelled', reason: 'The parcel has left; the address is a record of the delivery' },
] as const;

/** Input of `issue-rectification-certificate`. */
export const issueRectificationCertificateInput = z.object({
  requestId: workflowRequestId,
  brand: z.enum(BRANDS),
  rectification: z.array(rectifiedStoreSchema),
  verification: verifyRectificationOutput,
  notification: notificationOutput.pick({ notifiedAt: true, recipients: true }),
});

/** The rectification certificate document. */
export interface RectificationCertificate {
  format: number;
  type: 'rectification';
  requestId: string;
  customerKey: string;
  brand: string;
  requestedAt: string;
  rectifiedAt: string;
  issuedAt: string;
  lifecycle: CertificateLifecycle;
  stores: (RectifiedStoreResult & { title: string })[];
  notRectified: typeof NOT_RECTIFIED;
  verification: { result: 'passed'; verifiedAt: string; stores: RectificationCheck[] };
  notifiedRecipients: { id: string; name: string; stores: string[]; notifiedAt: string }[];
}

/** The summary kept in the request's `result`. */
export interface RectificationCertificateSummary {
  bucket: string;
  key: string;
  customerKey: string;
  requestedAt: string;
  verifiedAt: string;
  issuedAt: string;
  verification: 'passed';
  stores: Record<string, { fields: string[]; records: number }>;
  notifiedRecipients: string[];
}

/** Output of `issue-rectification-certificate`: the summary, which becomes the request's `result`. */
export const issueRectificationCertificateOutput = certificateStepOutput<RectificationCertificateSummary>();

/** What the certificate step needs. */
export type RectificationCertificateDeps = CertificateStepDeps;

/** The summary of a rectification certificate. */
export function summariseRectification(certificate: RectificationCertificate, bucket: string): RectificationCertificateSummary {
  return {
    bucket,
    key: certificateKey(certificate.requestId),
    customerKey: certificate.customerKey,
    requestedAt: certificate.requestedAt,
    verifiedAt: certificate.verification.verifiedAt,
    issuedAt: certificate.issuedAt,
    verification: certificate.verification.result,
    stores: Object.fromEntries(certificate.stores.map((entry) => [entry.store, { fields: entry.fields, records: entry.records }])),
    notifiedRecipients: certificate.notifiedRecipients.map((recipient) => recipient.id),
  };
}

/** Writes the certificate of rectification (once) and returns its summary; a replay returns the stored certificate's summary. */
export async function issueRectificationCertificate(
  deps: RectificationCertificateDeps,
  input: z.infer<typeof issueRectificationCertificateInput> & Subject,
): Promise<{ certificate: RectificationCertificateSummary }> {
  const key = certificateKey(input.requestId);
  const existing = await readOptionalJson<RectificationCertificate>(deps.s3, 'audit', deps.auditBucket, key);
  if (existing) return { certificate: summariseRectification(existing, deps.auditBucket) };
  const record = await deps.request(input.requestId);
  const certificate: RectificationCertificate = {
    format: RECTIFICATION_CERTIFICATE_FORMAT,
    type: 'rectification',
    requestId: input.requestId,
    customerKey: customerKey(input.customerId, deps.env?.DSR_HASH_KEY),
    brand: input.brand,
    requestedAt: record.createdAt,
    rectifiedAt: input.verification.verifiedAt,
    issuedAt: (deps.now?.() ?? new Date()).toISOString(),
    lifecycle: certificateLifecycle(record),
    stores: input.rectification.map((entry) => ({ ...entry, title: getStore(entry.store).title })),
    notRectified: NOT_RECTIFIED,
    verification: { result: 'passed', verifiedAt: input.verification.verifiedAt, stores: input.verification.stores },
    notifiedRecipients: input.notification.recipients.map((recipient) => ({ ...recipient, notifiedAt: input.notification.notifiedAt })),
  };
  const written = await writeJsonOnce(deps.s3, 'audit', deps.auditBucket, key, certificate);
  return { certificate: summariseRectification(written, deps.auditBucket) };
}
