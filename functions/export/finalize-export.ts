import { finalizeExport, finalizeExportInput, finalizeExportOutput } from '../core/export/finalize';
import { logger, taskHandler } from '../shared/handler';
import { exportDeps } from './export-deps';

/** Workflow task `finalize-export`: writes the volume list, removes the staging area; returns the small result for `complete-request`. */
export const handler = taskHandler(finalizeExportInput, async (input) => {
  const result = await finalizeExport(exportDeps(process.env, input.requestId), input);
  logger.info('export finalized', { volumes: result.volumeCount, bytes: result.totalBytes, empty: result.empty });
  return result;
}, finalizeExportOutput);
