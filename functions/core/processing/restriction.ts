import type { S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { stillPresent } from '../connectors/dynamodb-store';
import { getStore, resourceName } from '../data-map';
import { entryId, progressTotals, StoreProgressLog } from '../erasure/progress';
import { InvalidInput, isConditionFailure, ProcessingVerificationFailed, storeError } from '../errors';
import { customerKey, hashKey } from '../keyed-hash';
import type { Ledger } from '../ledger';
import type { Subject } from '../subject';
import { workflowRequestId } from '../workflow-input';
import { changeSchema, type Change, type VerificationResult } from './certificate';
import { checkProcessing, restrictionKey } from './check';
import { purposesOfScope, RESTRICTION_ACTIONS, RESTRICTION_SCOPES, type RestrictionParameters, type RestrictionScope } from './parameters';

/**
 * A restriction request (Art. 18): `restrict` records an entry `restriction#<customerKey>#<scope>`
 * (kind, scope, ground, request id, since) in the suppression list table, which the processing check
 * answers by keyed hash; `lift` removes the scope's entry (`all`: every restriction of the customer),
 * recording each removed entry in the request's progress log first (`progress/<requestId>/…`, as the
 * erasers do), so the count is the same however often the step runs. Both are replay-safe: a replay of
 * a restrict finds its own entry and keeps it, a replay of a lift finds nothing left to remove.
 */

/** Input of `apply-restriction` and `verify-restriction`. */
export const restrictionStepInput = z.object({ requestId: workflowRequestId });

/** Output of `apply-restriction`: what was done, and the changes per store. */
export const applyRestrictionOutput = z.object({ action: z.enum(RESTRICTION_ACTIONS), scope: z.enum(RESTRICTION_SCOPES), changes: z.array(changeSchema) });

/** Output of `apply-restriction`. */
export type AppliedRestriction = z.infer<typeof applyRestrictionOutput>;

/** What the restriction steps need. */
export interface RestrictionDeps {
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  /** The audit bucket, which holds the progress log of a lift. */
  auditBucket: string;
  ledger: Pick<Ledger, 'get'>;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

/** The store that holds the restriction entries. */
const STORE_ID = 'marketing-suppression';

/** What the restriction request asks for, from its ledger record; `InvalidInput` for another type. */
export async function restrictionOf(ledger: Pick<Ledger, 'get'>, requestId: string): Promise<RestrictionParameters> {
  const record = await ledger.get(requestId);
  if (record.type !== 'restriction' || !record.restriction) throw new InvalidInput(`Request ${requestId} has type ${record.type}, not restriction`);
  return record.restriction;
}

/** The scopes whose entries an action touches: the one restricted, or those lifted (`all` lifts every scope). */
export function scopesTouched(parameters: RestrictionParameters): RestrictionScope[] {
  return parameters.action === 'lift' && parameters.scope === 'all' ? [...RESTRICTION_SCOPES] : [parameters.scope];
}

/** Records the restriction; a replay (the entry already holds this request) leaves it as it is. */
async function restrict(deps: RestrictionDeps, requestId: string, hashedCustomerId: string, parameters: RestrictionParameters): Promise<Change[]> {
  try {
    await deps.doc.send(
      new PutCommand({
        TableName: resourceName(getStore(STORE_ID), deps.env),
        Item: {
          hash: restrictionKey(hashedCustomerId, parameters.scope),
          kind: 'restriction',
          scope: parameters.scope,
          ...(parameters.ground ? { ground: parameters.ground } : {}),
          requestId,
          since: (deps.now?.() ?? new Date()).toISOString(),
        },
        ConditionExpression: 'attribute_not_exists(#hash) OR requestId <> :requestId',
        ExpressionAttributeNames: { '#hash': 'hash' },
        ExpressionAttributeValues: { ':requestId': requestId },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw storeError(STORE_ID, error);
  }
  return [{ store: STORE_ID, action: 'restriction-recorded', items: 1 }];
}

/** Removes the lifted scopes' entries, each recorded in the progress log before it is deleted; the count covers every run. */
async function lift(deps: RestrictionDeps, requestId: string, hashedCustomerId: string, parameters: RestrictionParameters): Promise<Change[]> {
  const store = getStore(STORE_ID);
  const table = resourceName(store, deps.env);
  const location = { s3: deps.s3, auditBucket: deps.auditBucket, requestId };
  const progress = await StoreProgressLog.open(location, STORE_ID);
  const keys = scopesTouched(parameters).map((scope) => restrictionKey(hashedCustomerId, scope));
  const present = await stillPresent(deps.doc, store, keys.map((hash) => ({ hash })), { env: deps.env });
  await progress.record(present.map((item) => ({ id: entryId(`${table}\u0000${String(item.hash)}`, deps.env?.DSR_HASH_KEY), deleted: 1, retained: 0, versionsDeleted: 0, bytes: 0 })));
  try {
    for (const item of present) await deps.doc.send(new DeleteCommand({ TableName: table, Key: { hash: item.hash } }));
  } catch (error) {
    throw storeError(STORE_ID, error);
  }
  const totals = await progressTotals(location);
  return [{ store: STORE_ID, action: 'restriction-lifted', items: totals[STORE_ID]?.deleted ?? 0 }];
}

/** Restricts or lifts as the request asks; returns the changes per store. */
export async function applyRestriction(deps: RestrictionDeps, input: z.infer<typeof restrictionStepInput> & Subject): Promise<AppliedRestriction> {
  const parameters = await restrictionOf(deps.ledger, input.requestId);
  const hashedCustomerId = customerKey(input.customerId, hashKey(deps.env));
  const changes =
    parameters.action === 'restrict'
      ? await restrict(deps, input.requestId, hashedCustomerId, parameters)
      : await lift(deps, input.requestId, hashedCustomerId, parameters);
  return { action: parameters.action, scope: parameters.scope, changes };
}

/**
 * Reads the restriction back: after a restrict, the entry is there and the processing check refuses
 * every purpose of the scope; after a lift, no lifted entry is left. Throws
 * `ProcessingVerificationFailed` naming the failed checks.
 */
export async function verifyRestriction(deps: RestrictionDeps, input: z.infer<typeof restrictionStepInput> & Subject): Promise<VerificationResult> {
  const parameters = await restrictionOf(deps.ledger, input.requestId);
  const hashedCustomerId = customerKey(input.customerId, hashKey(deps.env));
  const keys = scopesTouched(parameters).map((scope) => restrictionKey(hashedCustomerId, scope));
  const present = await stillPresent(deps.doc, getStore(STORE_ID), keys.map((hash) => ({ hash })), { env: deps.env });
  const checks =
    parameters.action === 'restrict'
      ? [
          { store: STORE_ID, check: `restriction of ${parameters.scope} recorded`, left: present.length === 1 ? 0 : 1 },
          ...(await Promise.all(
            purposesOfScope(parameters.scope).map(async (purpose) => ({
              store: STORE_ID,
              check: `processing check refuses ${purpose}`,
              left: (await checkProcessing(deps, hashedCustomerId, purpose)).allowed ? 1 : 0,
            })),
          )),
        ]
      : [{ store: STORE_ID, check: `restriction of ${parameters.scope} lifted`, left: present.length }];
  const failed = checks.filter((check) => check.left > 0);
  if (failed.length) throw new ProcessingVerificationFailed(`Restriction not in place: ${failed.map((check) => `${check.store}: ${check.check}`).join('; ')}`);
  return { verifiedAt: (deps.now?.() ?? new Date()).toISOString(), checks };
}
