import { recordStoreProgress, recordStoreProgressInput, recordStoreProgressOutput } from '../core/ledger-tasks';
import { taskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Workflow task `record-store-progress`: see `recordStoreProgress` in functions/core/ledger-tasks.ts. */
export const handler = taskHandler(recordStoreProgressInput, (input) => recordStoreProgress(ledgerFromEnv(), input), recordStoreProgressOutput);
