import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { z } from 'zod';
import { primaryKeyOf, scanSegmentPages, type Item } from '../connectors/dynamodb-store';
import { isVersioned } from '../connectors/s3-store';
import { getStore, resourceName, type StoreDefinition } from '../data-map';
import { contactHoldReason, orderHoldReasons } from '../erasure/legal-hold';
import { InvalidInput, storeError } from '../errors';
import { writeJson } from '../export/staging-io';
import { customerKey } from '../keyed-hash';
import { isPastRule, sweptStore, sweptStores } from './rules';
import { customerKeyOfItem, isRuleRecord, ruleAttributes, type TableRule } from './table-rule';

/**
 * The planner of a retention run (`Plan Sweep`): splits every swept store into independent segments
 * (DynamoDB parallel-scan segments, as many as the table's size needs, S3 key prefixes by the first
 * character of the customer id) and writes them as the Distributed Map's manifest, and the run file
 * every sweep task reads once: the run's clock, dry-run flag, inactive-account settings, which swept
 * buckets keep versions, and the keyed hashes of the customers under a legal hold (collected once per
 * run with the erasure's own hold rules, so no sweep task queries holds and no customer key travels
 * through Step Functions). The hold scan reads every order and contact; the same pass applies those
 * tables' own rules, so each of their segments is read once: the planner writes what is past its rule
 * per segment to an expired-records file, and the segment's Map item points to it (the sweep task
 * deletes those of customers not held). These work files live in the exports bucket under
 * `retention/<runId>/` and expire by its lifecycle rule (`RETENTION_WORK_EXPIRY_DAYS`); only the run's
 * report goes to the audit bucket, so no keyed hash or key of a removed record sits under its Object Lock.
 */

/** A DynamoDB parallel-scan segment of a swept table. */
export const tableSegmentSchema = z.strictObject({ store: z.string(), segment: z.int().min(0), totalSegments: z.int().min(1) });

/** A key prefix of a swept bucket. */
export const prefixSegmentSchema = z.strictObject({ store: z.string(), prefix: z.string().min(1) });

/**
 * A parallel-scan segment of a table the planner has read already (its hold scan): how many of the
 * rule's records it examined and, when some were past the rule, the file that lists them.
 */
export const scannedSegmentSchema = z.strictObject({ store: z.string(), scanned: z.int().min(0), expiredFile: z.string().min(1).optional() });

/** One independent part of a store the sweep covers: a Map item. */
export const segmentSchema = z.union([tableSegmentSchema, prefixSegmentSchema, scannedSegmentSchema]);

/** A record past its rule, as the planner found it: its primary key and its customer's keyed hash (for the hold check). */
export const expiredRecordSchema = z.strictObject({
  key: z.record(z.string(), z.union([z.string(), z.number()])),
  customerKey: z.string().optional(),
});

/** An expired-records file (`retention/<runId>/expired/<store>/<segment>.json`). */
export const expiredFileSchema = z.strictObject({ store: z.string(), records: z.array(expiredRecordSchema).min(1) });

/** An expired-records file's content. */
export type ExpiredFile = z.infer<typeof expiredFileSchema>;

/** One Map item. */
export type Segment = z.infer<typeof segmentSchema>;

/** The run file (`retention/<runId>/run.json`). */
export const runFileSchema = z.strictObject({
  runId: z.string(),
  now: z.iso.datetime(),
  dryRun: z.boolean(),
  inactiveAccounts: z.strictObject({ enabled: z.boolean(), months: z.int().min(1) }),
  /** Whether each swept bucket keeps versions (GetBucketVersioning once per run, not per sweep task). */
  versionedBuckets: z.record(z.string(), z.boolean()),
  /** Keyed hashes of the customers under a legal hold: none of their records is touched. */
  heldCustomerKeys: z.array(z.string()),
});

/** The run file's content. */
export type RunFile = z.infer<typeof runFileSchema>;

/** Characters a customer id can start with (`CUSTOMER_ID_PATTERN`): one S3 prefix segment each. */
export const CUSTOMER_ID_FIRST_CHARACTERS = [...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_'];

/** Key prefix of the retention sweep's files: its work files in the exports bucket (run file, manifest, expired records, results), its reports in the audit bucket. */
export const RETENTION_PREFIX = 'retention/';

/** Days the work files of a run stay in the exports bucket (its lifecycle rule): long enough to follow and redrive a run, not longer. */
export const RETENTION_WORK_EXPIRY_DAYS = 7;

/** Key prefix of a run's files (work files in the exports bucket, the report in the audit bucket). */
export function runPrefix(runId: string): string {
  return `${RETENTION_PREFIX}${runId}/`;
}

/** Key of a run's file in the audit bucket. */
export const runFileKey = (runId: string): string => `${runPrefix(runId)}run.json`;

/** Key of a run's segment manifest (the Map's ItemReader). */
export const manifestKey = (runId: string): string => `${runPrefix(runId)}segments.json`;

/** Prefix the Map's ResultWriter writes under. */
export const resultsPrefix = (runId: string): string => `${runPrefix(runId)}results`;

/** Key of the expired-records file of one segment of a table the planner reads. */
export const expiredFileKey = (runId: string, store: string, segment: number): string => `${runPrefix(runId)}expired/${store}/${segment}.json`;

/** Key of a run's report. */
export const reportKey = (runId: string): string => `${runPrefix(runId)}report.json`;

/** Run ids: the execution name (letters, digits, `-`, `_`), so they fit a key prefix. */
export const runIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'must be 1-80 letters, digits, "-" or "_"');

/** Input of `plan-retention-sweep`: the run id (the execution name) and the execution input. */
export const planSweepInput = z.strictObject({
  runId: runIdSchema,
  options: z.looseObject({ dryRun: z.boolean().optional(), now: z.iso.datetime().optional() }).default({}),
});

/** Output of `plan-retention-sweep`: what the Map and the report step read. */
export const planSweepOutput = z.strictObject({
  runId: z.string(),
  dryRun: z.boolean(),
  segments: z.int().min(0),
  maxConcurrency: z.int().min(1),
  manifest: z.strictObject({ bucket: z.string(), key: z.string() }),
  report: z.strictObject({ bucket: z.string(), prefix: z.string() }),
});

/** What the planner needs. */
export interface PlanDeps {
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  /** The bucket of the run's work files: the exports bucket. */
  workBucket: string;
  /** Fewest parallel-scan segments per table (also the planner's own hold scans). */
  scanSegments: number;
  /** Most items per parallel-scan segment (`DSR_RETENTION_SEGMENT_ITEMS`). */
  segmentItems: number;
  maxConcurrency: number;
  inactiveAccounts: { enabled: boolean; months: number };
  /** Computes the keyed hash of a customer id (default: `customerKey` with the configured key). */
  customerKey?: (customerId: string) => string;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

/** The segments of one swept store. */
export function segmentsOf(store: StoreDefinition, scanSegments: number): Segment[] {
  if (store.kind === 'dynamodb-table') {
    return Array.from({ length: scanSegments }, (_, segment) => ({ store: store.id, segment, totalSegments: scanSegments }));
  }
  const locator = store.locator;
  if (locator?.by !== 'key-prefix' || !locator.prefixTemplate.startsWith('{customerId}', locator.prefixTemplate.indexOf('{'))) {
    throw new Error(`Store "${store.id}": only a bucket keyed "<prefix>{customerId}/" can be split into segments`);
  }
  const base = locator.prefixTemplate.slice(0, locator.prefixTemplate.indexOf('{customerId}'));
  return CUSTOMER_ID_FIRST_CHARACTERS.map((character) => ({ store: store.id, prefix: `${base}${character}` }));
}

/** Segments a DynamoDB parallel scan allows at most. */
export const MAX_SCAN_SEGMENTS = 1_000_000;

/** Segments a Map child sweeps one after the other: the retention ASL's `ItemBatcher.MaxItemsPerBatch`. */
export const SEGMENTS_PER_CHILD = 4;

/** Parallel-scan segments for a table of `itemCount` items: at most `segmentItems` each, at least `minSegments`, at most `MAX_SCAN_SEGMENTS`. */
export function tableTotalSegments(itemCount: number, minSegments: number, segmentItems: number): number {
  return Math.min(MAX_SCAN_SEGMENTS, Math.max(minSegments, Math.ceil(itemCount / segmentItems)));
}

/**
 * The parallel-scan segments of every swept table, sized by DescribeTable's `ItemCount` (refreshed by
 * AWS about every six hours, so it may lag the table by that much growth; the default budget leaves
 * room for it).
 */
export async function tableSegmentCounts(deps: PlanDeps): Promise<Record<string, number>> {
  const tables = sweptStores().filter(({ store }) => store.kind === 'dynamodb-table');
  const counts = await Promise.all(
    tables.map(async ({ store }) => {
      let itemCount: number;
      try {
        const { Table } = await deps.doc.send(new DescribeTableCommand({ TableName: resourceName(store, deps.env) }));
        itemCount = Table?.ItemCount ?? 0;
      } catch (error) {
        throw storeError(store.id, error);
      }
      return [store.id, tableTotalSegments(itemCount, deps.scanSegments, deps.segmentItems)] as const;
    }),
  );
  return Object.fromEntries(counts);
}

/** The tables the planner's hold scan reads (and, in the same pass, sweeps by their own rule). */
export const HOLD_SCAN_STORES = ['orders', 'contact-history'] as const;

/** Every segment of every swept store the Map scans itself (not the hold-scan tables): `totalSegments[store]` (or `scanSegments`) per table. */
export function planSegments(scanSegments: number, totalSegments: Readonly<Record<string, number>> = {}): Segment[] {
  return sweptStores()
    .filter(({ store }) => !(HOLD_SCAN_STORES as readonly string[]).includes(store.id))
    .flatMap(({ store }) => segmentsOf(store, totalSegments[store.id] ?? scanSegments));
}

/** Whether each swept bucket keeps versions. */
export async function bucketVersioning(deps: PlanDeps): Promise<Record<string, boolean>> {
  const buckets = sweptStores().filter(({ store }) => store.kind === 's3-bucket');
  const entries = await Promise.all(buckets.map(async ({ store }) => [resourceName(store, deps.env), await isVersioned(deps.s3, store.id, resourceName(store, deps.env))] as const));
  return Object.fromEntries(entries);
}

/** Segments the planner's hold scan keeps in flight: under the SDK's default 50 sockets per client. */
export const HOLD_SCAN_CONCURRENCY = 32;

/** Per hold-scan table: the attributes its hold rule reads, and the customer whose hold an item shows (or undefined), by the erasure's own rules. */
const HOLD_RULES: Record<(typeof HOLD_SCAN_STORES)[number], { attributes: string[]; holder: (item: Item) => string | undefined }> = {
  orders: {
    attributes: ['customerId', 'orderId', 'status', 'paymentStatus'],
    holder: (order) => (!String(order.customerId).startsWith('retained#') && orderHoldReasons(order).length > 0 ? String(order.customerId) : undefined),
  },
  'contact-history': {
    attributes: ['customerId', 'contactId', 'legalClaim'],
    holder: (contact) => (contact.customerId !== undefined && contactHoldReason(contact) ? String(contact.customerId) : undefined),
  },
};

/** What the hold scan found: the held customers' keyed hashes and one Map item per segment it read. */
export interface HoldScan {
  heldCustomerKeys: string[];
  segments: Segment[];
}

/**
 * The hold scan: one parallel scan of every order and contact, in `totalSegments[store]` (or
 * `scanSegments`) segments, `HOLD_SCAN_CONCURRENCY` in flight, reading only the attributes the hold
 * rules (`orderHoldReasons`, `contactHoldReason`) and the table's own retention rule look at. It
 * collects the keyed hashes of every customer under a legal hold and, per segment, the records past
 * the table's rule (their keys and their customer's keyed hash), written to the segment's
 * expired-records file.
 */
export async function scanHoldTables(deps: PlanDeps, run: { runId: string; now: Date }, totalSegments: Readonly<Record<string, number>> = {}): Promise<HoldScan> {
  const keyOf = deps.customerKey ?? ((customerId: string) => customerKey(customerId));
  const held = new Set<string>();
  const limit = pLimit(HOLD_SCAN_CONCURRENCY);
  const scans = HOLD_SCAN_STORES.flatMap((storeId) => {
    const store = getStore(storeId);
    const { holder, attributes: holdAttributes } = HOLD_RULES[storeId];
    const rule = sweptStore(storeId).rule as TableRule;
    const attributes = [...new Set([...holdAttributes, ...ruleAttributes(store, rule)])];
    const count = totalSegments[storeId] ?? deps.scanSegments;
    return Array.from({ length: count }, (_, segment) =>
      limit(async (): Promise<Segment> => {
        let scanned = 0;
        const records: ExpiredFile['records'] = [];
        for await (const items of scanSegmentPages(deps.doc, store, { segment, totalSegments: count, attributes }, deps.env)) {
          for (const item of items) {
            const customerId = holder(item);
            if (customerId !== undefined) held.add(keyOf(customerId));
            if (!isRuleRecord(store, rule, item)) continue;
            scanned += 1;
            if (isPastRule(rule, item, run.now)) records.push({ key: primaryKeyOf(store, item) as ExpiredFile['records'][number]['key'], customerKey: customerKeyOfItem(store, item, keyOf) });
          }
        }
        if (records.length === 0) return { store: storeId, scanned };
        const expiredFile = expiredFileKey(run.runId, storeId, segment);
        await writeJson(deps.s3, deps.workBucket, expiredFile, { store: storeId, records } satisfies ExpiredFile);
        return { store: storeId, scanned, expiredFile };
      }),
    );
  });
  const segments = await Promise.all(scans);
  return { heldCustomerKeys: [...held].sort(), segments };
}


/**
 * Plans a run: collects the holds, writes the run file and the manifest, and returns where they are.
 * The run's clock is now, or the input's `now` when earlier (or on a dry run, any date).
 */
export async function planSweep(deps: PlanDeps, input: z.infer<typeof planSweepInput>): Promise<z.infer<typeof planSweepOutput>> {
  const clock = deps.now ? deps.now() : new Date();
  const now = input.options.now ? new Date(input.options.now) : clock;
  const dryRun = input.options.dryRun === true;
  // A later clock would remove records before their period ends: only a dry run may look ahead.
  if (!dryRun && now.getTime() > clock.getTime()) throw new InvalidInput(`A sweep that removes may not run ahead of the clock (now ${now.toISOString()}); use a dry run`);
  const totalSegments = await tableSegmentCounts(deps);
  const versionedBuckets = await bucketVersioning(deps);
  const holdScan = await scanHoldTables(deps, { runId: input.runId, now }, totalSegments);
  const run: RunFile = {
    runId: input.runId,
    now: now.toISOString(),
    dryRun,
    inactiveAccounts: deps.inactiveAccounts,
    versionedBuckets,
    heldCustomerKeys: holdScan.heldCustomerKeys,
  };
  const segments = [...holdScan.segments, ...planSegments(deps.scanSegments, totalSegments)];
  await writeJson(deps.s3, deps.workBucket, runFileKey(input.runId), run);
  await writeJson(deps.s3, deps.workBucket, manifestKey(input.runId), segments);
  return {
    runId: input.runId,
    dryRun,
    segments: segments.length,
    maxConcurrency: deps.maxConcurrency,
    manifest: { bucket: deps.workBucket, key: manifestKey(input.runId) },
    report: { bucket: deps.workBucket, prefix: resultsPrefix(input.runId) },
  };
}
