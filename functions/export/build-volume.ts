import { buildVolume, buildVolumeInput, buildVolumeOutput } from '../core/export/build-volume';
import { logger, taskHandler } from '../shared/handler';
import { exportDeps } from './export-deps';

/** Workflow task `build-volume`: streams one ZIP volume into its final S3 key and stages its summary; returns only the volume number. */
export const handler = taskHandler(buildVolumeInput, async (input) => {
  const summary = await buildVolume(exportDeps(process.env, input.requestId), input);
  logger.info('volume built', { volume: summary.volume, bytes: summary.bytes, entries: summary.entries });
  return { volume: summary.volume };
}, buildVolumeOutput);
