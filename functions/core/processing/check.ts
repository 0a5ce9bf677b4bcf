import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { stillPresent, type Item } from '../connectors/dynamodb-store';
import { getStore } from '../data-map';
import { suppressionLinkKey } from '../erasure/suppression';
import {
  purposeOfObjection,
  purposesOfScope,
  RESTRICTION_SCOPES,
  OBJECTION_PURPOSES,
  type ObjectionPurpose,
  type ProcessingPurpose,
  type RestrictionGround,
  type RestrictionScope,
} from './parameters';

/**
 * The processing check other systems call before using a customer's data for a purpose (marketing,
 * the smart-creation tracking of product edits). It reads only keyed-hash entries of the suppression
 * list table (store `marketing-suppression`, PK `hash`), so it needs neither the raw customer id in any
 * store nor the ledger:
 * - `customer#<customerKey>`: the customer was erased (the erasure's link entry);
 * - `objection#<customerKey>#<purpose>`: an objection (Art. 21), never lifted;
 * - `restriction#<customerKey>#<scope>`: a restriction (Art. 18) until lifted.
 * A refusal names the strongest reason: erasure, then objection, then restriction.
 */

/** Key of the restriction entry of a customer (by keyed hash) and scope. */
export function restrictionKey(hashedCustomerId: string, scope: RestrictionScope): string {
  return `restriction#${hashedCustomerId}#${scope}`;
}

/** Key of the objection entry of a customer (by keyed hash) and purpose. */
export function objectionKey(hashedCustomerId: string, purpose: ObjectionPurpose): string {
  return `objection#${hashedCustomerId}#${purpose}`;
}

/** Why a purpose is refused. */
export interface Refusal {
  kind: 'erasure' | 'restriction' | 'objection';
  since: string;
  requestId?: string;
  scope?: RestrictionScope;
  ground?: RestrictionGround;
}

/** The answer of the processing check. */
export interface ProcessingAnswer {
  purpose: ProcessingPurpose;
  allowed: boolean;
  reason?: Refusal;
}

/** The entry keys that can refuse a purpose for a customer, strongest first. */
export function refusingKeys(hashedCustomerId: string, purpose: ProcessingPurpose): string[] {
  return [
    suppressionLinkKey(hashedCustomerId),
    ...OBJECTION_PURPOSES.filter((objected) => purposeOfObjection(objected) === purpose).map((objected) => objectionKey(hashedCustomerId, objected)),
    ...RESTRICTION_SCOPES.filter((scope) => purposesOfScope(scope).includes(purpose)).map((scope) => restrictionKey(hashedCustomerId, scope)),
  ];
}

/** The refusal an entry of the suppression table stands for. */
function refusalOf(item: Item): Refusal {
  const key = String(item.hash);
  if (key.startsWith('customer#')) return { kind: 'erasure', since: String(item.suppressedAt) };
  const since = String(item.since);
  const requestId = String(item.requestId);
  if (key.startsWith('objection#')) return { kind: 'objection', since, requestId };
  return { kind: 'restriction', since, requestId, scope: item.scope as RestrictionScope, ground: item.ground as RestrictionGround };
}

/**
 * Whether the customer (by keyed hash) may be processed for the purpose: one strongly consistent
 * BatchGetItem of the entries that can refuse it (`StoreUnavailable`/`StoreFailed` name the store).
 */
export async function checkProcessing(
  deps: { doc: DynamoDBDocumentClient; env?: NodeJS.ProcessEnv },
  hashedCustomerId: string,
  purpose: ProcessingPurpose,
): Promise<ProcessingAnswer> {
  const keys = refusingKeys(hashedCustomerId, purpose);
  const found = await stillPresent(deps.doc, getStore('marketing-suppression'), keys.map((hash) => ({ hash })), { env: deps.env });
  const strongest = keys.map((key) => found.find((item) => item.hash === key)).find((item) => item !== undefined);
  return strongest ? { purpose, allowed: false, reason: refusalOf(strongest) } : { purpose, allowed: true };
}
