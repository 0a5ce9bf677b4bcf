import { z } from 'zod';
import { getStore, resourceName } from '../data-map';
import { ConfigurationError } from '../errors';
import { functionMapSetting } from '../function-map-setting';

/**
 * Settings of the erasure pipeline, from the environment only (documented defaults):
 * - `DSR_ERASE_FUNCTIONS`: JSON `{ storeId: functionName }` of the per-store erasers (required by the planner);
 * - `DSR_COLLECT_FUNCTIONS`: JSON `{ storeId: functionName }` of the collectors run in verify mode;
 * - `DSR_EVENT_BUS_NAME`: EventBridge bus for the Art. 19 processor notifications (default `default`);
 * - `DSR_ERASURE_BATCH_MAX_ATTEMPTS`: attempts per BatchWriteItem/DeleteObjects batch while items stay
 *   unprocessed or keys fail transiently (default 8), with exponential backoff and full jitter from
 *   `DSR_ERASURE_BATCH_BASE_DELAY_MS` (default 50) up to 5 s;
 * - the audit bucket (`DSR_BUCKET_AUDIT`) and suppression table (`DSR_TABLE_MARKETING_SUPPRESSION`) from the data map.
 */

const settingsSchema = z.object({
  DSR_ERASE_FUNCTIONS: functionMapSetting('DSR_ERASE_FUNCTIONS'),
  DSR_COLLECT_FUNCTIONS: functionMapSetting('DSR_COLLECT_FUNCTIONS'),
  DSR_EVENT_BUS_NAME: z.string().min(1).default('default'),
  DSR_ERASURE_BATCH_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  DSR_ERASURE_BATCH_BASE_DELAY_MS: z.coerce.number().int().min(0).max(10_000).default(50),
});

/** Resolved erasure settings. */
export interface ErasureConfig {
  eraseFunctions: Record<string, string>;
  collectFunctions: Record<string, string>;
  eventBusName: string;
  auditBucket: string;
  suppressionTable: string;
  retry: RetryPolicy;
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

/** Exponential backoff with full jitter: a random delay in [0, min(cap, base × 2^(attempt-1))]. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
}

/** Reads the erasure settings from the environment; throws `ConfigurationError` on an invalid value. */
export function erasureConfig(env: NodeJS.ProcessEnv = process.env): ErasureConfig {
  const parsed = settingsSchema.safeParse({
    DSR_ERASE_FUNCTIONS: env.DSR_ERASE_FUNCTIONS || undefined,
    DSR_COLLECT_FUNCTIONS: env.DSR_COLLECT_FUNCTIONS || undefined,
    DSR_EVENT_BUS_NAME: env.DSR_EVENT_BUS_NAME || undefined,
    DSR_ERASURE_BATCH_MAX_ATTEMPTS: env.DSR_ERASURE_BATCH_MAX_ATTEMPTS || undefined,
    DSR_ERASURE_BATCH_BASE_DELAY_MS: env.DSR_ERASURE_BATCH_BASE_DELAY_MS || undefined,
  });
  if (!parsed.success) {
    throw new ConfigurationError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  }
  const settings = parsed.data;
  return {
    eraseFunctions: settings.DSR_ERASE_FUNCTIONS,
    collectFunctions: settings.DSR_COLLECT_FUNCTIONS,
    eventBusName: settings.DSR_EVENT_BUS_NAME,
    auditBucket: resourceName(getStore('audit'), env),
    suppressionTable: resourceName(getStore('marketing-suppression'), env),
    retry: { ...DEFAULT_RETRY, maxAttempts: settings.DSR_ERASURE_BATCH_MAX_ATTEMPTS, baseDelayMs: settings.DSR_ERASURE_BATCH_BASE_DELAY_MS },
  };
}
