import { describe, expect, it } from 'vitest';
import { checkErasureVerification, checkVerificationInput, verificationOutput } from '../../functions/core/erasure/verification';
import { ErasureVerificationFailed } from '../../functions/core/errors';

const now = () => new Date('2025-06-01T12:00:00.000Z');

describe('checkErasureVerification', () => {
  it('passes when every store holds only retained records, counting them over all stores', () => {
    const outcome = checkErasureVerification(
      {
        requestId: 'r1',
        results: [
          { store: 'orders', items: 3, retainedItems: 3, personalItems: 0 },
          { store: 'customer-profile', items: 0, retainedItems: 0, personalItems: 0 },
          { store: 'archive', items: 2, retainedItems: 2, personalItems: 0 },
        ],
      },
      now,
    );

    expect(outcome).toStrictEqual({ verified: true, verifiedAt: '2025-06-01T12:00:00.000Z', retainedItems: 5 });
  });

  it('fails naming every store with leftovers: personal records, or records that are not retained, whichever is more', () => {
    const check = () =>
      checkErasureVerification(
        {
          requestId: 'r1',
          results: [
            { store: 'marketing', items: 2, retainedItems: 0, personalItems: 1 },
            { store: 'orders', items: 3, retainedItems: 3, personalItems: 0 },
            { store: 'orders-retained', items: 3, retainedItems: 3, personalItems: 2 },
            { store: 'uploaded-photos', items: 1, retainedItems: 0, personalItems: 0 },
          ],
        },
        now,
      );

    expect(check).toThrow(ErasureVerificationFailed);
    expect(check).toThrow(
      'Personal data left after erasure in: marketing (2 personal records or files), orders-retained (2 personal records or files), uploaded-photos (1 personal records or files)',
    );
  });

  it('uses the current time by default', () => {
    const before = Date.now();

    const outcome = checkErasureVerification({ requestId: 'r1', results: [] });

    expect(outcome.retainedItems).toBe(0);
    expect(Date.parse(outcome.verifiedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(outcome.verifiedAt)).toBeLessThanOrEqual(Date.now());
  });
});

describe('check-erasure-verification contracts', () => {
  it('takes the request id and the verify results, and returns a passed verification', () => {
    const input = { requestId: 'r1', results: [{ store: 'orders', items: 1, retainedItems: 1, personalItems: 0 }] };
    const outcome = checkErasureVerification(input, now);

    expect(checkVerificationInput.parse(input)).toStrictEqual(input);
    expect(verificationOutput.parse(outcome)).toStrictEqual(outcome);
    expect(() => checkVerificationInput.parse({ requestId: 'r1' })).toThrow();
    expect(() => checkVerificationInput.parse({ results: [] })).toThrow();
    expect(() => verificationOutput.parse({ ...outcome, verified: false })).toThrow();
    expect(() => verificationOutput.parse({ verified: true, retainedItems: 0 })).toThrow();
  });
});

describe('checkErasureVerification', () => {
  const now = () => new Date('2025-06-01T12:00:00.000Z');

  it('passes when only retained records without personal fields are left', () => {
    const outcome = checkErasureVerification(
      {
        requestId: 'r1',
        results: [
          { store: 'orders', items: 3, retainedItems: 3, personalItems: 0 },
          { store: 'marketing', items: 0, retainedItems: 0, personalItems: 0 },
        ],
      },
      now,
    );

    expect(outcome).toEqual({ verified: true, verifiedAt: '2025-06-01T12:00:00.000Z', retainedItems: 3 });
  });

  it('fails naming every store with leftovers', () => {
    const check = () =>
      checkErasureVerification({
        requestId: 'r1',
        results: [
          { store: 'orders', items: 3, retainedItems: 3, personalItems: 1 },
          { store: 'uploaded-photos', items: 2, retainedItems: 0, personalItems: 2 },
          { store: 'marketing', items: 0, retainedItems: 0, personalItems: 0 },
        ],
      });

    expect(check).toThrow(ErasureVerificationFailed);
    expect(check).toThrow('Personal data left after erasure in: orders (1 personal records or files), uploaded-photos (2 personal records or files)');
  });
});
