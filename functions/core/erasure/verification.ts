import { z } from 'zod';
import { ErasureVerificationFailed } from '../errors';

/** One collector's verify-mode answer: what is left of the customer in a store. */
export const verifyResultSchema = z.object({
  store: z.string().min(1),
  items: z.number().int().nonnegative(),
  retainedItems: z.number().int().nonnegative(),
  personalItems: z.number().int().nonnegative(),
});

/** Input of `check-erasure-verification`: the verify results of every planned store. */
export const checkVerificationInput = z.object({
  requestId: z.string().min(1).max(128),
  results: z.array(verifyResultSchema),
});

/** A passed verification. */
export interface VerificationOutcome {
  verified: true;
  verifiedAt: string;
  /** Retained (anonymised) records found, all stores together. */
  retainedItems: number;
}

/**
 * Checks the collectors' verify results: every store must hold nothing of the customer except
 * retained records, and those must carry no personal field. Anything else throws
 * `ErasureVerificationFailed` naming the stores and counts, so the request fails instead of completing.
 */
export function checkErasureVerification(input: z.infer<typeof checkVerificationInput>, now: () => Date = () => new Date()): VerificationOutcome {
  const leftovers = input.results
    .map((result) => ({ store: result.store, left: Math.max(result.personalItems, result.items - result.retainedItems) }))
    .filter((entry) => entry.left > 0);
  if (leftovers.length) {
    const detail = leftovers.map((entry) => `${entry.store} (${entry.left} personal records or files)`).join(', ');
    throw new ErasureVerificationFailed(`Personal data left after erasure in: ${detail}`);
  }
  return { verified: true, verifiedAt: now().toISOString(), retainedItems: input.results.reduce((sum, result) => sum + result.retainedItems, 0) };
}
