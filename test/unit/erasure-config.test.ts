import { describe, expect, it, vi } from 'vitest';
import { backoffDelay, DEFAULT_ERASURE_CONCURRENCY, DEFAULT_RETRY, erasureConfig, sleep } from '../../functions/core/erasure/config';
import { ConfigurationError } from '../../functions/core/errors';

describe('backoffDelay', () => {
  const policy = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1_000 };

  it.each([
    [1, 0.5, 50],
    [2, 0.5, 100],
    [3, 0.999, 399],
    [4, 0.5, 400],
    [5, 0.5, 500],
    [9, 0.5, 500],
    [1, 0, 0],
  ])('attempt %i with random %d waits %i ms (full jitter under base × 2^(attempt-1), capped)', (attempt, random, expected) => {
    expect(backoffDelay(policy, attempt, () => random)).toBe(expected);
  });

  it('draws from Math.random by default', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      expect(backoffDelay(policy, 2)).toBe(100);
    } finally {
      vi.restoreAllMocks();
    }
  });
});

describe('sleep', () => {
  it('resolves after the given time', async () => {
    vi.useFakeTimers();
    try {
      let done = false;
      const waiting = sleep(1_000).then(() => (done = true));

      await vi.advanceTimersByTimeAsync(999);
      const early = done;
      await vi.advanceTimersByTimeAsync(1);
      await waiting;

      expect(early).toBe(false);
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('erasureConfig', () => {
  it('has the documented defaults', () => {
    const config = erasureConfig({});

    expect(config).toStrictEqual({
      eraseFunctions: {},
      collectFunctions: {},
      eventBusName: 'dsr',
      auditBucket: 'dsr-audit',
      suppressionTable: 'dsr-marketing-suppression',
      retry: { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 5_000, sleep },
      concurrency: 8,
    });
    expect(DEFAULT_ERASURE_CONCURRENCY).toBe(8);
    expect(DEFAULT_RETRY).toStrictEqual({ maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 5_000, sleep });
  });

  it('reads the function maps, the bus, the store names and the batch settings from the environment', () => {
    const config = erasureConfig({
      DSR_ERASE_FUNCTIONS: '{"orders":"erase-orders"}',
      DSR_COLLECT_FUNCTIONS: '{"orders":"collect-orders"}',
      DSR_EVENT_BUS_NAME: 'bus',
      DSR_BUCKET_AUDIT: 'audit-bucket',
      DSR_TABLE_MARKETING_SUPPRESSION: 'suppression-table',
      DSR_ERASURE_BATCH_MAX_ATTEMPTS: '3',
      DSR_ERASURE_BATCH_BASE_DELAY_MS: '10',
      DSR_ERASURE_CONCURRENCY: '2',
    });

    expect(config).toStrictEqual({
      eraseFunctions: { orders: 'erase-orders' },
      collectFunctions: { orders: 'collect-orders' },
      eventBusName: 'bus',
      auditBucket: 'audit-bucket',
      suppressionTable: 'suppression-table',
      retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 5_000, sleep },
      concurrency: 2,
    });
  });

  it('refuses an invalid setting with ConfigurationError', () => {
    expect(() => erasureConfig({ DSR_ERASURE_CONCURRENCY: '0' })).toThrow(ConfigurationError);
  });
});
