import { z } from 'zod';

/** The counts the retention sweep keeps per store: counts only, never ids. */

/** The counts of one store (a segment, a batch, or the whole run). */
export const storeCountsSchema = z.strictObject({
  store: z.string(),
  /** Records (objects, accounts) read. */
  examined: z.int().min(0),
  /** Of those, past their rule (held ones included). */
  expired: z.int().min(0),
  /** Removed (for inactive accounts: on the erasure path, a request created or already open). */
  removed: z.int().min(0),
  /** Past their rule but left alone: the customer is under a legal hold. */
  heldSkipped: z.int().min(0),
  /** Past their rule, not held, and still there after the run (a dry run leaves all of them; a removal the store does not confirm fails the task instead). */
  remaining: z.int().min(0),
});

/** Counts of one store. */
export type StoreCounts = z.infer<typeof storeCountsSchema>;

/** Zero counts of a store. */
export function noStoreCounts(store: string): StoreCounts {
  return { store, examined: 0, expired: 0, removed: 0, heldSkipped: 0, remaining: 0 };
}

/** Sums counts per store, in first-seen order. */
export function sumCounts(counts: readonly StoreCounts[]): StoreCounts[] {
  const byStore = new Map<string, StoreCounts>();
  for (const entry of counts) {
    const total = byStore.get(entry.store) ?? noStoreCounts(entry.store);
    byStore.set(entry.store, {
      store: entry.store,
      examined: total.examined + entry.examined,
      expired: total.expired + entry.expired,
      removed: total.removed + entry.removed,
      heldSkipped: total.heldSkipped + entry.heldSkipped,
      remaining: total.remaining + entry.remaining,
    });
  }
  return [...byStore.values()];
}

