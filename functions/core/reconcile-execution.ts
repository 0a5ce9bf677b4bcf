import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { InvalidStatusTransition } from './errors';
import type { Ledger, RequestError, RequestStatus } from './ledger';
import { failureFromCatch } from './ledger-tasks';

/**
 * "No request stays stuck": when a workflow execution ends FAILED, TIMED_OUT or ABORTED without its
 * own failure path having run (States.DataLimitExceeded, an execution timeout, a stop from the
 * console, a failing Record Failure step), the request it ran for is marked `failed` with the cause.
 * Step Functions publishes the `Step Functions Execution Status Change` event on the default bus; the
 * execution name is the request id or `<requestId>-replay-<n>`.
 *
 * Safe against replays: only a request still `pending` or `in_progress` is touched, and only when no
 * other execution of the same request is RUNNING on that state machine (a replay running, or the first
 * execution still running while a replay was stopped, owns the request). Every other status is final
 * for this purpose: `failed` (the failure path ran), `completed`, `cancelled` (a cancel stops the
 * execution, which then ends ABORTED) and `on_hold`.
 */

/** EventBridge source of Step Functions events. */
export const EXECUTION_EVENT_SOURCE = 'aws.states';

/** EventBridge detail-type of Step Functions execution status changes. */
export const EXECUTION_STATUS_CHANGE_DETAIL_TYPE = 'Step Functions Execution Status Change';

/** Final execution statuses that mean the workflow did not finish its work. */
export const UNSUCCESSFUL_EXECUTION_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/** Suffix pattern of a replay's execution name (`<requestId>-replay-<n>`). */
const REPLAY_SUFFIX = /-replay-\d+$/;

/** The request id of an execution name: the name itself, or the part before `-replay-<n>`. */
export function requestIdOfExecution(name: string): string {
  return name.replace(REPLAY_SUFFIX, '');
}

/** Input of `reconcile-execution`: the EventBridge event, reduced to what the reconciliation needs. */
export const reconcileExecutionInput = z
  .object({
    source: z.literal(EXECUTION_EVENT_SOURCE),
    'detail-type': z.literal(EXECUTION_STATUS_CHANGE_DETAIL_TYPE),
    detail: z.object({
      executionArn: z.string().min(1),
      stateMachineArn: z.string().min(1),
      name: z.string().min(1).max(80),
      status: z.enum(UNSUCCESSFUL_EXECUTION_STATUSES),
      error: z.string().nullish(),
      cause: z.string().nullish(),
    }),
  })
  .transform(({ detail }) => ({ requestId: requestIdOfExecution(detail.name), ...detail }));

/** A parsed `reconcile-execution` input. */
export type ReconcileExecutionInput = z.infer<typeof reconcileExecutionInput>;

/** What the reconciliation did: marked the request failed, or why it left it alone. */
export type ReconcileAction = 'marked-failed' | 'unchanged' | 'superseded' | 'unknown-request';

/** Result of `reconcile-execution`. */
export interface ReconcileExecutionResult {
  requestId: string;
  action: ReconcileAction;
  status?: RequestStatus;
  error?: RequestError;
}

/** What the reconciliation needs: the ledger and a Step Functions client (ListExecutions only). */
export interface ReconcileExecutionDeps {
  ledger: Ledger;
  sfn: SFNClient;
}

/**
 * The stored error of an ended execution: its error name (else `States.<status>`) and its cause, as
 * `failureFromCatch` trims it, with the customer id redacted (a `States.Runtime` cause can quote the
 * state input).
 */
export function failureOfExecution(input: Pick<ReconcileExecutionInput, 'name' | 'status' | 'error' | 'cause'>, customerId?: string): RequestError {
  const failure = failureFromCatch({ Error: input.error || `States.${input.status}`, Cause: input.cause ?? undefined }, customerId);
  return { name: failure.name, message: failure.message || `Execution ${input.name} ended ${input.status}` };
}

/** True when another execution of the request (original or replay) is RUNNING on the same state machine. */
async function otherExecutionRunning(sfn: SFNClient, input: ReconcileExecutionInput): Promise<boolean> {
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: input.stateMachineArn, statusFilter: 'RUNNING', maxResults: 1000, nextToken }));
    const running = (page.executions ?? []).some(
      (execution) => execution.executionArn !== input.executionArn && requestIdOfExecution(execution.name ?? '') === input.requestId,
    );
    if (running) return true;
    nextToken = page.nextToken;
  } while (nextToken);
  return false;
}

/**
 * Marks the request of an execution that ended FAILED, TIMED_OUT or ABORTED `failed` with the
 * execution's error, when the request is still pending or in progress and no other execution of it
 * is running. Unknown requests and every other status are left alone.
 */
export async function reconcileExecution(deps: ReconcileExecutionDeps, input: ReconcileExecutionInput): Promise<ReconcileExecutionResult> {
  const { requestId } = input;
  const record = await deps.ledger.find(requestId);
  if (!record) return { requestId, action: 'unknown-request' };
  if (record.status !== 'pending' && record.status !== 'in_progress') return { requestId, action: 'unchanged', status: record.status };
  if (await otherExecutionRunning(deps.sfn, input)) return { requestId, action: 'superseded', status: record.status };
  const failure = failureOfExecution(input, record.customerId);
  try {
    const { record: updated, changed } = await deps.ledger.transition(requestId, 'failed', { error: failure });
    return { requestId, action: changed ? 'marked-failed' : 'unchanged', status: updated.status, ...(changed ? { error: failure } : {}) };
  } catch (error) {
    if (!(error instanceof InvalidStatusTransition)) throw error;
    return { requestId, action: 'unchanged', status: (await deps.ledger.get(requestId)).status };
  }
}
