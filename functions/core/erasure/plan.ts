import { z } from 'zod';
import { workflowRequestId } from '../workflow-input';
import { ERASED_STORES } from '../data-map';
import { ConfigurationError } from '../errors';
import type { ErasureConfig } from './config';

/** Input of `plan-erasure`. */
export const planErasureInput = z.object({
  requestId: workflowRequestId,
});

/** One store to erase and verify: its action and the functions that do it. */
export const plannedStoreSchema = z.object({
  store: z.string(),
  action: z.enum(['delete', 'anonymise-and-retain']),
  eraseFunction: z.string(),
  collectFunction: z.string(),
});

/** One store to erase and verify. */
export type PlannedStore = z.infer<typeof plannedStoreSchema>;

/** Output of `plan-erasure`: every business store and the exports (the customer id is group-wide; the request's brand never narrows it). */
export const planErasureOutput = z.object({ stores: z.array(plannedStoreSchema) });

/** The erasure plan. */
export type ErasurePlan = z.infer<typeof planErasureOutput>;

/**
 * Plans an erasure: every store the data map erases (business stores and exports), each with its eraser
 * (`DSR_ERASE_FUNCTIONS`) and its collector for verification (`DSR_COLLECT_FUNCTIONS`). A store with
 * no configured function is a deployment error (`ConfigurationError` naming the store), never skipped.
 */
export function planErasure(config: Pick<ErasureConfig, 'eraseFunctions' | 'collectFunctions'>, input: z.infer<typeof planErasureInput>): ErasurePlan {
  const stores: PlannedStore[] = [];
  for (const store of ERASED_STORES) {
    if (store.erasure.action === 'none') continue;
    const eraseFunction = config.eraseFunctions[store.id];
    const collectFunction = config.collectFunctions[store.id];
    if (!eraseFunction) throw new ConfigurationError(`DSR_ERASE_FUNCTIONS has no eraser for store "${store.id}"`);
    if (!collectFunction) throw new ConfigurationError(`DSR_COLLECT_FUNCTIONS has no collector for store "${store.id}"`);
    stores.push({ store: store.id, action: store.erasure.action, eraseFunction, collectFunction });
  }
  return { stores };
}
