import { markInProgress, markInProgressInput, markInProgressOutput } from '../core/ledger-tasks';
import { taskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Workflow task `mark-in-progress`: see `markInProgress` in functions/core/ledger-tasks.ts. */
export const handler = taskHandler(markInProgressInput, (input) => markInProgress(ledgerFromEnv(), input), markInProgressOutput);
