import { createHmac } from 'node:crypto';

/**
 * Keyed hashes (HMAC-SHA256) that let the pipeline find and suppress an erased customer without
 * keeping anything readable. The key comes from configuration: `DSR_HASH_KEY`, which functions in AWS
 * load at cold start from the Secrets Manager secret named by `DSR_HASH_KEY_SECRET_ARN`
 * (`functions/shared/secrets.ts`) and the local runtime generates once per data directory.
 */

/** The HMAC key from configuration; throws when it is missing or too short. */
export function hashKey(env: NodeJS.ProcessEnv = process.env): string {
  const key = env.DSR_HASH_KEY;
  if (!key || key.length < 32) throw new Error('DSR_HASH_KEY must be set to a secret of at least 32 characters');
  return key;
}

/** HMAC-SHA256 of `value` in a namespace (so an email hash never equals a customer-id hash), hex. */
export function keyedHash(namespace: string, value: string, key: string = hashKey()): string {
  return createHmac('sha256', key).update(`${namespace}:${value}`).digest('hex');
}

/** The keyed hash of a customer id: the ledger's index key and the id kept after erasure. */
export function customerKey(customerId: string, key?: string): string {
  return keyedHash('customer', customerId, key);
}

/** Normalises an email address for suppression matching (trimmed, lower-cased). */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Normalises a phone number for suppression matching (digits only, leading + kept, 00 → +). */
export function normalisePhone(phone: string): string {
  const trimmed = phone.trim().replace(/^00/, '+');
  const digits = trimmed.replace(/[^0-9]/g, '');
  return trimmed.startsWith('+') ? `+${digits}` : digits;
}
