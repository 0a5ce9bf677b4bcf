import type { S3Client } from '@aws-sdk/client-s3';
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { readCustomerItems, stillPresent, type Item } from '../connectors/dynamodb-store';
import { getStore, resourceName, type CustomerStoreId } from '../data-map';
import { DEFAULT_ERASURE_CONCURRENCY, DEFAULT_RETRY, type RetryPolicy } from '../erasure/config';
import { progressTotals, StoreProgressLog } from '../erasure/progress';
import { gatherKeys, writeSuppressionEntries } from '../erasure/suppression';
import { eraseTable } from '../erasure/table-eraser';
import { InvalidInput, isConditionFailure, ProcessingVerificationFailed, storeError } from '../errors';
import { customerKey, hashKey } from '../keyed-hash';
import type { Ledger } from '../ledger';
import type { Subject } from '../subject';
import { workflowRequestId } from '../workflow-input';
import { changeSchema, type Change, type VerificationCheck, type VerificationResult } from './certificate';
import { checkProcessing, objectionKey } from './check';
import { OBJECTION_PURPOSES, purposeOfObjection, type ObjectionPurpose } from './parameters';

/**
 * An objection request (Art. 21). First an entry `objection#<customerKey>#<purpose>` is recorded in
 * the suppression list table, so the processing check refuses the purpose from then on (an objection
 * is never lifted). Then:
 * - `direct-marketing` (absolute, Art. 21(3)): keyed-hash suppression entries with reason `objection`
 *   for the customer's email addresses and phone numbers; every marketing consent set to not granted
 *   with source `objection`; the marketing segments and social-media audiences deleted. The profile
 *   and the orders are not touched.
 * - `smart-creation`: the tracked product edits (`edit#…` entries) deleted; the photo analyses, which
 *   create the products the customer orders (Art. 6(1)(b)), stay.
 * Deletions go through the erasers' table eraser and progress log, so the counts are the same
 * whatever a crash interrupted; every write is idempotent, so a replay converges.
 */

/** Input of `apply-objection` and `verify-objection`. */
export const objectionStepInput = z.object({ requestId: workflowRequestId });

/** Output of `apply-objection`. */
export const applyObjectionOutput = z.object({ purpose: z.enum(OBJECTION_PURPOSES), changes: z.array(changeSchema) });

/** Output of `apply-objection`. */
export type AppliedObjection = z.infer<typeof applyObjectionOutput>;

/** What the objection steps need. */
export interface ObjectionDeps {
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  /** The audit bucket, which holds the progress log of the deletions. */
  auditBucket: string;
  ledger: Pick<Ledger, 'get'>;
  retry?: RetryPolicy;
  /** Delete batches in flight (default `DSR_ERASURE_CONCURRENCY`'s). */
  concurrency?: number;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

/** The store that holds the objection and suppression entries. */
const SUPPRESSION = 'marketing-suppression';

/** The kinds of entry (sort-key prefixes) an objection deletes, per store. */
export const OBJECTED_ENTRIES: Record<ObjectionPurpose, { store: CustomerStoreId; prefixes: readonly string[] }> = {
  'direct-marketing': { store: 'marketing', prefixes: ['segment#', 'audience#'] },
  'smart-creation': { store: 'smart-creation', prefixes: ['edit#'] },
};

/** True for a marketing consent entry. */
function isConsent(item: Item): boolean {
  return String(item.entryId).startsWith('consent#');
}

/** True when an item is of a kind the objection deletes. */
function isObjected(purpose: ObjectionPurpose, item: Item): boolean {
  const { store, prefixes } = OBJECTED_ENTRIES[purpose];
  const sortKey = getStore(store).table!.sortKey!;
  return prefixes.some((prefix) => String(item[sortKey]).startsWith(prefix));
}

/** What the objection request objects to, from its ledger record; `InvalidInput` for another type. */
export async function objectionOf(ledger: Pick<Ledger, 'get'>, requestId: string): Promise<ObjectionPurpose> {
  const record = await ledger.get(requestId);
  if (record.type !== 'objection' || !record.objection) throw new InvalidInput(`Request ${requestId} has type ${record.type}, not objection`);
  return record.objection.purpose;
}

/** Records the objection entry; the first one stays (a replay or a second objection changes nothing). */
async function recordObjection(deps: ObjectionDeps, requestId: string, hashedCustomerId: string, purpose: ObjectionPurpose): Promise<void> {
  try {
    await deps.doc.send(
      new PutCommand({
        TableName: resourceName(getStore(SUPPRESSION), deps.env),
        Item: { hash: objectionKey(hashedCustomerId, purpose), kind: 'objection', purpose, requestId, since: (deps.now?.() ?? new Date()).toISOString() },
        ConditionExpression: 'attribute_not_exists(#hash)',
        ExpressionAttributeNames: { '#hash': 'hash' },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw storeError(SUPPRESSION, error);
  }
}

/** Sets every marketing consent of the customer to not granted with source `objection`; returns how many consents there are. */
async function withdrawConsents(deps: ObjectionDeps, customerId: string): Promise<number> {
  const store = getStore('marketing');
  let consents = 0;
  for await (const page of readCustomerItems(deps.doc, store, customerId, { consistentRead: true, env: deps.env, partitions: 'own' })) {
    for (const item of page.items.filter(isConsent)) {
      consents += 1;
      try {
        await deps.doc.send(
          new UpdateCommand({
            TableName: resourceName(store, deps.env),
            Key: { customerId, entryId: item.entryId },
            UpdateExpression: 'SET granted = :false, #source = :objection, updatedAt = :now',
            ConditionExpression: 'attribute_exists(entryId) AND NOT (granted = :false AND #source = :objection)',
            ExpressionAttributeNames: { '#source': 'source' },
            ExpressionAttributeValues: { ':false': false, ':objection': 'objection', ':now': (deps.now?.() ?? new Date()).toISOString() },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw storeError(store.id, error);
      }
    }
  }
  return consents;
}

/** Deletes the objected entries through the table eraser and returns the store's total across every run (progress log). */
async function deleteObjected(deps: ObjectionDeps, requestId: string, customerId: string, purpose: ObjectionPurpose): Promise<number> {
  const store = getStore(OBJECTED_ENTRIES[purpose].store);
  const location = { s3: deps.s3, auditBucket: deps.auditBucket, requestId };
  const progress = await StoreProgressLog.open(location, store.id);
  const eraser = { doc: deps.doc, retry: deps.retry ?? DEFAULT_RETRY, progress, concurrency: deps.concurrency ?? DEFAULT_ERASURE_CONCURRENCY, env: deps.env };
  await eraseTable(eraser, store, customerId, (item) => isObjected(purpose, item));
  return (await progressTotals(location))[store.id]?.deleted ?? 0;
}

/** Applies the objection as its purpose says; returns the changes per store. */
export async function applyObjection(deps: ObjectionDeps, input: z.infer<typeof objectionStepInput> & Subject): Promise<AppliedObjection> {
  const purpose = await objectionOf(deps.ledger, input.requestId);
  const key = hashKey(deps.env);
  await recordObjection(deps, input.requestId, customerKey(input.customerId, key), purpose);
  const changes: Change[] = [{ store: SUPPRESSION, action: 'objection-recorded', items: 1 }];
  if (purpose === 'direct-marketing') {
    const hashes = await gatherKeys(deps, input, key);
    await writeSuppressionEntries(deps, hashes, 'objection');
    changes.push({ store: SUPPRESSION, action: 'suppressed', items: hashes.emailHashes.length + hashes.phoneHashes.length });
    changes.push({ store: 'marketing', action: 'consents-withdrawn', items: await withdrawConsents(deps, input.customerId) });
  }
  changes.push({ store: OBJECTED_ENTRIES[purpose].store, action: 'deleted', items: await deleteObjected(deps, input.requestId, input.customerId, purpose) });
  return { purpose, changes };
}

/** The items of the customer in a store (own partition, strongly consistent). */
async function customerItems(deps: ObjectionDeps, storeId: CustomerStoreId, customerId: string): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of readCustomerItems(deps.doc, getStore(storeId), customerId, { consistentRead: true, env: deps.env, partitions: 'own' })) items.push(...page.items);
  return items;
}

/**
 * Reads the objection back: the processing check refuses the purpose, no objected entry is left and,
 * for direct marketing, every consent is withdrawn by objection and every contact point suppressed.
 * Throws `ProcessingVerificationFailed` naming the failed checks.
 */
export async function verifyObjection(deps: ObjectionDeps, input: z.infer<typeof objectionStepInput> & Subject): Promise<VerificationResult> {
  const purpose = await objectionOf(deps.ledger, input.requestId);
  const key = hashKey(deps.env);
  const processingPurpose = purposeOfObjection(purpose);
  const { store } = OBJECTED_ENTRIES[purpose];
  const items = await customerItems(deps, store, input.customerId);
  const checks: VerificationCheck[] = [
    { store: SUPPRESSION, check: `processing check refuses ${processingPurpose}`, left: (await checkProcessing(deps, customerKey(input.customerId, key), processingPurpose)).allowed ? 1 : 0 },
    { store, check: `${OBJECTED_ENTRIES[purpose].prefixes.join(' and ')} entries deleted`, left: items.filter((item) => isObjected(purpose, item)).length },
  ];
  if (purpose === 'direct-marketing') {
    const hashes = await gatherKeys(deps, input, key);
    const all = [...hashes.emailHashes, ...hashes.phoneHashes];
    const suppressed = await stillPresent(deps.doc, getStore(SUPPRESSION), all.map((hash) => ({ hash })), { env: deps.env });
    checks.push({ store: 'marketing', check: 'consents not granted, source objection', left: items.filter((item) => isConsent(item) && (item.granted !== false || item.source !== 'objection')).length });
    checks.push({ store: SUPPRESSION, check: 'email and phone hashes suppressed', left: all.length - suppressed.length });
  }
  const failed = checks.filter((check) => check.left > 0);
  if (failed.length) throw new ProcessingVerificationFailed(`Objection not in place: ${failed.map((check) => `${check.store}: ${check.check} (${check.left} left)`).join('; ')}`);
  return { verifiedAt: (deps.now?.() ?? new Date()).toISOString(), checks };
}
