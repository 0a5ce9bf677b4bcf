import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { storeError } from '../errors';
import type { BuildDeps, VolumeSummary } from './build-volume';
import { archivePrefix, stagingPrefix } from './layout';
import { collectedStore } from './plan';

/**
 * Finishing an export: the result the ledger keeps (volumes with key, size, SHA-256 and entry count;
 * per-store counts; whether anything was found), removal of the staging area, and removal of volumes
 * an earlier attempt left under the same archive prefix that the current plan no longer has. The result
 * depends only on the input, so a retry after the staging area is gone returns the same result.
 */

/** Input of `finalize-export`: the request, the collectors' summaries and the built volumes. */
export const finalizeExportInput = z.object({
  requestId: z.string().min(1).max(128),
  collected: z.array(collectedStore.pick({ store: true, items: true, bytes: true })),
  volumes: z
    .array(
      z.object({
        volume: z.number().int().positive(),
        key: z.string().min(1),
        bytes: z.number().int().nonnegative(),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        entries: z.number().int().positive(),
      }),
    )
    .min(1),
});

/** The export result stored on the completed request. */
export interface ExportResult {
  volumes: VolumeSummary[];
  /** True when no store holds anything about the customer. */
  empty: boolean;
  stores: Record<string, { items: number; bytes: number }>;
}

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

/** Builds the export result, removes stale volumes and the staging area. */
export async function finalizeExport(deps: BuildDeps, input: z.infer<typeof finalizeExportInput>): Promise<ExportResult> {
  const bucket = deps.config.exportsBucket;
  const volumes = [...input.volumes].sort((a, b) => a.volume - b.volume);
  const keep = new Set(volumes.map((volume) => volume.key));
  await deletePrefix(deps.s3, bucket, archivePrefix(input.requestId, (deps.env ?? process.env).DSR_HASH_KEY), keep);
  await deletePrefix(deps.s3, bucket, stagingPrefix(input.requestId));
  return {
    volumes,
    empty: input.collected.every((summary) => summary.items === 0),
    stores: Object.fromEntries(input.collected.map((summary) => [summary.store, { items: summary.items, bytes: summary.bytes }])),
  };
}
