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
import { forEachBounded } from './bounded';
import { addCounts, entryId, noCounts, type EraseCounts, type StoreProgressLog } from './progress';

/** Most keys S3 accepts in one DeleteObjects. */
export const DELETE_OBJECTS_LIMIT = 1000;

/** Per-key DeleteObjects error codes worth retrying. */
const TRANSIENT_KEY_ERRORS = new Set(['InternalError', 'SlowDown', 'ServiceUnavailable', 'RequestTimeout', 'OperationAborted']);

/** What a bucket eraser needs. */
export interface BucketEraserDeps {
  s3: S3Client;
  retry: RetryPolicy;
  /** The request's progress log for this store (batches are recorded before they are deleted); none where no certificate counts them (a cancelled export). */
  progress?: StoreProgressLog;
  /** DeleteObjects calls in flight at most (and pages listed ahead). */
  concurrency: number;
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

/** One listed page of a prefix: what to delete, each with its counts, whether more follows, and the last key listed. */
interface ListedBatch {
  targets: { target: ObjectIdentifier; counts: EraseCounts }[];
  truncated: boolean;
  lastKey?: string;
}

/**
 * A page of a prefix: every version and delete marker (versioned bucket, always from the start), else
 * every object, from the start or after `startAfter` (a key, not a token: valid on any S3-compatible store).
 */
async function listPage(deps: BucketEraserDeps, storeId: string, bucket: string, prefix: string, versioned: boolean, startAfter?: string): Promise<ListedBatch> {
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
    const page = await deps.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(startAfter ? { StartAfter: startAfter } : {}) }));
    const objects = (page.Contents ?? []).filter((object) => object.Key?.startsWith(prefix));
    return {
      targets: objects.map((object) => ({ target: { Key: object.Key! }, counts: { deleted: 1, retained: 0, versionsDeleted: 0, bytes: object.Size ?? 0 } })),
      truncated: page.IsTruncated === true,
      lastKey: page.Contents?.at(-1)?.Key,
    };
  } catch (error) {
    throw storeError(storeId, error);
  }
}

/**
 * Erases one prefix in rounds. A round lists up to `concurrency` pages (in an unversioned bucket the
 * pages after the first start after the previous page's last key; nothing listed is deleted yet, so
 * that is valid on any S3-compatible store; a versioned bucket lists one page from the start), then
 * deletes them concurrently, each page one batch whose every object or version is recorded in the
 * progress log before that batch is deleted. The next round lists from the start of the prefix again,
 * never from a marker inside what was just deleted; it ends when the last page listed says it is last,
 * so the listing calls are those of one pass over the prefix.
 */
async function erasePrefix(deps: BucketEraserDeps, storeId: string, bucket: string, prefix: string, versioned: boolean): Promise<EraseCounts> {
  const counts = noCounts();
  let resume: string | undefined;
  for (;;) {
    const batches: ListedBatch[] = [];
    let page = await listPage(deps, storeId, bucket, prefix, versioned, resume);
    batches.push(page);
    while (!versioned && page.truncated && page.lastKey && batches.length < deps.concurrency) {
      page = await listPage(deps, storeId, bucket, prefix, versioned, page.lastKey);
      batches.push(page);
    }
    const work = batches.filter((batch) => batch.targets.length);
    if (!work.length) {
      // Nothing to delete in this round (empty pages): go on after it rather than list the same again.
      if (!page.truncated || !page.lastKey || versioned) return counts;
      resume = page.lastKey;
      continue;
    }
    resume = undefined;
    await forEachBounded(work, deps.concurrency, async (batch) => {
      await deps.progress?.record(
        batch.targets.map(({ target, counts: entry }) => ({ id: entryId(`${bucket}\u0000${target.Key}\u0000${target.VersionId ?? ''}`, deps.env?.DSR_HASH_KEY), ...entry })),
      );
      await deleteObjects(deps.s3, storeId, bucket, batch.targets.map(({ target }) => target), deps.retry);
      for (const { counts: entry } of batch.targets) addCounts(counts, entry);
    });
    if (!page.truncated) return counts;
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
