import pLimit from 'p-limit';

/**
 * Runs `task` for every item, in item order, with at most `concurrency` in flight. After the first
 * failure no further task starts; the call waits until the running ones have settled (none outlives
 * it) and then throws that first failure as it is (a named store error stays named).
 */
export async function forEachBounded<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  const limit = pLimit(Math.max(1, concurrency));
  const failures: unknown[] = [];
  await Promise.all(
    items.map((item) =>
      limit(async () => {
        if (failures.length) return;
        try {
          await task(item);
        } catch (error) {
          failures.push(error);
        }
      }),
    ),
  );
  if (failures.length) throw failures[0];
}
