import { getStore, resourceName } from '../data-map';
import { FUNCTION_SETTINGS, readFunctionMap, readFunctionSettings } from '../settings';

/**
 * Settings of the erasure pipeline, from the environment only: the per-store erasers and verify-mode
 * collectors (`DSR_ERASE_FUNCTIONS`, `DSR_COLLECT_FUNCTIONS`, JSON `{ storeId: functionName }`), the
 * event bus, the batch retry policy and concurrency (`DSR_EVENT_BUS_NAME`, `DSR_ERASURE_BATCH_*`, `DSR_ERASURE_CONCURRENCY`, declared with their
 * defaults in functions/core/settings.ts), and the audit bucket and suppression table from the data map.
 */

/** Resolved erasure settings. */
export interface ErasureConfig {
  eraseFunctions: Record<string, string>;
  collectFunctions: Record<string, string>;
  eventBusName: string;
  auditBucket: string;
  suppressionTable: string;
  retry: RetryPolicy;
  /** DeleteObjects / BatchWriteItem calls an eraser keeps in flight. */
  concurrency: number;
}

/** How a batch with unprocessed items or transiently failed keys is retried. */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Waits `ms` milliseconds (replaced in tests). */
  sleep: (ms: number) => Promise<void>;
}

/** Waits the given milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The default retry policy (8 attempts, 50 ms base, 5 s cap). */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 5_000, sleep };

/** The default of `DSR_ERASURE_CONCURRENCY`, from its one declaration. */
export const DEFAULT_ERASURE_CONCURRENCY: number = FUNCTION_SETTINGS.erasureConcurrency.schema.parse(undefined);

/** Exponential backoff with full jitter: a random delay in [0, min(cap, base × 2^(attempt-1))]. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
}

/** Reads the erasure settings from the environment; throws `ConfigurationError` on an invalid value. */
export function erasureConfig(env: NodeJS.ProcessEnv = process.env): ErasureConfig {
  const settings = readFunctionSettings(env);
  return {
    eraseFunctions: readFunctionMap(env, 'DSR_ERASE_FUNCTIONS'),
    collectFunctions: readFunctionMap(env, 'DSR_COLLECT_FUNCTIONS'),
    eventBusName: settings.eventBusName,
    auditBucket: resourceName(getStore('audit'), env),
    suppressionTable: resourceName(getStore('marketing-suppression'), env),
    retry: { ...DEFAULT_RETRY, maxAttempts: settings.erasureBatchMaxAttempts, baseDelayMs: settings.erasureBatchBaseDelayMs },
    concurrency: settings.erasureConcurrency,
  };
}
