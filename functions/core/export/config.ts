import { z } from 'zod';
import { getStore, resourceName } from '../data-map';
import { functionMapSetting } from '../function-map-setting';

/**
 * Settings of the export pipeline, from the environment only (documented defaults):
 * - `DSR_EXPORT_VOLUME_BYTES`: largest ZIP volume, in bytes (default 2 GiB);
 * - `DSR_EXPORT_PART_BYTES`: multipart upload part size (default 8 MiB, S3 minimum 5 MiB);
 * - `DSR_EXPORT_UPLOAD_CONCURRENCY`: parts uploaded in parallel per upload (default 4);
 * - `DSR_COLLECT_FUNCTIONS`: JSON `{ storeId: functionName }` of the per-store collectors;
 * - the exports bucket name from the data map (`DSR_BUCKET_EXPORTS`, default `dsr-exports`).
 */

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

const settingsSchema = z.object({
  DSR_EXPORT_VOLUME_BYTES: z.coerce.number().int().positive().default(2 * GIB),
  DSR_EXPORT_PART_BYTES: z.coerce.number().int().min(5 * MIB).default(8 * MIB),
  DSR_EXPORT_UPLOAD_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(4),
  DSR_COLLECT_FUNCTIONS: functionMapSetting('DSR_COLLECT_FUNCTIONS'),
});

/** Resolved export settings. */
export interface ExportConfig {
  exportsBucket: string;
  volumeBytes: number;
  partBytes: number;
  uploadConcurrency: number;
  collectFunctions: Record<string, string>;
}

/** Reads the export settings from the environment; throws on an invalid value. */
export function exportConfig(env: NodeJS.ProcessEnv = process.env): ExportConfig {
  const settings = settingsSchema.parse({
    DSR_EXPORT_VOLUME_BYTES: env.DSR_EXPORT_VOLUME_BYTES || undefined,
    DSR_EXPORT_PART_BYTES: env.DSR_EXPORT_PART_BYTES || undefined,
    DSR_EXPORT_UPLOAD_CONCURRENCY: env.DSR_EXPORT_UPLOAD_CONCURRENCY || undefined,
    DSR_COLLECT_FUNCTIONS: env.DSR_COLLECT_FUNCTIONS || undefined,
  });
  return {
    exportsBucket: resourceName(getStore('exports'), env),
    volumeBytes: settings.DSR_EXPORT_VOLUME_BYTES,
    partBytes: settings.DSR_EXPORT_PART_BYTES,
    uploadConcurrency: settings.DSR_EXPORT_UPLOAD_CONCURRENCY,
    collectFunctions: settings.DSR_COLLECT_FUNCTIONS,
  };
}
