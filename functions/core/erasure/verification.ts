import { z } from 'zod';
import { workflowRequestId } from '../workflow-input';
import { ErasureVerificationFailed } from '../errors';
import { verifyResultSchema } from '../export/collect';

/** Input of `check-erasure-verification`: the verify results of every planned store. */
export const checkVerificationInput = z.object({
  requestId: workflowRequestId,
  results: z.array(verifyResultSchema),
});

/** Output of `check-erasure-verification`: a passed verification (retained records counted over all stores). */
export const verificationOutput = z.object({ verified: z.literal(true), verifiedAt: z.string(), retainedItems: z.number().int().nonnegative() });

/** A passed verification. */
export type VerificationOutcome = z.infer<typeof verificationOutput>;

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
