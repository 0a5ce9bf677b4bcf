import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { workflowRequestId } from '../workflow-input';
import { readCustomerItems, stillPresent, type Item } from '../connectors/dynamodb-store';
import { countLeftUnder, customerObjectLocation, listCustomerObjects } from '../connectors/s3-store';
import { CUSTOMER_STORE_IDS, getStore, type CustomerStoreId, type StoreDefinition } from '../data-map';
import type { Subject } from '../subject';
import type { ExportConfig } from './config';
import { stagingKey } from './layout';
import { bufferStream, uploadStream } from './stream-upload';

/**
 * The per-store collector. Export mode copies a customer's records (JSON Lines) or, for file stores,
 * a listing of the files (never their bytes) to the staging area; verify mode (used after an erasure)
 * only counts what is left. Source stores are only ever read.
 */

/** Input of a collector. */
export const collectInput = z.object({
  requestId: workflowRequestId,
  store: z.enum(CUSTOMER_STORE_IDS),
  mode: z.enum(['export', 'verify']).default('export'),
});

/** Parsed collector input, with the customer resolved from the ledger. */
export type CollectInput = z.infer<typeof collectInput> & Subject;

/**
 * One line of a file store's staging listing, from the listing alone (no request per file): the
 * original name, content type and metadata come with the GetObject the volume builder makes anyway.
 */
export interface FileListing {
  key: string;
  size: number;
}

/** Output of export mode: counts and the staging pointer, never records. */
export const collectResultSchema = z.object({
  store: z.enum(CUSTOMER_STORE_IDS),
  status: z.literal('completed'),
  items: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  stagingKey: z.string().min(1),
});

/** Result of export mode. */
export type CollectResult = z.infer<typeof collectResultSchema>;

/** Output of verify mode (also of `collect-exports`): what is left of the customer in the store. */
export const verifyResultSchema = z.object({
  store: z.string().min(1),
  items: z.number().int().nonnegative(),
  retainedItems: z.number().int().nonnegative(),
  personalItems: z.number().int().nonnegative(),
});

/** Result of verify mode. */
export type VerifyResult = z.infer<typeof verifyResultSchema>;

/** Output of a collector, in either mode. */
export const collectOutput = z.union([collectResultSchema, verifyResultSchema]);

/** The clients and settings a collector needs. */
export interface CollectDeps {
  s3: S3Client;
  doc: DynamoDBDocumentClient;
  config: ExportConfig;
  env?: NodeJS.ProcessEnv;
}

/** Runs a collector in the requested mode. */
export async function collectStore(deps: CollectDeps, input: CollectInput): Promise<CollectResult | VerifyResult> {
  const store = getStore(input.store);
  return input.mode === 'verify' ? verifyStore(deps, store, input) : exportStore(deps, store, input);
}

/** Yields a JSON line per file of the customer, in key order, counting items and bytes: one listing call per 1,000 files. */
async function* fileLines(deps: CollectDeps, store: StoreDefinition, input: CollectInput, totals: { items: number; bytes: number }) {
  for await (const page of listCustomerObjects(deps.s3, store, input.customerId, { env: deps.env })) {
    for (const object of page) {
      const file: FileListing = { key: object.key, size: object.size };
      totals.items += 1;
      totals.bytes += file.size;
      yield Buffer.from(`${JSON.stringify(file)}\n`);
    }
  }
}

/** Yields a JSON line per record of the customer (own and retained partition), counting items and bytes. */
async function* recordLines(deps: CollectDeps, store: StoreDefinition, input: CollectInput, totals: { items: number; bytes: number }) {
  for await (const page of readCustomerItems(deps.doc, store, input.customerId, { env: deps.env })) {
    for (const item of page.items) {
      const line = Buffer.from(`${JSON.stringify(item)}\n`);
      totals.items += 1;
      totals.bytes += line.length;
      yield line;
    }
  }
}

/** Export mode: streams the records or file listing to `staging/<requestId>/<store>.jsonl`. */
async function exportStore(deps: CollectDeps, store: StoreDefinition, input: CollectInput): Promise<CollectResult> {
  const totals = { items: 0, bytes: 0 };
  const key = stagingKey(input.requestId, store.id);
  const lines = store.holdsFiles ? fileLines(deps, store, input, totals) : recordLines(deps, store, input, totals);
  await uploadStream(
    deps.s3,
    {
      bucket: deps.config.exportsBucket,
      key,
      contentType: 'application/x-ndjson',
      partBytes: deps.config.partBytes,
      concurrency: deps.config.uploadConcurrency,
      storeId: 'exports',
    },
    bufferStream(lines),
  );
  return { store: store.id as CustomerStoreId, status: 'completed', items: totals.items, bytes: totals.bytes, stagingKey: key };
}

/**
 * True when a record still holds personal data: any record outside the retained partition, or a
 * retained record with an attribute beyond the keys, `retainUntil` and the store's `keepAttributes`.
 */
export function isPersonalRecord(store: StoreDefinition, item: Item, retained: boolean): boolean {
  if (!retained) return true;
  if (store.erasure.action !== 'anonymise-and-retain') return true;
  const allowed = new Set<string>([...store.erasure.keepAttributes, 'retainUntil']);
  if (store.table) {
    allowed.add(store.table.partitionKey);
    if (store.table.sortKey) allowed.add(store.table.sortKey);
    for (const index of store.table.indexes ?? []) {
      allowed.add(index.partitionKey);
      if (index.sortKey) allowed.add(index.sortKey);
    }
  }
  return Object.keys(item).some((attribute) => !allowed.has(attribute));
}

/**
 * Verify mode: counts what is left, writes nothing. In a versioned bucket every object version and
 * delete marker left under the customer's prefixes counts (an old version is a copy). Reads are strongly
 * consistent; what an (eventually consistent) index finds is confirmed against the table, so a
 * just-deleted item is not a leftover.
 */
async function verifyStore(deps: CollectDeps, store: StoreDefinition, input: CollectInput): Promise<VerifyResult> {
  const result: VerifyResult = { store: store.id, items: 0, retainedItems: 0, personalItems: 0 };
  if (store.holdsFiles) {
    const { bucket, prefixes } = customerObjectLocation(store, input.customerId, deps.env);
    const left = await countLeftUnder(deps.s3, store.id, bucket, prefixes);
    return { ...result, items: left, personalItems: left };
  }
  const throughIndex = store.locator?.by === 'index';
  for await (const page of readCustomerItems(deps.doc, store, input.customerId, { consistentRead: true, env: deps.env })) {
    const items = throughIndex && !page.retained ? await stillPresent(deps.doc, store, page.items, { env: deps.env }) : page.items;
    for (const item of items) {
      result.items += 1;
      if (page.retained) result.retainedItems += 1;
      if (isPersonalRecord(store, item, page.retained)) result.personalItems += 1;
    }
  }
  return result;
}
