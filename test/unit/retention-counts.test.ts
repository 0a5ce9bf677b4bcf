import { describe, expect, it } from 'vitest';
import { noStoreCounts, storeCountsSchema, sumCounts } from '../../functions/core/retention/counts';

/** The sweep's counts: zero per store, summed per store in first-seen order, counts only. */

describe('sumCounts', () => {
  it('sums every count per store, keeping the order stores first appear in', () => {
    // Arrange
    const counts = [
      { store: 'orders', examined: 1, expired: 2, removed: 3, heldSkipped: 4, remaining: 5 },
      { store: 'contact-history', examined: 10, expired: 0, removed: 0, heldSkipped: 0, remaining: 0 },
      { store: 'orders', examined: 10, expired: 20, removed: 30, heldSkipped: 40, remaining: 50 },
    ];

    // Act
    const summed = sumCounts(counts);

    // Assert
    expect(summed).toEqual([
      { store: 'orders', examined: 11, expired: 22, removed: 33, heldSkipped: 44, remaining: 55 },
      { store: 'contact-history', examined: 10, expired: 0, removed: 0, heldSkipped: 0, remaining: 0 },
    ]);
    expect(sumCounts([])).toEqual([]);
  });

  it('starts a store at zero and accepts counts only (no ids, no negatives)', () => {
    // Assert
    expect(noStoreCounts('orders')).toEqual({ store: 'orders', examined: 0, expired: 0, removed: 0, heldSkipped: 0, remaining: 0 });
    expect(storeCountsSchema.safeParse({ ...noStoreCounts('orders'), customerIds: ['c1'] }).success).toBe(false);
    expect(storeCountsSchema.safeParse({ ...noStoreCounts('orders'), removed: -1 }).success).toBe(false);
  });

  it('accepts any whole count of at least zero in each field, and refuses a negative or fractional one in each', () => {
    // Arrange
    const fields = ['examined', 'expired', 'removed', 'heldSkipped', 'remaining'] as const;
    const counts = { store: 'orders', examined: 7, expired: 6, removed: 3, heldSkipped: 2, remaining: 1 };

    // Assert
    expect(storeCountsSchema.parse(counts)).toEqual(counts);
    for (const field of fields) {
      expect(storeCountsSchema.safeParse({ ...counts, [field]: -1 }).success, `${field} -1`).toBe(false);
      expect(storeCountsSchema.safeParse({ ...counts, [field]: 0.5 }).success, `${field} 0.5`).toBe(false);
      expect(storeCountsSchema.safeParse({ ...counts, [field]: 0 }).success, `${field} 0`).toBe(true);
    }
  });
});
