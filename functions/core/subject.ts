import { SubjectRedacted } from './errors';
import type { Ledger } from './ledger';

/**
 * The data subject of a request. The raw customer id never enters Step Functions (execution input,
 * state data and history carry the request id only): each task that needs the customer resolves it
 * from the ledger record of its request, which loses it once an erasure of the customer completes.
 */

/** The customer a task acts on, resolved from the ledger. */
export interface Subject {
  customerId: string;
}

/** The subject of a request; `SubjectRedacted` once the record no longer holds a customer id. */
export async function subjectOf(ledger: Pick<Ledger, 'get'>, requestId: string): Promise<Subject> {
  const record = await ledger.get(requestId);
  if (!record.customerId) throw new SubjectRedacted(`Request ${requestId} no longer holds a customer id; the customer was erased`);
  return { customerId: record.customerId };
}
