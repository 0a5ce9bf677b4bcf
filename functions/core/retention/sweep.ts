import { GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand, type ObjectIdentifier, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { isVersioned, listPrefixObjects } from '../connectors/s3-store';
import { primaryKeyOf, scanSegmentPages, stillPresent, type Item } from '../connectors/dynamodb-store';
import { resourceName, type AfterDateRule, type StoreDefinition, type UntilDateRule } from '../data-map';
import { batchWrite } from '../erasure/batch-write';
import { deleteObjects } from '../erasure/bucket-eraser';
import { forEachBounded } from '../erasure/bounded';
import type { RetryPolicy } from '../erasure/config';
import { storeError } from '../errors';
import { customerKey } from '../keyed-hash';
import { noStoreCounts, storeCountsSchema, sumCounts, type StoreCounts } from './counts';
import { sweepInactiveAccounts, type RequestErasure } from './inactive-accounts';
import { runFileKey, runFileSchema, runIdSchema, segmentSchema, type RunFile, type Segment } from './plan';
import { isPastRule, periodEnd, sweptStore } from './rules';

/**
 * One sweep task of the Distributed Map (`Sweep Segment`): for each segment of its batch, reads the
 * store and removes what is past its rule, as the data map's erasure action says (delete; the retained
 * invoices of an anonymise-and-retain store are already anonymised and are deleted once `retainUntil`
 * has passed), in BatchWriteItem batches of 25 (unprocessed items retried) and DeleteObjects batches of
 * 1,000 (every version of a versioned bucket's object). A record that is not past its rule, or of a
 * customer under a legal hold (the run file's keyed hashes), is never touched; a dry run removes
 * nothing. Afterwards it re-checks what it removed (consistent BatchGetItem; a re-listing of the
 * prefix) and returns counts only, never ids. Running it again removes nothing new.
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
  auditBucket: string;
  retry: RetryPolicy;
  /** HeadObject calls in flight at most while a bucket page is read (default 1). */
  concurrency?: number;
  /** Creates the erasure request of an inactive account through the request API's core. */
  requestErasure: RequestErasure;
  customerKey?: (customerId: string) => string;
  env?: NodeJS.ProcessEnv;
}

/** Reads and checks the run file. */
export async function readRunFile(s3: S3Client, auditBucket: string, runId: string): Promise<RunFile> {
  let text: string;
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: auditBucket, Key: runFileKey(runId) }));
    text = await response.Body!.transformToString();
  } catch (error) {
    throw storeError('audit', error);
  }
  return runFileSchema.parse(JSON.parse(text));
}

/** The context of one segment's sweep. */
interface SweepContext {
  deps: SweepDeps;
  run: RunFile;
  now: Date;
  held: ReadonlySet<string>;
  keyOf: (customerId: string) => string;
}

/** The partition key prefix of an anonymise-and-retain store's retained records (`retained#`), or undefined. */
function retainedPartitionPrefix(store: StoreDefinition): string | undefined {
  if (store.erasure.action !== 'anonymise-and-retain') return undefined;
  const template = store.erasure.retainedPartitionTemplate;
  return template.slice(0, template.indexOf('{customerKey}'));
}

/** The keyed hash of the customer a table item belongs to: its retained partition, its `customerKey`, or its customer id hashed. */
export function customerKeyOfItem(store: StoreDefinition, item: Item, keyOf: (customerId: string) => string): string | undefined {
  const prefix = retainedPartitionPrefix(store);
  const partition = String(item[store.table!.partitionKey]);
  if (prefix !== undefined && partition.startsWith(prefix)) return partition.slice(prefix.length);
  if (typeof item.customerKey === 'string') return item.customerKey;
  const locator = store.locator;
  const attribute = locator?.by === 'index' ? locator.indexPartitionKey : locator?.by === 'partition-key' ? locator.partitionKey : undefined;
  return attribute && typeof item[attribute] === 'string' ? keyOf(item[attribute] as string) : undefined;
}

/** The attributes a table sweep reads: keys, the rule's attributes and the customer's. */
function sweepProjection(store: StoreDefinition, rule: AfterDateRule | UntilDateRule): string[] {
  const locator = store.locator;
  const customerAttribute = locator?.by === 'index' ? locator.indexPartitionKey : locator?.by === 'partition-key' ? locator.partitionKey : 'customerKey';
  const attributes = [store.table!.partitionKey, store.table!.sortKey, rule.attribute, rule.kind !== 'until-attribute' ? rule.when?.attribute : undefined, customerAttribute];
  return [...new Set(attributes.filter((attribute): attribute is string => attribute !== undefined))];
}

/** Sweeps one parallel-scan segment of a table with a dated rule. */
async function sweepTableSegment(ctx: SweepContext, store: StoreDefinition, rule: AfterDateRule | UntilDateRule, segment: number, totalSegments: number): Promise<StoreCounts> {
  const { deps } = ctx;
  const counts = noStoreCounts(store.id);
  const table = resourceName(store, deps.env);
  // A rule on retained records reads only the retained partitions (`retained#...`).
  const retainedPrefix = rule.kind === 'until-attribute' ? retainedPartitionPrefix(store) : undefined;
  const scan = { segment, totalSegments, attributes: sweepProjection(store, rule), retainedPrefix };
  const removed: Item[] = [];
  for await (const items of scanSegmentPages(deps.doc, store, scan, deps.env)) {
    const expired: Item[] = [];
    for (const item of items) {
      // An item without the attribute `when` looks at is none of the store's records (the ledger's open markers).
      if (rule.kind !== 'until-attribute' && rule.when && item[rule.when.attribute] === undefined) continue;
      counts.examined += 1;
      if (!isPastRule(rule, item, ctx.now)) continue;
      counts.expired += 1;
      const key = customerKeyOfItem(store, item, ctx.keyOf);
      if (key !== undefined && ctx.held.has(key)) counts.heldSkipped += 1;
      else expired.push(item);
    }
    if (!ctx.run.dryRun && expired.length > 0) {
      await batchWrite(deps.doc, store.id, table, expired.map((item) => ({ DeleteRequest: { Key: primaryKeyOf(store, item) } })), deps.retry);
      removed.push(...expired);
      counts.removed += expired.length;
    } else {
      counts.remaining += expired.length;
    }
  }
  if (removed.length > 0) {
    const left = await stillPresent(deps.doc, store, removed, { env: deps.env, maxAttempts: deps.retry.maxAttempts, baseDelayMs: deps.retry.baseDelayMs });
    counts.removed -= left.length;
    counts.remaining += left.length;
  }
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
 * True when an object is past an `after-metadata` rule. A recording is uploaded after it is recorded
 * (`recorded-at` ≤ upload time), so an object uploaded more than the period ago is past it without a
 * HeadObject; a more recent one is read (HeadObject) for its metadata date.
 */
async function objectPastRule(ctx: SweepContext, store: StoreDefinition, rule: AfterDateRule, bucket: string, listed: ListedKey): Promise<boolean> {
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
async function sweepPrefixSegment(ctx: SweepContext, store: StoreDefinition, rule: AfterDateRule, prefix: string, versionedBuckets: Map<string, boolean>): Promise<StoreCounts> {
  const { deps } = ctx;
  const counts = noStoreCounts(store.id);
  const bucket = resourceName(store, deps.env);
  const locator = store.locator;
  if (locator?.by !== 'key-prefix') throw new Error(`Store "${store.id}" has no key-prefix locator`);
  const base = locator.prefixTemplate.slice(0, locator.prefixTemplate.indexOf('{customerId}'));
  if (!prefix.startsWith(base)) throw new Error(`Segment prefix is outside store "${store.id}"`);
  if (!versionedBuckets.has(bucket)) versionedBuckets.set(bucket, await isVersioned(deps.s3, store.id, bucket));
  const versioned = versionedBuckets.get(bucket)!;
  const removedKeys = new Set<string>();
  for await (const page of listKeys(deps.s3, store.id, bucket, prefix, versioned)) {
    const targets: ObjectIdentifier[] = [];
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
        targets.push(...listed.targets);
        removedKeys.add(listed.key);
      }
    }
    if (targets.length > 0) await deleteObjects(deps.s3, store.id, bucket, targets, deps.retry);
  }
  if (removedKeys.size > 0) {
    let left = 0;
    for await (const page of listKeys(deps.s3, store.id, bucket, prefix, versioned)) left += page.filter((listed) => removedKeys.has(listed.key)).length;
    counts.removed = removedKeys.size - left;
    counts.remaining += left;
  }
  return counts;
}

/** Sweeps one segment with the store's rule. */
async function sweepSegment(ctx: SweepContext, segment: Segment, versionedBuckets: Map<string, boolean>): Promise<StoreCounts> {
  const { store, rule } = sweptStore(segment.store);
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
  return sweepPrefixSegment(ctx, store, rule, segment.prefix, versionedBuckets);
}

/** Sweeps every segment of a batch, one after the other, and returns the counts per store. */
export async function sweepSegments(deps: SweepDeps, input: z.infer<typeof sweepSegmentInput>): Promise<z.infer<typeof sweepSegmentOutput>> {
  const run = await readRunFile(deps.s3, deps.auditBucket, input.BatchInput.runId);
  const ctx: SweepContext = {
    deps,
    // The batch input's flag is the run's; a dry run never removes, whichever says so.
    run: { ...run, dryRun: run.dryRun || input.BatchInput.dryRun },
    now: new Date(run.now),
    held: new Set(run.heldCustomerKeys),
    keyOf: deps.customerKey ?? ((customerId) => customerKey(customerId)),
  };
  const versionedBuckets = new Map<string, boolean>();
  const counts: StoreCounts[] = [];
  for (const segment of input.Items) counts.push(await sweepSegment(ctx, segment, versionedBuckets));
  return { stores: sumCounts(counts) };
}
