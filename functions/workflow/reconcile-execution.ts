import { reconcileExecution, reconcileExecutionInput } from '../core/reconcile-execution';
import { sfnClient } from '../shared/clients';
import { taskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Event target `reconcile-execution`: see `reconcileExecution` in functions/core/reconcile-execution.ts. */
export const handler = taskHandler(reconcileExecutionInput, (input) => reconcileExecution({ ledger: ledgerFromEnv(), sfn: sfnClient() }, input));
