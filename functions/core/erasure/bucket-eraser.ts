import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  type ObjectIdentifier,
  type S3Client,
} from '@aws-sdk/client-s3';
import { customerObjectLocation, isVersioned } from '../connectors/s3-store';
import type { StoreDefinition } from '../data-map';
import { StoreFailed, StoreUnavailable, storeError } from '../errors';
import { backoffDelay, type RetryPolicy } from './config';
import { addCounts, entryId, noCounts, type EraseCounts, type StoreProgressLog } from './progress';

/** Most keys S3 accepts in one DeleteObjects. */
export const DELETE_OBJECTS_LIMIT = 1000;

/** Per-key DeleteObjects error codes worth retrying. */
const TRANSIENT_KEY_ERRORS = new Set(['InternalError', 'SlowDown', 'ServiceUnavailable', 'RequestTimeout', 'OperationAborted']);

/** What a bucket eraser needs. */
export interface BucketEraserDeps {
  s3: S3Client;
  retry: RetryPolicy;
  /** The request's progress log for this store (batches are recorded before they are deleted). */
  progress: StoreProgressLog;
  env?: NodeJS.ProcessEnv;
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

/** One listed page of a prefix: what to delete, each with its counts, and whether more follows. */
interface ListedBatch {
  targets: { target: ObjectIdentifier; counts: EraseCounts }[];
  truncated: boolean;
}

/** The first page of a prefix: every version and delete marker (versioned bucket), else every object. */
async function listFirstPage(deps: BucketEraserDeps, storeId: string, bucket: string, prefix: string, versioned: boolean): Promise<ListedBatch> {
  try {
    if (versioned) {
      const page = await deps.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }));
      const versions = (page.Versions ?? []).filter((version) => version.Key?.startsWith(prefix));
      const markers = (page.DeleteMarkers ?? []).filter((marker) => marker.Key?.startsWith(prefix));
      return {
        targets: [
          ...versions.map((version) => ({
            target: { Key: version.Key!, VersionId: version.VersionId },
            counts: { deleted: version.IsLatest ? 1 : 0, retained: 0, versionsDeleted: 1, bytes: version.Size ?? 0 },
          })),
          ...markers.map((marker) => ({ target: { Key: marker.Key!, VersionId: marker.VersionId }, counts: { deleted: 0, retained: 0, versionsDeleted: 1, bytes: 0 } })),
        ],
        truncated: page.IsTruncated === true,
      };
    }
    const page = await deps.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    const objects = (page.Contents ?? []).filter((object) => object.Key?.startsWith(prefix));
    return {
      targets: objects.map((object) => ({ target: { Key: object.Key! }, counts: { deleted: 1, retained: 0, versionsDeleted: 0, bytes: object.Size ?? 0 } })),
      truncated: page.IsTruncated === true,
    };
  } catch (error) {
    throw storeError(storeId, error);
  }
}

/**
 * Erases one prefix page by page. Each page is listed from the start of the prefix again after the
 * previous one was deleted, never continued from a marker inside what was just deleted: correct on
 * any S3-compatible store, and no more calls than following markers (the last page says it is last).
 * Each page is one batch, every object or version of it recorded in the progress log before it is deleted.
 */
async function erasePrefix(deps: BucketEraserDeps, storeId: string, bucket: string, prefix: string, versioned: boolean): Promise<EraseCounts> {
  const counts = noCounts();
  for (;;) {
    const batch = await listFirstPage(deps, storeId, bucket, prefix, versioned);
    if (!batch.targets.length) return counts;
    await deps.progress.record(
      batch.targets.map(({ target, counts: entry }) => ({ id: entryId(`${bucket}\u0000${target.Key}\u0000${target.VersionId ?? ''}`, deps.env?.DSR_HASH_KEY), ...entry })),
    );
    await deleteObjects(deps.s3, storeId, bucket, batch.targets.map(({ target }) => target), deps.retry);
    for (const { counts: entry } of batch.targets) addCounts(counts, entry);
    if (!batch.truncated) return counts;
  }
}

/**
 * Erases everything under the given prefixes of a bucket: in a versioned bucket every version and
 * delete marker, otherwise every object. A replay finds nothing and returns zeros; the progress log
 * keeps the totals exact across executions.
 */
export async function erasePrefixes(deps: BucketEraserDeps, storeId: string, bucket: string, prefixes: readonly string[]): Promise<EraseCounts> {
  const versioned = await isVersioned(deps.s3, storeId, bucket);
  const counts = noCounts();
  for (const prefix of prefixes) addCounts(counts, await erasePrefix(deps, storeId, bucket, prefix, versioned));
  return counts;
}

/**
 * Erases a customer's files from an S3 store under every prefix that can hold them (every brand's,
 * for a brand-partitioned store). A prefix ends at `/`, so `c1` never reaches `c12/`.
 */
export async function eraseBucket(deps: BucketEraserDeps, store: StoreDefinition, customerId: string): Promise<EraseCounts> {
  const { bucket, prefixes } = customerObjectLocation(store, customerId, deps.env);
  return erasePrefixes(deps, store.id, bucket, prefixes);
}
