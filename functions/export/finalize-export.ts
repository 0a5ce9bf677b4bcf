import { finalizeExport, finalizeExportInput } from '../core/export/finalize';
import { logger, taskHandler } from '../shared/handler';
import { exportDeps } from './export-deps';

/** Workflow task `finalize-export`: the export result for `complete-request`; removes the staging area. */
export const handler = taskHandler(finalizeExportInput, async (input) => {
  const result = await finalizeExport(exportDeps(), input);
  logger.info('export finalized', { volumes: result.volumes.length, empty: result.empty });
  return result;
});
