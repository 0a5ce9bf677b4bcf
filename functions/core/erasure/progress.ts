import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { z } from 'zod';
import { storeError } from '../errors';
import { keyedHash } from '../keyed-hash';

/**
 * The durable erasure progress log: exact per-store totals across every execution of a request.
 *
 * Before an eraser deletes a batch (one BatchWriteItem of 25 records, one DeleteObjects of up to 1,000
 * objects or versions) it records every record, object, version or delete marker of the batch in the
 * audit bucket under `progress/<requestId>/<store>/`: a keyed hash of its key with its counts. The
 * certificate sums the unique entries, so whatever a crash interrupted, however a replay batches what
 * is left, and even when a replay overlaps an eraser of the failed run that is still finishing, each
 * record or file is counted once: a failed run plus a replay reports the totals of one uninterrupted
 * run. Nothing readable is kept: ids are keyed hashes, the rest is counts.
 */

/** Counts of one batch (or a store's total). */
export interface BatchCounts {
  /** Records or current objects removed. */
  deleted: number;
  /** Retained (anonymised) records written. */
  retained: number;
  /** Object versions and delete markers removed. */
  versionsDeleted: number;
  /** Bytes removed. */
  bytes: number;
}

/** Counts of one store's erasure step. */
export type EraseCounts = BatchCounts;

/** A record, object, version or delete marker about to be erased: its id (keyed hash of its key) and its counts. */
export interface RecordedEntry extends BatchCounts {
  id: string;
}

/** Zero counts. */
export function noCounts(): BatchCounts {
  return { deleted: 0, retained: 0, versionsDeleted: 0, bytes: 0 };
}

/** Adds counts into `total` and returns it. */
export function addCounts(total: BatchCounts, counts: BatchCounts): BatchCounts {
  total.deleted += counts.deleted;
  total.retained += counts.retained;
  total.versionsDeleted += counts.versionsDeleted;
  total.bytes += counts.bytes;
  return total;
}

/** The id of an erased entry: a keyed hash of its key (never readable, the same on every replay). */
export function entryId(key: string, hashKey?: string): string {
  return keyedHash('erasure-entry', key, hashKey).slice(0, 32);
}

/** Prefix of a request's progress log in the audit bucket. */
export function progressPrefix(requestId: string, storeId?: string): string {
  return `progress/${requestId}/${storeId === undefined ? '' : `${storeId}/`}`;
}

const countsSchema = z.object({
  deleted: z.number().int().nonnegative(),
  retained: z.number().int().nonnegative(),
  versionsDeleted: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});

const progressObjectSchema = z.object({ store: z.string(), entries: z.array(countsSchema.extend({ id: z.string() })) });

/** Where a progress log lives. */
export interface ProgressLocation {
  s3: S3Client;
  auditBucket: string;
  requestId: string;
}

/** Every key under a prefix of the audit bucket. */
async function listKeys(location: ProgressLocation, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let continuationToken: string | undefined;
  do {
    let page;
    try {
      page = await location.s3.send(new ListObjectsV2Command({ Bucket: location.auditBucket, Prefix: prefix, ContinuationToken: continuationToken }));
    } catch (error) {
      throw storeError('audit', error);
    }
    keys.push(...(page.Contents ?? []).flatMap((object) => (object.Key?.startsWith(prefix) ? [object.Key] : [])));
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken);
  return keys;
}

/** Progress objects read at once (one per erased page or batch: a large erasure has dozens; each read waits S3's first-byte latency). */
const PROGRESS_READS = 8;

/** The entries recorded under a prefix, by store then entry id (an entry recorded twice counts once). */
async function readEntries(location: ProgressLocation, prefix: string): Promise<Map<string, Map<string, BatchCounts>>> {
  const limit = pLimit(PROGRESS_READS);
  const texts = await Promise.all(
    (await listKeys(location, prefix)).map((key) =>
      limit(async () => {
        try {
          const response = await location.s3.send(new GetObjectCommand({ Bucket: location.auditBucket, Key: key }));
          return await response.Body!.transformToString();
        } catch (error) {
          throw storeError('audit', error);
        }
      }),
    ),
  );
  const byStore = new Map<string, Map<string, BatchCounts>>();
  for (const text of texts) {
    const parsed = progressObjectSchema.parse(JSON.parse(text));
    const entries = byStore.get(parsed.store) ?? new Map<string, BatchCounts>();
    for (const { id, ...counts } of parsed.entries) entries.set(id, counts);
    byStore.set(parsed.store, entries);
  }
  return byStore;
}

/** One store's progress log for a request: which entries are recorded, and recording more. */
export class StoreProgressLog {
  private constructor(
    private readonly location: ProgressLocation,
    private readonly storeId: string,
    private readonly recorded: Map<string, BatchCounts>,
  ) {}

  /** Opens the log, reading what earlier executions of the request recorded for the store. */
  static async open(location: ProgressLocation, storeId: string): Promise<StoreProgressLog> {
    const recorded = (await readEntries(location, progressPrefix(location.requestId, storeId))).get(storeId) ?? new Map<string, BatchCounts>();
    return new StoreProgressLog(location, storeId, recorded);
  }

  /** Records, in one object, the entries not recorded yet; called before they are erased. */
  async record(entries: readonly RecordedEntry[]): Promise<void> {
    const fresh = [...new Map(entries.filter((entry) => !this.recorded.has(entry.id)).map((entry) => [entry.id, entry])).values()];
    if (!fresh.length) return;
    const key = `${progressPrefix(this.location.requestId, this.storeId)}${fresh[0]!.id}.json`;
    try {
      await this.location.s3.send(
        new PutObjectCommand({
          Bucket: this.location.auditBucket,
          Key: key,
          Body: JSON.stringify({ store: this.storeId, entries: fresh }),
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      throw storeError('audit', error);
    }
    for (const { id, ...counts } of fresh) this.recorded.set(id, counts);
  }
}

/** The totals per store of everything the request's erasers recorded, across every execution. */
export async function progressTotals(location: ProgressLocation): Promise<Record<string, BatchCounts>> {
  const totals: Record<string, BatchCounts> = {};
  for (const [store, entries] of await readEntries(location, progressPrefix(location.requestId))) {
    totals[store] = [...entries.values()].reduce(addCounts, noCounts());
  }
  return totals;
}
