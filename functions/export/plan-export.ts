import { planExport, planExportInput, planExportOutput } from '../core/export/plan';
import { taskHandler } from '../shared/handler';
import { exportDeps } from './export-deps';

/** Workflow task `plan-export`: the stores of the brand with their collector functions. */
export const handler = taskHandler(planExportInput, async (input) => planExport(exportDeps().config, input), planExportOutput);
