import { holdRequest, holdRequestInput, requestStatusOutput } from '../core/ledger-tasks';
import { taskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Workflow task `hold-request`: see `holdRequest` in functions/core/ledger-tasks.ts. */
export const handler = taskHandler(holdRequestInput, (input) => holdRequest(ledgerFromEnv(), input), requestStatusOutput);
