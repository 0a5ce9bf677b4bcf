import { getStore, resourceName } from '../data-map';
import { readFunctionMap, readFunctionSettings } from '../settings';

/**
 * Settings of the export pipeline, from the environment only: the volume size, part size, upload
 * concurrency and fetch budget and concurrency (`DSR_EXPORT_*`, declared with their defaults in functions/core/settings.ts), the
 * per-store collectors (`DSR_COLLECT_FUNCTIONS`, JSON `{ storeId: functionName }`) and the exports
 * bucket name from the data map (`DSR_BUCKET_EXPORTS`, default `dsr-exports`).
 */

/** Resolved export settings. */
export interface ExportConfig {
  exportsBucket: string;
  volumeBytes: number;
  partBytes: number;
  uploadConcurrency: number;
  /** Bytes of source files fetched ahead of the entry being written. */
  fetchBudgetBytes: number;
  /** GetObject requests kept in flight by the volume builder. */
  fetchConcurrency: number;
  collectFunctions: Record<string, string>;
}

/** Reads the export settings from the environment; throws on an invalid value. */
export function exportConfig(env: NodeJS.ProcessEnv = process.env): ExportConfig {
  const settings = readFunctionSettings(env);
  return {
    exportsBucket: resourceName(getStore('exports'), env),
    volumeBytes: settings.exportVolumeBytes,
    partBytes: settings.exportPartBytes,
    uploadConcurrency: settings.exportUploadConcurrency,
    fetchBudgetBytes: settings.exportFetchBudgetBytes,
    fetchConcurrency: settings.exportFetchConcurrency,
    collectFunctions: readFunctionMap(env, 'DSR_COLLECT_FUNCTIONS'),
  };
}
