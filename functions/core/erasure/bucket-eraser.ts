import {
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  ListObjectVersionsCommand,
  type ObjectIdentifier,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Brand } from '../brands';
import { customerObjectLocation, listCustomerObjects } from '../connectors/s3-store';
import type { StoreDefinition } from '../data-map';
import { StoreFailed, StoreUnavailable, storeError } from '../errors';
import { backoffDelay, type RetryPolicy } from './config';
import type { EraseCounts } from './table-eraser';

/** Most keys S3 accepts in one DeleteObjects. */
export const DELETE_OBJECTS_LIMIT = 1000;

/** Per-key DeleteObjects error codes worth retrying. */
const TRANSIENT_KEY_ERRORS = new Set(['InternalError', 'SlowDown', 'ServiceUnavailable', 'RequestTimeout', 'OperationAborted']);

/** What a bucket eraser needs. */
export interface BucketEraserDeps {
  s3: S3Client;
  retry: RetryPolicy;
  env?: NodeJS.ProcessEnv;
}

/**
 * True when the bucket keeps versions (`Enabled` or `Suspended`: versions written while enabled stay).
 * A bucket that was never versioned answers without a status; so does the local S3, which has no
 * versioning, and one that does not implement the call (`NotImplemented`) is treated the same way.
 */
export async function isVersioned(s3: S3Client, storeId: string, bucket: string): Promise<boolean> {
  try {
    const response = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    return response.Status === 'Enabled' || response.Status === 'Suspended';
  } catch (error) {
    if (error instanceof Error && error.name === 'NotImplemented') return false;
    throw storeError(storeId, error);
  }
}

/**
 * Deletes the objects (or object versions) in batches of 1,000. Keys that fail with a transient code
 * are sent again with exponential backoff and full jitter; any other per-key error fails the step with
 * `StoreFailed` naming the store and the error code (never the keys); keys still failing transiently
 * after `maxAttempts` raise `StoreUnavailable`.
 */
export async function deleteObjects(
  s3: S3Client,
  storeId: string,
  bucket: string,
  objects: readonly ObjectIdentifier[],
  retry: RetryPolicy,
): Promise<void> {
  for (let start = 0; start < objects.length; start += DELETE_OBJECTS_LIMIT) {
    let pending = objects.slice(start, start + DELETE_OBJECTS_LIMIT);
    for (let attempt = 1; ; attempt += 1) {
      let response;
      try {
        response = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: pending, Quiet: true } }));
      } catch (error) {
        throw storeError(storeId, error);
      }
      const errors = response.Errors ?? [];
      if (!errors.length) break;
      const terminal = errors.filter((error) => !TRANSIENT_KEY_ERRORS.has(error.Code ?? ''));
      if (terminal.length) {
        const codes = [...new Set(terminal.map((error) => error.Code ?? 'unknown'))].join(', ');
        throw new StoreFailed(`Store "${storeId}": ${terminal.length} objects could not be deleted (${codes})`);
      }
      if (attempt >= retry.maxAttempts) {
        throw new StoreUnavailable(`Store "${storeId}": ${errors.length} objects still failing after ${attempt} attempts`);
      }
      await retry.sleep(backoffDelay(retry, attempt));
      const failed = new Set(errors.map((error) => `${error.Key}\u0000${error.VersionId ?? ''}`));
      pending = pending.filter((object) => failed.has(`${object.Key}\u0000${object.VersionId ?? ''}`));
    }
  }
}

/** Deletes every version and delete marker under the prefix, page by page. */
async function eraseVersions(deps: BucketEraserDeps, storeId: string, bucket: string, prefix: string): Promise<EraseCounts> {
  const counts: EraseCounts = { deleted: 0, retained: 0, versionsDeleted: 0, bytes: 0 };
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    let page;
    try {
      page = await deps.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    } catch (error) {
      throw storeError(storeId, error);
    }
    const versions = (page.Versions ?? []).filter((version) => version.Key?.startsWith(prefix));
    const markers = (page.DeleteMarkers ?? []).filter((marker) => marker.Key?.startsWith(prefix));
    const targets = [...versions, ...markers].map((entry) => ({ Key: entry.Key!, VersionId: entry.VersionId }));
    await deleteObjects(deps.s3, storeId, bucket, targets, deps.retry);
    counts.deleted += versions.filter((version) => version.IsLatest).length;
    counts.versionsDeleted += targets.length;
    counts.bytes += versions.reduce((sum, version) => sum + (version.Size ?? 0), 0);
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker !== undefined);
  return counts;
}

/**
 * Erases a customer's files from an S3 store: in a versioned bucket every version and delete marker
 * under the customer's prefix; otherwise every listed object. The prefix ends at `/`, so `c1` never
 * reaches `c12/`. A replay finds nothing and returns zeros.
 */
export async function eraseBucket(deps: BucketEraserDeps, store: StoreDefinition, customerId: string, brand: Brand): Promise<EraseCounts> {
  const { bucket, prefix } = customerObjectLocation(store, customerId, brand, deps.env);
  if (await isVersioned(deps.s3, store.id, bucket)) return eraseVersions(deps, store.id, bucket, prefix);
  const counts: EraseCounts = { deleted: 0, retained: 0, versionsDeleted: 0, bytes: 0 };
  for await (const page of listCustomerObjects(deps.s3, store, customerId, brand, { env: deps.env })) {
    await deleteObjects(deps.s3, store.id, bucket, page.map((object) => ({ Key: object.key })), deps.retry);
    counts.deleted += page.length;
    counts.bytes += page.reduce((sum, object) => sum + object.size, 0);
  }
  return counts;
}
