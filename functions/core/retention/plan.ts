import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { z } from 'zod';
import { scanSegmentPages, type Item } from '../connectors/dynamodb-store';
import { getStore, resourceName, type StoreDefinition } from '../data-map';
import { contactHoldReason, orderHoldReasons } from '../erasure/legal-hold';
import { InvalidInput, storeError } from '../errors';
import { customerKey } from '../keyed-hash';
import { sweptStores } from './rules';

/**
 * The planner of a retention run (`Plan Sweep`): splits every swept store into independent segments
 * (DynamoDB parallel-scan segments, as many as the table's size needs, S3 key prefixes by the first
 * character of the customer id) and
 * writes them as the Distributed Map's manifest, and the run file every sweep task reads once: the
 * run's clock, dry-run flag, inactive-account settings and the keyed hashes of the customers under a
 * legal hold (collected once per run with the erasure's own hold rules, so no sweep task queries holds
 * and no customer key travels through Step Functions). Everything lives in the audit bucket under
 * `retention/<runId>/`.
 */

/** A DynamoDB parallel-scan segment of a swept table. */
export const tableSegmentSchema = z.strictObject({ store: z.string(), segment: z.int().min(0), totalSegments: z.int().min(1) });

/** A key prefix of a swept bucket. */
export const prefixSegmentSchema = z.strictObject({ store: z.string(), prefix: z.string().min(1) });

/** One independent part of a store the sweep covers: a Map item. */
export const segmentSchema = z.union([tableSegmentSchema, prefixSegmentSchema]);

/** One Map item. */
export type Segment = z.infer<typeof segmentSchema>;

/** The run file (`retention/<runId>/run.json`). */
export const runFileSchema = z.strictObject({
  runId: z.string(),
  now: z.iso.datetime(),
  dryRun: z.boolean(),
  inactiveAccounts: z.strictObject({ enabled: z.boolean(), months: z.int().min(1) }),
  /** Keyed hashes of the customers under a legal hold: none of their records is touched. */
  heldCustomerKeys: z.array(z.string()),
});

/** The run file's content. */
export type RunFile = z.infer<typeof runFileSchema>;

/** Characters a customer id can start with (`CUSTOMER_ID_PATTERN`): one S3 prefix segment each. */
export const CUSTOMER_ID_FIRST_CHARACTERS = [...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_'];

/** Key prefix of the retention sweep's files in the audit bucket (run file, manifest, results, report). */
export const RETENTION_PREFIX = 'retention/';

/** Key prefix of a run's files in the audit bucket. */
export function runPrefix(runId: string): string {
  return `${RETENTION_PREFIX}${runId}/`;
}

/** Key of a run's file in the audit bucket. */
export const runFileKey = (runId: string): string => `${runPrefix(runId)}run.json`;

/** Key of a run's segment manifest (the Map's ItemReader). */
export const manifestKey = (runId: string): string => `${runPrefix(runId)}segments.json`;

/** Prefix the Map's ResultWriter writes under. */
export const resultsPrefix = (runId: string): string => `${runPrefix(runId)}results`;

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
  auditBucket: string;
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

/** Every segment of every swept store: `totalSegments[store]` (or `scanSegments`) per table. */
export function planSegments(scanSegments: number, totalSegments: Readonly<Record<string, number>> = {}): Segment[] {
  return sweptStores().flatMap(({ store }) => segmentsOf(store, totalSegments[store.id] ?? scanSegments));
}

/** Segments the planner's hold scan keeps in flight: under the SDK's default 50 sockets per client. */
export const HOLD_SCAN_CONCURRENCY = 32;

/** Scans every segment of a table, `HOLD_SCAN_CONCURRENCY` at a time, with a projection, calling `visit` for each item. */
async function scanTable(deps: PlanDeps, store: StoreDefinition, totalSegments: number, attributes: string[], visit: (item: Item) => void): Promise<void> {
  const scanSegment = async (segment: number): Promise<void> => {
    for await (const items of scanSegmentPages(deps.doc, store, { segment, totalSegments, attributes }, deps.env)) for (const item of items) visit(item);
  };
  const limit = pLimit(HOLD_SCAN_CONCURRENCY);
  await Promise.all(Array.from({ length: totalSegments }, (_, segment) => limit(() => scanSegment(segment))));
}

/**
 * The keyed hashes of every customer under a legal hold, by the erasure's own rules
 * (`orderHoldReasons`, `contactHoldReason`): one parallel scan of the orders' own partitions and of
 * the contacts, in `totalSegments[store]` (or `scanSegments`) segments, reading only the attributes the rules look at.
 */
export async function heldCustomerKeys(deps: PlanDeps, totalSegments: Readonly<Record<string, number>> = {}): Promise<string[]> {
  const keyOf = deps.customerKey ?? ((customerId: string) => customerKey(customerId));
  const held = new Set<string>();
  await scanTable(deps, getStore('orders'), totalSegments.orders ?? deps.scanSegments, ['customerId', 'orderId', 'status', 'paymentStatus'], (order) => {
    const customerId = String(order.customerId);
    if (!customerId.startsWith('retained#') && orderHoldReasons(order).length > 0) held.add(keyOf(customerId));
  });
  await scanTable(deps, getStore('contact-history'), totalSegments['contact-history'] ?? deps.scanSegments, ['customerId', 'contactId', 'legalClaim'], (contact) => {
    if (contact.customerId !== undefined && contactHoldReason(contact)) held.add(keyOf(String(contact.customerId)));
  });
  return [...held].sort();
}

/** Writes a JSON object to the audit bucket. */
async function putJson(deps: PlanDeps, key: string, value: unknown): Promise<void> {
  try {
    await deps.s3.send(new PutObjectCommand({ Bucket: deps.auditBucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }));
  } catch (error) {
    throw storeError('audit', error);
  }
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
  const run: RunFile = {
    runId: input.runId,
    now: now.toISOString(),
    dryRun,
    inactiveAccounts: deps.inactiveAccounts,
    heldCustomerKeys: await heldCustomerKeys(deps, totalSegments),
  };
  const segments = planSegments(deps.scanSegments, totalSegments);
  await putJson(deps, runFileKey(input.runId), run);
  await putJson(deps, manifestKey(input.runId), segments);
  return {
    runId: input.runId,
    dryRun,
    segments: segments.length,
    maxConcurrency: deps.maxConcurrency,
    manifest: { bucket: deps.auditBucket, key: manifestKey(input.runId) },
    report: { bucket: deps.auditBucket, prefix: resultsPrefix(input.runId) },
  };
}
