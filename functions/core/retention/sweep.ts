import { HeadObjectCommand, ListObjectVersionsCommand, type ObjectIdentifier, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { listPrefixObjects } from '../connectors/s3-store';
import { primaryKeyOf, scanSegmentPages, type Item } from '../connectors/dynamodb-store';
import { resourceName, type AfterDateRule, type StoreDefinition } from '../data-map';
import { batchWrite } from '../erasure/batch-write';
import { DELETE_OBJECTS_LIMIT, deleteObjects } from '../erasure/bucket-eraser';
import { forEachBounded } from '../erasure/bounded';
import type { RetryPolicy } from '../erasure/config';
import { storeError } from '../errors';
import { readJson } from '../export/staging-io';
import { customerKey } from '../keyed-hash';
import { noStoreCounts, storeCountsSchema, sumCounts, type StoreCounts } from './counts';
import { sweepInactiveAccounts, type RequestErasure } from './inactive-accounts';
import { keyDateOf } from './key-date';
import { expiredFileSchema, runFileKey, runFileSchema, runIdSchema, segmentSchema, type ExpiredFile, type RunFile, type Segment } from './plan';
import { isPastRule, periodEnd, sweptStore } from './rules';
import { customerKeyOfItem, isRuleRecord, ruleAttributes, type TableRule } from './table-rule';

/**
 * One sweep task of the Distributed Map (`Sweep Segment`): for each segment of its batch, reads the
 * store (or, for a table the planner read, the segment's expired-records file) and removes what is past
 * its rule, as the data map's erasure action says (delete; the retained invoices of an
 * anonymise-and-retain store are already anonymised and are deleted once `retainUntil` has passed), in
 * BatchWriteItem batches of 25 (unprocessed items retried) and DeleteObjects batches of 1,000 across
 * the batch's prefixes of a bucket (every version of a versioned bucket's object). A record that is not
 * past its rule, or of a customer under a legal hold (the run file's keyed hashes), is never touched; a
 * dry run removes nothing. Removed means confirmed by the store, item by item: a delete BatchWriteItem
 * left unprocessed, or a DeleteObjects key error, is retried and otherwise fails the task (and the
 * run), so nothing is counted as removed that was not. It returns counts only, never ids. Running it
 * again removes nothing new.
 */

/** Input of `sweep-retention-segment`: one ItemBatcher batch. */
export const sweepSegmentInput = z.strictObject({
  Items: z.array(segmentSchema).min(1),
  BatchInput: z.strictObject({ runId: runIdSchema, dryRun: z.boolean() }),
});

/** Output of `sweep-retention-segment`: counts per store of the batch. */
export const sweepSegmentOutput = z.strictObject({ stores: z.array(storeCountsSchema) });

/** What a sweep task needs. */
export interface SweepDeps {
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  /** The bucket of the run's work files (run file, expired-records files): the exports bucket. */
  workBucket: string;
  retry: RetryPolicy;
  /** HeadObject calls in flight at most while a bucket page is read, for objects named without a date (default 1). */
  concurrency?: number;
  /** Creates the erasure request of an inactive account through the request API's core. */
  requestErasure: RequestErasure;
  customerKey?: (customerId: string) => string;
  env?: NodeJS.ProcessEnv;
}

/** Reads and checks the run file. */
export async function readRunFile(s3: S3Client, workBucket: string, runId: string): Promise<RunFile> {
  return runFileSchema.parse(await readJson(s3, workBucket, runFileKey(runId)));
}

/**
 * DeleteObjects targets of a batch, per bucket: sent 1,000 at a time across the batch's prefixes, the
 * rest once the batch is done (`flush`), so a batch of sparse prefixes costs one call, not one per prefix.
 */
class DeleteQueue {
  private readonly pending = new Map<string, { storeId: string; targets: ObjectIdentifier[] }>();

  constructor(
    private readonly s3: S3Client,
    private readonly retry: RetryPolicy,
  ) {}

  /** Queues an object's targets; sends full batches of 1,000. */
  async add(storeId: string, bucket: string, targets: readonly ObjectIdentifier[]): Promise<void> {
    const entry = this.pending.get(bucket) ?? { storeId, targets: [] };
    this.pending.set(bucket, entry);
    entry.targets.push(...targets);
    while (entry.targets.length >= DELETE_OBJECTS_LIMIT) await deleteObjects(this.s3, storeId, bucket, entry.targets.splice(0, DELETE_OBJECTS_LIMIT), this.retry);
  }

  /** Sends what is still queued (`deleteObjects` sends nothing for a bucket with nothing left). */
  async flush(): Promise<void> {
    for (const [bucket, entry] of this.pending) await deleteObjects(this.s3, entry.storeId, bucket, entry.targets.splice(0), this.retry);
  }
}

/** The context of one segment's sweep. */
interface SweepContext {
  deps: SweepDeps;
  run: RunFile;
  now: Date;
  held: ReadonlySet<string>;
  keyOf: (customerId: string) => string;
  deletes: DeleteQueue;
}

/** Deletes, unless it is a dry run, the records of a table that are past its rule and not held; counts them. */
async function removeExpired(ctx: SweepContext, store: StoreDefinition, counts: StoreCounts, expired: readonly { key: Item; customerKey?: string }[]): Promise<void> {
  const removable = expired.filter((record) => record.customerKey === undefined || !ctx.held.has(record.customerKey));
  counts.expired += expired.length;
  counts.heldSkipped += expired.length - removable.length;
  if (ctx.run.dryRun) {
    counts.remaining += removable.length;
    return;
  }
  // `batchWrite` sends nothing when none is removable.
  const table = resourceName(store, ctx.deps.env);
  await batchWrite(ctx.deps.doc, store.id, table, removable.map((record) => ({ DeleteRequest: { Key: record.key } })), ctx.deps.retry);
  counts.removed += removable.length;
}

/** Sweeps one parallel-scan segment of a table with a dated rule, page by page. */
async function sweepTableSegment(ctx: SweepContext, store: StoreDefinition, rule: TableRule, segment: number, totalSegments: number): Promise<StoreCounts> {
  const counts = noStoreCounts(store.id);
  for await (const items of scanSegmentPages(ctx.deps.doc, store, { segment, totalSegments, attributes: ruleAttributes(store, rule) }, ctx.deps.env)) {
    const records = items.filter((item) => isRuleRecord(store, rule, item));
    counts.examined += records.length;
    const expired = records.filter((item) => isPastRule(rule, item, ctx.now));
    await removeExpired(ctx, store, counts, expired.map((item) => ({ key: primaryKeyOf(store, item), customerKey: customerKeyOfItem(store, item, ctx.keyOf) })));
  }
  return counts;
}

/** Reads and checks an expired-records file of the planner. */
async function readExpiredFile(ctx: SweepContext, key: string, storeId: string): Promise<ExpiredFile> {
  const file = expiredFileSchema.parse(await readJson(ctx.deps.s3, ctx.deps.workBucket, key));
  if (file.store !== storeId) throw new Error(`Expired-records file ${key} is of store "${file.store}", not "${storeId}"`);
  return file;
}

/** Sweeps a table segment the planner read: deletes the records its file lists, unless held. */
async function sweepScannedSegment(ctx: SweepContext, store: StoreDefinition, segment: { scanned: number; expiredFile?: string }): Promise<StoreCounts> {
  const counts = { ...noStoreCounts(store.id), examined: segment.scanned };
  if (segment.expiredFile === undefined) return counts;
  const file = await readExpiredFile(ctx, segment.expiredFile, store.id);
  await removeExpired(ctx, store, counts, file.records);
  return counts;
}

/** One object of a bucket segment: its key, the versions to delete with it, and what the listing says of it. */
interface ListedKey {
  key: string;
  /** Version id of the current version (versioned bucket). */
  versionId?: string;
  lastModified?: Date;
  /** Every version and delete marker of the key (versioned bucket); the key alone otherwise. */
  targets: ObjectIdentifier[];
}

/** Yields a prefix's objects page by page: each current object with all its versions (versioned bucket). */
async function* listKeys(s3: S3Client, storeId: string, bucket: string, prefix: string, versioned: boolean): AsyncGenerator<ListedKey[]> {
  if (!versioned) {
    for await (const page of listPrefixObjects(s3, storeId, bucket, prefix)) {
      yield page.map((object) => ({ key: object.key, lastModified: object.lastModified ? new Date(object.lastModified) : undefined, targets: [{ Key: object.key }] }));
    }
    return;
  }
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  // Versions of a key come newest first and may run on into the next page: the key stays open until another starts.
  let open: ListedKey | undefined;
  do {
    let page;
    try {
      page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    } catch (error) {
      throw storeError(storeId, error);
    }
    const entries = [
      ...(page.Versions ?? []).map((version) => ({ key: version.Key!, versionId: version.VersionId, latest: version.IsLatest === true, lastModified: version.LastModified, marker: false })),
      ...(page.DeleteMarkers ?? []).map((marker) => ({ key: marker.Key!, versionId: marker.VersionId, latest: marker.IsLatest === true, lastModified: marker.LastModified, marker: true })),
    ].sort((left, right) => (left.key < right.key ? -1 : left.key > right.key ? 1 : Number(right.latest) - Number(left.latest)));
    const done: ListedKey[] = [];
    for (const entry of entries) {
      if (open && open.key !== entry.key) {
        done.push(open);
        open = undefined;
      }
      if (!open) {
        // A key whose latest version is a delete marker is gone already; its old versions expire by lifecycle.
        if (!entry.latest || entry.marker) continue;
        open = { key: entry.key, versionId: entry.versionId, lastModified: entry.lastModified, targets: [] };
      }
      open.targets.push({ Key: entry.key, VersionId: entry.versionId });
    }
    if (done.length > 0) yield done;
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker !== undefined);
  if (open) yield [open];
}

/**
 * True when an object is past an `after-metadata` rule. With `datedFileNames` the date in the file
 * name decides (no request). Otherwise, or for an object named without a date: a recording is uploaded
 * after it is recorded (`recorded-at` ≤ upload time), so an object uploaded more than the period ago is
 * past it without a HeadObject; a more recent one is read (HeadObject) for its metadata date.
 */
async function objectPastRule(ctx: SweepContext, store: StoreDefinition, rule: AfterDateRule, bucket: string, listed: ListedKey): Promise<boolean> {
  const named = rule.datedFileNames ? keyDateOf(listed.key) : undefined;
  if (named) return periodEnd(named, rule.period)!.getTime() < ctx.now.getTime();
  const uploadEnd = periodEnd(listed.lastModified, rule.period);
  if (uploadEnd && uploadEnd.getTime() < ctx.now.getTime()) return true;
  let metadata: Record<string, string>;
  try {
    const head = await ctx.deps.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: listed.key, VersionId: listed.versionId }));
    metadata = head.Metadata ?? {};
  } catch (error) {
    if (error instanceof Error && (error.name === 'NotFound' || error.name === 'NoSuchKey')) return false;
    throw storeError(store.id, error);
  }
  return isPastRule(rule, metadata, ctx.now);
}

/** The customer id in an object key under `<base>{customerId}/`, or undefined. */
function customerIdOfKey(base: string, key: string): string | undefined {
  const rest = key.slice(base.length);
  const slash = rest.indexOf('/');
  return key.startsWith(base) && slash > 0 ? rest.slice(0, slash) : undefined;
}

/** Sweeps one key prefix of a bucket with an `after-metadata` rule. */
async function sweepPrefixSegment(ctx: SweepContext, store: StoreDefinition, rule: AfterDateRule, prefix: string): Promise<StoreCounts> {
  const { deps } = ctx;
  const counts = noStoreCounts(store.id);
  const bucket = resourceName(store, deps.env);
  const locator = store.locator;
  if (locator?.by !== 'key-prefix') throw new Error(`Store "${store.id}" has no key-prefix locator`);
  const base = locator.prefixTemplate.slice(0, locator.prefixTemplate.indexOf('{customerId}'));
  if (!prefix.startsWith(base)) throw new Error(`Segment prefix is outside store "${store.id}"`);
  const versioned = ctx.run.versionedBuckets[bucket];
  if (versioned === undefined) throw new Error(`Run file has no versioning status of bucket "${bucket}"`);
  for await (const page of listKeys(deps.s3, store.id, bucket, prefix, versioned)) {
    // HeadObject calls of a page run side by side (at most `concurrency`); the decisions keep listing order.
    const past = new Array<boolean>(page.length);
    await forEachBounded([...page.keys()], deps.concurrency ?? 1, async (index) => {
      past[index] = await objectPastRule(ctx, store, rule, bucket, page[index]!);
    });
    for (const [index, listed] of page.entries()) {
      counts.examined += 1;
      if (!past[index]) continue;
      counts.expired += 1;
      const customerId = customerIdOfKey(base, listed.key);
      if (customerId !== undefined && ctx.held.has(ctx.keyOf(customerId))) {
        counts.heldSkipped += 1;
      } else if (ctx.run.dryRun) {
        counts.remaining += 1;
      } else {
        await ctx.deletes.add(store.id, bucket, listed.targets);
        counts.removed += 1;
      }
    }
  }
  return counts;
}

/** Sweeps one segment with the store's rule. */
async function sweepSegment(ctx: SweepContext, segment: Segment): Promise<StoreCounts> {
  const { store, rule } = sweptStore(segment.store);
  if ('scanned' in segment) {
    if (rule.kind !== 'after-attribute' && rule.kind !== 'until-attribute') throw new Error(`Store "${store.id}" is not swept from the planner's scan`);
    return sweepScannedSegment(ctx, store, segment);
  }
  if ('segment' in segment) {
    if (rule.kind === 'inactive-account') {
      return sweepInactiveAccounts(
        { doc: ctx.deps.doc, requestErasure: ctx.deps.requestErasure, env: ctx.deps.env },
        { store, rule, run: ctx.run, now: ctx.now, held: ctx.held, keyOf: ctx.keyOf, segment: segment.segment, totalSegments: segment.totalSegments },
      );
    }
    if (rule.kind === 'after-metadata' || store.kind !== 'dynamodb-table') throw new Error(`Store "${store.id}" is not swept by table segment`);
    return sweepTableSegment(ctx, store, rule, segment.segment, segment.totalSegments);
  }
  if (rule.kind !== 'after-metadata' || store.kind !== 's3-bucket') throw new Error(`Store "${store.id}" is not swept by key prefix`);
  return sweepPrefixSegment(ctx, store, rule, segment.prefix);
}

/** Sweeps every segment of a batch, one after the other, and returns the counts per store. */
export async function sweepSegments(deps: SweepDeps, input: z.infer<typeof sweepSegmentInput>): Promise<z.infer<typeof sweepSegmentOutput>> {
  const run = await readRunFile(deps.s3, deps.workBucket, input.BatchInput.runId);
  const ctx: SweepContext = {
    deps,
    // The batch input's flag is the run's; a dry run never removes, whichever says so.
    run: { ...run, dryRun: run.dryRun || input.BatchInput.dryRun },
    now: new Date(run.now),
    held: new Set(run.heldCustomerKeys),
    keyOf: deps.customerKey ?? ((customerId) => customerKey(customerId)),
    deletes: new DeleteQueue(deps.s3, deps.retry),
  };
  const counts: StoreCounts[] = [];
  for (const segment of input.Items) counts.push(await sweepSegment(ctx, segment));
  // Objects counted as removed are deleted before the task answers; a failure here fails the task.
  await ctx.deletes.flush();
  return { stores: sumCounts(counts) };
}
