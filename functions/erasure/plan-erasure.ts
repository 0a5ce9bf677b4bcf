import { erasureConfig } from '../core/erasure/config';
import { planErasure, planErasureInput, planErasureOutput } from '../core/erasure/plan';
import { taskHandler } from '../shared/handler';

/** Workflow task `plan-erasure`: the brand's stores with their eraser and collector (see `planErasure`). */
export const handler = taskHandler(planErasureInput, async (input) => planErasure(erasureConfig(), input), planErasureOutput);
