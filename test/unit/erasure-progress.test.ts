import { describe, expect, it } from 'vitest';
import { addCounts, entryId, noCounts, progressPrefix } from '../../functions/core/erasure/progress';

/**
 * Known-answer vectors for the progress log's entry ids: computed once with
 * `printf 'erasure-entry:<key>' | openssl dgst -sha256 -hmac "$KEY"` (first 32 hex digits), so a replay
 * after a change of the id scheme would not silently count every record twice.
 */
const KEY = 'kat-hash-key-0123456789abcdef0123';

describe('entryId (known answers)', () => {
  it.each([
    ['dsr-local-orders\u0000{"customerId":"cust-0001","orderId":"o-1"}', '6733c4a9be23e43b81609cbc284905a2'],
    ['media-bucket\u0000customers/cust-0001/a.jpg\u0000v-1', '4436d1ebf3b73716a37b04ab1f1fa82b'],
    ['', 'cf9f05cfd43e06cec380c76f0ea30d70'],
  ])('%j → %s', (key, expected) => {
    expect(entryId(key, KEY)).toBe(expected);
  });
});

describe('progressPrefix', () => {
  it('is per request, and per store when one is named', () => {
    expect(progressPrefix('r-1')).toBe('progress/r-1/');
    expect(progressPrefix('r-1', 'orders')).toBe('progress/r-1/orders/');
  });
});

describe('addCounts', () => {
  it('adds every count into the total and returns it', () => {
    const total = { deleted: 1, retained: 2, versionsDeleted: 3, bytes: 4 };

    const result = addCounts(total, { deleted: 10, retained: 20, versionsDeleted: 30, bytes: 40 });

    expect(result).toBe(total);
    expect(total).toEqual({ deleted: 11, retained: 22, versionsDeleted: 33, bytes: 44 });
    expect(noCounts()).toEqual({ deleted: 0, retained: 0, versionsDeleted: 0, bytes: 0 });
  });
});
