import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { workflowRequestId } from '../workflow-input';
import { readOptionalJson } from '../connectors/s3-store';
import { ExportIncomplete, storeError } from '../errors';
import type { BuildDeps, VolumeSummary } from './build-volume';
import { archivePrefix, exportResultKey, stagingPrefix, volumeSummaryKey } from './layout';
import { collectedStore } from './plan';
import { writeJson } from './staging-io';

/**
 * Finishing an export: reads the volume summaries `build-volume` staged, writes the full volume list
 * beside the volumes (`exportResultKey`), removes volumes an earlier attempt left under the same archive
 * prefix that the current plan no longer has, and removes the staging area. The result the ledger keeps
 * is small whatever the number of volumes: counts and the key of the volume list. A retry after the
 * staging area is gone reads the volume list it wrote before, so it returns the same result.
 */

/** Input of `finalize-export`: the request, the collectors' summaries and the number of planned volumes. */
export const finalizeExportInput = z.object({
  requestId: workflowRequestId,
  collected: z.array(collectedStore.pick({ store: true, items: true, bytes: true })),
  volumeCount: z.number().int().positive(),
});

/** The full volume list of an export, stored at `exportResultKey`. */
export interface ExportVolumes {
  requestId: string;
  volumes: VolumeSummary[];
}

/**
 * Output of `finalize-export`, the export result stored on the completed request: counts and a pointer
 * (`resultKey`, the full volume list `ExportVolumes` in the exports bucket), never one entry per volume;
 * `empty` is true when no store holds anything about the customer.
 */
export const finalizeExportOutput = z.object({
  volumeCount: z.number().int().positive(),
  totalBytes: z.number().int().nonnegative(),
  resultKey: z.string().min(1),
  empty: z.boolean(),
  stores: z.record(z.string(), z.object({ items: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() })),
});

/** The export result stored on the completed request. */
export type ExportResult = z.infer<typeof finalizeExportOutput>;

/** How many staged volume summaries are read at once. */
const SUMMARY_READS = 16;

/** Deletes every object under a prefix except the keys to keep; returns how many were deleted. */
export async function deletePrefix(s3: S3Client, bucket: string, prefix: string, keep: ReadonlySet<string> = new Set()): Promise<number> {
  let deleted = 0;
  let continuationToken: string | undefined;
  try {
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: continuationToken }));
      const keys = (page.Contents ?? []).map((object) => object.Key!).filter((key) => !keep.has(key));
      if (keys.length > 0) {
        await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
        deleted += keys.length;
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
  } catch (error) {
    throw storeError('exports', error);
  }
  return deleted;
}

/** The staged summaries of volumes 1..count, in order (undefined where none is staged). */
async function stagedSummaries(deps: BuildDeps, requestId: string, count: number): Promise<(VolumeSummary | undefined)[]> {
  const summaries: (VolumeSummary | undefined)[] = new Array(count);
  let next = 0;
  const reader = async () => {
    for (let index = next++; index < count; index = next++) {
      summaries[index] = await readOptionalJson<VolumeSummary>(deps.s3, 'exports', deps.config.exportsBucket, volumeSummaryKey(requestId, index + 1));
    }
  };
  await Promise.all(Array.from({ length: Math.min(SUMMARY_READS, count) }, reader));
  return summaries;
}

/** Every volume's summary: from staging, or (on a retry after staging was removed) from the volume list written before. */
async function builtVolumes(deps: BuildDeps, requestId: string, count: number, resultKey: string): Promise<VolumeSummary[]> {
  const staged = await stagedSummaries(deps, requestId, count);
  const missing = staged.findIndex((summary) => summary === undefined);
  if (missing < 0) {
    const volumes = staged as VolumeSummary[];
    await writeJson(deps.s3, deps.config.exportsBucket, resultKey, { requestId, volumes } satisfies ExportVolumes);
    return volumes;
  }
  const written = await readOptionalJson<ExportVolumes>(deps.s3, 'exports', deps.config.exportsBucket, resultKey);
  if (written?.volumes.length === count) return written.volumes;
  throw new ExportIncomplete(`Export ${requestId}: volume ${missing + 1} of ${count} has no staged summary`);
}

/** Writes the volume list, removes stale volumes and the staging area, and returns the small export result. */
export async function finalizeExport(deps: BuildDeps, input: z.infer<typeof finalizeExportInput>): Promise<ExportResult> {
  const bucket = deps.config.exportsBucket;
  const hashKey = (deps.env ?? process.env).DSR_HASH_KEY;
  const resultKey = exportResultKey(input.requestId, hashKey);
  const volumes = await builtVolumes(deps, input.requestId, input.volumeCount, resultKey);
  const keep = new Set([resultKey, ...volumes.map((volume) => volume.key)]);
  await deletePrefix(deps.s3, bucket, archivePrefix(input.requestId, hashKey), keep);
  await deletePrefix(deps.s3, bucket, stagingPrefix(input.requestId));
  return {
    volumeCount: volumes.length,
    totalBytes: volumes.reduce((sum, volume) => sum + volume.bytes, 0),
    resultKey,
    empty: input.collected.every((summary) => summary.items === 0),
    stores: Object.fromEntries(input.collected.map((summary) => [summary.store, { items: summary.items, bytes: summary.bytes }])),
  };
}
