import { completeRequest, completeRequestInput, requestStatusOutput } from '../core/ledger-tasks';
import { taskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Workflow task `complete-request`: see `completeRequest` in functions/core/ledger-tasks.ts. */
export const handler = taskHandler(completeRequestInput, (input) => completeRequest(ledgerFromEnv(), input), requestStatusOutput);
