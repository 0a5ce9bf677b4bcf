import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { workflowRequestId } from '../workflow-input';
import { BRANDS } from '../brands';
import { readCustomerItems } from '../connectors/dynamodb-store';
import { readOptionalJson, writeJsonOnce } from '../connectors/s3-store';
import { CUSTOMER_STORES, getStore } from '../data-map';
import { customerKey } from '../keyed-hash';
import type { RequestRecord } from '../ledger';
import { certificateLifecycle, type CertificateLifecycle } from '../lifecycle';
import type { Subject } from '../subject';
import { noCounts, progressTotals } from './progress';
import { verifyResultSchema } from '../export/collect';
import { eraseStoreOutput } from './erase-store';
import { notificationOutput } from '../notify-recipients';

/**
 * The certificate of erasure: a JSON document in the audit bucket (`certificates/<requestId>.json`,
 * Object Lock governance in AWS; the erasure functions may only put there) that proves what was done
 * without holding readable personal data. Its per-store counts are the totals of the durable progress
 * log (`progress.ts`) across every execution of the request, so a failed run plus a replay certifies
 * what one uninterrupted run would. It is written once, with a conditional write (`If-None-Match: *`):
 * of two executions only one can write it, and the other (or a replay) returns the stored summary.
 */

/** Version of the certificate document format. */
export const CERTIFICATE_FORMAT = 1;

/** Input of `issue-certificate`. */
export const issueCertificateInput = z.object({
  requestId: workflowRequestId,
  brand: z.enum(BRANDS),
  erasure: z.array(eraseStoreOutput),
  verification: z.array(verifyResultSchema),
  verifiedAt: z.string(),
  /** Absent for a workflow that notifies nobody (a consent withdrawal: the photo library has no recipients to tell). */
  notification: notificationOutput.pick({ notifiedAt: true, recipients: true }).optional(),
});

/** Parsed certificate input, with the customer resolved from the ledger. */
export type IssueCertificateInput = z.infer<typeof issueCertificateInput> & Subject;

/** One retained (anonymised) record listed on the certificate. */
export interface RetainedReference {
  store: string;
  invoiceNumber?: string;
  invoiceDate?: string;
  retainUntil: string;
  legalBasis: string;
}

/** The certificate document. */
export interface ErasureCertificate {
  format: number;
  requestId: string;
  /** The request type it certifies: an erasure, or a consent withdrawal (one store erased). */
  type: CertifiedRequest['type'];
  customerKey: string;
  brand: string;
  requestedAt: string;
  erasedAt: string;
  verifiedAt: string;
  issuedAt: string;
  stores: { store: string; title: string; action: string; deleted: number; retained: number; versionsDeleted: number; bytes: number }[];
  totals: { deleted: number; retained: number; versionsDeleted: number; bytes: number };
  verification: { result: 'passed'; stores: z.infer<typeof verifyResultSchema>[] };
  retainedRecords: RetainedReference[];
  notifiedRecipients: { id: string; name: string; stores: string[]; notifiedAt: string }[];
  /** Who asked, how the customer was verified, the due date, its extension and the legal holds. */
  lifecycle: CertificateLifecycle;
}

/** The small summary kept in the request's `result` (the full certificate stays in the audit bucket). */
export interface CertificateSummary {
  bucket: string;
  key: string;
  type: ErasureCertificate['type'];
  customerKey: string;
  requestedAt: string;
  erasedAt: string;
  verifiedAt: string;
  issuedAt: string;
  verification: 'passed';
  stores: Record<string, { action: string; deleted: number; retained: number; versionsDeleted: number }>;
  totals: ErasureCertificate['totals'];
  retainedRecords: number;
  notifiedRecipients: string[];
  lifecycle: CertificateLifecycle;
}

/** The output schema of a certificate step (every request type's): `{ certificate }`, its summary with the audit `key`, which becomes the request's `result`. */
export function certificateStepOutput<Summary extends { key: string }>() {
  return z.object({
    certificate: z.custom<Summary>((value) => typeof value === 'object' && value !== null && typeof (value as { key?: unknown }).key === 'string'),
  });
}

/** Output of `issue-certificate`: the certificate's summary, which becomes the request's `result`. */
export const issueCertificateOutput = certificateStepOutput<CertificateSummary>();

/** What a certificate step of any request type needs. */
export interface CertificateStepDeps<Request = RequestRecord> {
  s3: S3Client;
  auditBucket: string;
  /** The request's ledger record: its type, when it was received (`createdAt`) and its lifecycle (`certificateLifecycle`). */
  request: (requestId: string) => Promise<Request>;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

/** What the erasure certificate step needs (it also reads the retained records). */
export interface CertificateDeps extends CertificateStepDeps<CertifiedRequest> {
  doc: DynamoDBDocumentClient;
}

/** What a certificate takes from the request's ledger record: its type, when it was received, and its lifecycle. */
export type CertifiedRequest = Pick<RequestRecord, 'type' | 'createdAt' | 'caller' | 'verification' | 'dueAt' | 'extension' | 'holds'>;

/** Audit key of a request's certificate. */
export function certificateKey(requestId: string): string {
  return `certificates/${requestId}.json`;
}

/** The summary of a certificate. */
export function summarise(certificate: ErasureCertificate, bucket: string): CertificateSummary {
  return {
    bucket,
    key: certificateKey(certificate.requestId),
    type: certificate.type,
    customerKey: certificate.customerKey,
    requestedAt: certificate.requestedAt,
    erasedAt: certificate.erasedAt,
    verifiedAt: certificate.verifiedAt,
    issuedAt: certificate.issuedAt,
    verification: certificate.verification.result,
    stores: Object.fromEntries(
      certificate.stores.map((entry) => [entry.store, { action: entry.action, deleted: entry.deleted, retained: entry.retained, versionsDeleted: entry.versionsDeleted }]),
    ),
    totals: certificate.totals,
    retainedRecords: certificate.retainedRecords.length,
    notifiedRecipients: certificate.notifiedRecipients.map((recipient) => recipient.id),
    lifecycle: certificate.lifecycle,
  };
}

function readCertificate(deps: CertificateDeps, requestId: string): Promise<ErasureCertificate | undefined> {
  return readOptionalJson<ErasureCertificate>(deps.s3, 'audit', deps.auditBucket, certificateKey(requestId));
}

/** The retained records of the customer in every anonymise-and-retain store. */
async function retainedReferences(deps: CertificateDeps, input: IssueCertificateInput): Promise<RetainedReference[]> {
  const references: RetainedReference[] = [];
  for (const store of CUSTOMER_STORES) {
    if (store.erasure.action !== 'anonymise-and-retain') continue;
    const legalBasis = store.erasure.legalReason;
    for await (const page of readCustomerItems(deps.doc, store, input.customerId, { consistentRead: true, env: deps.env, partitions: 'retained' })) {
      for (const item of page.items) {
        references.push({
          store: store.id,
          invoiceNumber: typeof item.invoiceNumber === 'string' ? item.invoiceNumber : undefined,
          invoiceDate: typeof item.invoiceDate === 'string' ? item.invoiceDate : undefined,
          retainUntil: String(item.retainUntil),
          legalBasis,
        });
      }
    }
  }
  return references;
}

/** Writes the certificate (once) and returns its summary; a replay returns the existing certificate's summary. */
export async function issueCertificate(deps: CertificateDeps, input: IssueCertificateInput): Promise<{ certificate: CertificateSummary }> {
  const existing = await readCertificate(deps, input.requestId);
  if (existing) return { certificate: summarise(existing, deps.auditBucket) };
  const issuedAt = (deps.now?.() ?? new Date()).toISOString();
  const recorded = await progressTotals({ s3: deps.s3, auditBucket: deps.auditBucket, requestId: input.requestId });
  const stores = input.erasure.map((result) => ({
    store: result.store,
    action: result.action,
    ...(recorded[result.store] ?? noCounts()),
    title: getStore(result.store).title,
  }));
  const totals = stores.reduce(
    (sum, entry) => ({
      deleted: sum.deleted + entry.deleted,
      retained: sum.retained + entry.retained,
      versionsDeleted: sum.versionsDeleted + entry.versionsDeleted,
      bytes: sum.bytes + entry.bytes,
    }),
    { deleted: 0, retained: 0, versionsDeleted: 0, bytes: 0 },
  );
  const erasedAt = input.erasure.map((result) => result.finishedAt).sort().at(-1) ?? issuedAt;
  const request = await deps.request(input.requestId);
  const certificate: ErasureCertificate = {
    format: CERTIFICATE_FORMAT,
    requestId: input.requestId,
    type: request.type,
    customerKey: customerKey(input.customerId, deps.env?.DSR_HASH_KEY),
    brand: input.brand,
    requestedAt: request.createdAt,
    erasedAt,
    verifiedAt: input.verifiedAt,
    issuedAt,
    stores,
    totals,
    verification: { result: 'passed', stores: input.verification },
    retainedRecords: await retainedReferences(deps, input),
    notifiedRecipients: (input.notification?.recipients ?? []).map((recipient) => ({ ...recipient, notifiedAt: input.notification!.notifiedAt })),
    lifecycle: certificateLifecycle(request),
  };
  const written = await writeJsonOnce(deps.s3, 'audit', deps.auditBucket, certificateKey(input.requestId), certificate);
  return { certificate: summarise(written, deps.auditBucket) };
}
