import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { workflowRequestId } from '../workflow-input';
import { BRANDS, type Brand } from '../brands';
import { CUSTOMER_STORE_IDS, CUSTOMER_STORES, getStore } from '../data-map';
import { ConfigurationError } from '../errors';
import { collectResultSchema, type FileListing } from './collect';
import type { ExportConfig } from './config';
import { FILES_FOLDER, PathAllocator, isAlreadyCompressed, manifestName, planKey, sanitiseSegment, volumeFileName } from './layout';
import { readJsonLines, writeJson } from './staging-io';

/**
 * Planning an export: which stores to collect (and by which function), then how the collected files
 * split into ZIP volumes. The volume plan is written to staging so each volume builder reads only its
 * own part, and a replay plans the same volumes.
 */

const requestId = workflowRequestId;

/** Input of `plan-export`: the workflow input. */
export const planExportInput = z.object({ requestId });

/** One collector invocation of the "Collect Stores" map (ids only: the collector resolves the customer). */
export const collectTaskSchema = z.object({ requestId, store: z.string(), functionName: z.string() });

/** One collector invocation. */
export type CollectTask = z.infer<typeof collectTaskSchema>;

/** Output of `plan-export`. */
export const planExportOutput = z.object({ stores: z.array(collectTaskSchema) });

/** Every business store, each with its collector function (from `DSR_COLLECT_FUNCTIONS`); the brand never narrows it. */
export function planExport(config: ExportConfig, input: z.infer<typeof planExportInput>): { stores: CollectTask[] } {
  const stores = CUSTOMER_STORES.map((store) => {
    const functionName = config.collectFunctions[store.id];
    if (!functionName) throw new ConfigurationError(`DSR_COLLECT_FUNCTIONS has no collector for store "${store.id}"`);
    return { requestId: input.requestId, store: store.id, functionName };
  });
  return { stores };
}

/** One collector's summary as `plan-volumes` receives it (the collector's export-mode output). */
export const collectedStore = collectResultSchema.pick({ store: true, items: true, bytes: true, stagingKey: true });

/**
 * Output of `plan-volumes`: how many volumes, and the numbers of those after the first (the items of
 * the "Build Volumes" map). Volume 1 is built after them: its page shows their files' original names,
 * which only their builders' GetObjects learn.
 */
export const planVolumesOutput = z.object({ volumeCount: z.number().int().positive(), laterVolumes: z.array(z.number().int().positive()) });

/** Input of `plan-volumes`: the request and the collectors' summaries. */
export const planVolumesInput = z.object({
  requestId,
  brand: z.enum(BRANDS),
  collected: z.array(collectedStore),
});

/** A file placed in the archive. */
export interface PlannedFile {
  store: string;
  /** Source object key in the store's bucket. */
  key: string;
  size: number;
  /** Path inside the archive (from the key: sanitised, unique); the original name is in the volume's manifest. */
  path: string;
  /** Stored as-is (already-compressed media) instead of deflated. */
  stored: boolean;
}

/** A tabular store's staged records. */
export interface PlannedTable {
  store: string;
  stagingKey: string;
  items: number;
}

/** The export's volume plan, kept at `staging/<requestId>/plan.json`. */
export interface ExportPlan {
  requestId: string;
  brand: Brand;
  /** When the request was received (the ledger's `createdAt`): the same on every replay. */
  generatedAt: string;
  /** The locale the request asked for (the ledger's `locale`), if any; the page falls back from it. */
  locale?: string;
  tables: PlannedTable[];
  stores: Record<string, { items: number; bytes: number }>;
  volumes: { volume: number; fileName: string; manifest: string; files: PlannedFile[] }[];
}

/** Estimated bytes, besides the files, that volume 1 needs: JSON + CSV + HTML of the records (HTML markup ≈ 2×), plus the page and manifest. */
export function volumeOneReserve(tables: { bytes: number }[]): number {
  const recordBytes = tables.reduce((sum, table) => sum + table.bytes, 0);
  return 4 * recordBytes + 64 * 1024;
}

/** Per-file ZIP and manifest overhead estimate (headers, data descriptor, central directory, manifest line). */
export function entryOverhead(path: string): number {
  return 256 + 3 * Buffer.byteLength(path);
}

/**
 * Splits files (in the given order) into volumes of at most `volumeBytes` each; volume 1 also holds
 * `reserve` bytes of generated content. A file larger than a volume gets a volume of its own (files
 * are never split or dropped). Always returns at least one volume.
 */
export function packVolumes<T extends { size: number; path: string }>(files: T[], volumeBytes: number, reserve: number): T[][] {
  const volumes: T[][] = [[]];
  let used = reserve;
  for (const file of files) {
    const need = file.size + entryOverhead(file.path);
    if (used > 0 && used + need > volumeBytes) {
      volumes.push([file]);
      used = need;
    } else {
      volumes[volumes.length - 1]!.push(file);
      used += need;
    }
  }
  return volumes;
}

/** The archive folder segments of a file: its album (the key's parent folder) for the photo library, else none. */
function folderOf(store: string, listing: FileListing): string[] {
  const segments = listing.key.split('/');
  return store === 'photo-library' && segments.length > 2 ? [sanitiseSegment(segments.at(-2)!, 'album')] : [];
}

/** The dependencies of `planVolumes`. */
export interface PlanDeps {
  s3: S3Client;
  config: ExportConfig;
  /** When the request was received (the ledger's `createdAt`): the export's fixed "generated at". */
  requestedAt: (requestId: string) => Promise<string>;
  /** The locale the request asked for (the ledger's `locale`), if any. */
  requestedLocale?: (requestId: string) => Promise<string | undefined>;
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads the staged file listings, gives every file a unique sanitised archive path from its key
 * (`files/<store>/[album/]<key's file name>`, in key order: the same on every replay), splits them into volumes and writes the plan. Returns
 * only the volume count and the numbers of the volumes after the first (a few bytes per volume).
 */
export async function planVolumes(deps: PlanDeps, input: z.infer<typeof planVolumesInput>): Promise<z.infer<typeof planVolumesOutput>> {
  const order = (store: string) => CUSTOMER_STORE_IDS.indexOf(store as (typeof CUSTOMER_STORE_IDS)[number]);
  const collected = [...input.collected].sort((a, b) => order(a.store) - order(b.store));
  const generatedAt = await deps.requestedAt(input.requestId);
  const locale = await deps.requestedLocale?.(input.requestId);
  const paths = new PathAllocator();
  const files: PlannedFile[] = [];
  const tables: PlannedTable[] = [];
  for (const summary of collected) {
    const store = getStore(summary.store);
    if (!store.holdsFiles) {
      tables.push({ store: store.id, stagingKey: summary.stagingKey, items: summary.items });
      continue;
    }
    const listings: FileListing[] = [];
    for await (const listing of readJsonLines<FileListing>(deps.s3, deps.config.exportsBucket, summary.stagingKey)) listings.push(listing);
    listings.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const listing of listings) {
      const directory = [FILES_FOLDER, store.id, ...folderOf(store.id, listing)].join('/');
      const path = paths.allocate(directory, sanitiseSegment(listing.key.slice(listing.key.lastIndexOf('/') + 1)));
      files.push({ store: store.id, key: listing.key, size: listing.size, path, stored: isAlreadyCompressed(path) });
    }
  }
  const reserve = volumeOneReserve(collected.filter((summary) => !getStore(summary.store).holdsFiles));
  const packed = packVolumes(files, deps.config.volumeBytes, reserve);
  const plan: ExportPlan = {
    requestId: input.requestId,
    brand: input.brand,
    generatedAt,
    ...(locale ? { locale } : {}),
    tables,
    stores: Object.fromEntries(collected.map((summary) => [summary.store, { items: summary.items, bytes: summary.bytes }])),
    volumes: packed.map((volumeFiles, index) => ({
      volume: index + 1,
      fileName: volumeFileName(index + 1),
      manifest: manifestName(index + 1),
      files: volumeFiles,
    })),
  };
  await writeJson(deps.s3, deps.config.exportsBucket, planKey(input.requestId), plan);
  return { volumeCount: plan.volumes.length, laterVolumes: plan.volumes.slice(1).map(({ volume }) => volume) };
}
