import { recordFailure, recordFailureInput, recordFailureOutput } from '../core/ledger-tasks';
import { taskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Workflow task `record-failure`: see `recordFailure` in functions/core/ledger-tasks.ts. */
export const handler = taskHandler(recordFailureInput, (input) => recordFailure(ledgerFromEnv(), input), recordFailureOutput);
