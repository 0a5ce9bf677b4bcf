import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { workflowRequestId } from '../workflow-input';
import { readCustomerItems, type Item } from '../connectors/dynamodb-store';
import { getStore } from '../data-map';
import type { Subject } from '../subject';

/**
 * The legal-hold check before an erasure. A request is held (nothing erased, status `on_hold` with the
 * reasons) while the customer has an order that is neither delivered nor cancelled, a delivered order
 * not yet paid, an order whose payment is disputed, or a customer-service contact flagged as a legal
 * claim. Reasons name the kind and the record id only, never personal data.
 */

/** Input of `check-legal-hold` (the customer is resolved from the ledger). */
export const checkLegalHoldInput = z.object({
  requestId: workflowRequestId,
});

/** Output of `check-legal-hold`. */
export const legalHoldOutput = z.object({ held: z.boolean(), reasons: z.array(z.string()) });

/** Result of the legal-hold check. */
export type LegalHoldResult = z.infer<typeof legalHoldOutput>;

/** Most reasons listed one by one; the rest are summarised in a count. */
export const MAX_LISTED_REASONS = 20;

/** The hold reasons of one order (empty when it does not block the erasure). */
export function orderHoldReasons(order: Item): string[] {
  const reasons: string[] = [];
  const id = String(order.orderId);
  const status = String(order.status);
  const payment = String(order.paymentStatus);
  if (status !== 'delivered' && status !== 'cancelled') reasons.push(`order ${id}: not yet delivered (status ${status})`);
  if (payment === 'disputed') reasons.push(`order ${id}: payment disputed`);
  else if (status === 'delivered' && payment === 'pending') reasons.push(`order ${id}: not yet paid`);
  return reasons;
}

/** The hold reason of one contact-history item (undefined when it does not block the erasure). */
export function contactHoldReason(contact: Item): string | undefined {
  return contact.legalClaim === true ? `contact ${String(contact.contactId)}: complaint flagged as a legal claim` : undefined;
}

/** Checks the customer's orders and contacts (own records only, not retained invoices) for a legal hold. */
export async function checkLegalHold(
  doc: DynamoDBDocumentClient,
  input: z.infer<typeof checkLegalHoldInput> & Subject,
  env?: NodeJS.ProcessEnv,
): Promise<LegalHoldResult> {
  const reasons: string[] = [];
  const checks: [string, (item: Item) => string[]][] = [
    ['orders', orderHoldReasons],
    ['contact-history', (item) => [contactHoldReason(item)].filter((reason): reason is string => reason !== undefined)],
  ];
  for (const [storeId, reasonsOf] of checks) {
    const store = getStore(storeId);
    for await (const page of readCustomerItems(doc, store, input.customerId, { consistentRead: true, env, partitions: 'own' })) {
      for (const item of page.items) reasons.push(...reasonsOf(item));
    }
  }
  const listed = reasons.slice(0, MAX_LISTED_REASONS);
  if (reasons.length > listed.length) listed.push(`and ${reasons.length - listed.length} more`);
  return { held: reasons.length > 0, reasons: listed };
}
