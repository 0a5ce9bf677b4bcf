import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { RectificationVerificationFailed } from '../errors';
import type { Subject } from '../subject';
import { correctionsOf, RECTIFIED_STORES, rectificationStepInput, rectificationTargets, type RectificationDeps } from './apply';

/**
 * Verifying a rectification: every store is read back (strongly consistent) and each record the
 * corrections cover must hold the corrected values. A mismatch fails the request
 * (`RectificationVerificationFailed` naming the stores and counts, never values), so a request never
 * completes with a store left uncorrected.
 */

/** One store's read-back: records checked and records that differ from the corrections. */
export const rectificationCheckSchema = z.object({
  store: z.enum(RECTIFIED_STORES),
  checked: z.number().int().nonnegative(),
  mismatches: z.number().int().nonnegative(),
});

/** One store's read-back. */
export type RectificationCheck = z.infer<typeof rectificationCheckSchema>;

/** Output of `verify-rectification`: a passed read-back. */
export const verifyRectificationOutput = z.object({ verifiedAt: z.string(), stores: z.array(rectificationCheckSchema) });

/** A passed read-back. */
export type RectificationVerification = z.infer<typeof verifyRectificationOutput>;

/** True when the record holds every expected attribute as expected. */
function holds(current: Record<string, unknown>, expected: Record<string, unknown>): boolean {
  return Object.entries(expected).every(([attribute, value]) => isDeepStrictEqual(current[attribute], value));
}

/** Reads every store back; throws `RectificationVerificationFailed` naming each store whose records differ from the corrections. */
export async function verifyRectification(
  deps: RectificationDeps,
  input: z.infer<typeof rectificationStepInput> & Subject,
  now: () => Date = () => new Date(),
): Promise<RectificationVerification> {
  const corrections = await correctionsOf(deps.ledger, input.requestId);
  const targets = await rectificationTargets(deps, input.customerId, corrections);
  const stores = targets.map(({ store, records }) => ({ store, checked: records.length, mismatches: records.filter((record) => !holds(record.current, record.expected)).length }));
  const failed = stores.filter((entry) => entry.mismatches > 0);
  if (failed.length) {
    throw new RectificationVerificationFailed(`Corrections not held after rectification in: ${failed.map((entry) => `${entry.store} (${entry.mismatches} of ${entry.checked} records)`).join(', ')}`);
  }
  return { verifiedAt: now().toISOString(), stores };
}
