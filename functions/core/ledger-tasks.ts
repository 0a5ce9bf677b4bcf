import { z } from 'zod';
import { workflowRequestId } from './workflow-input';
import { InvalidStatusTransition } from './errors';
import { FINAL_STATUSES, REQUEST_STATUSES, STORE_PHASES, STORE_STEP_STATUSES, type Ledger, type RequestError, type RequestStatus } from './ledger';

/**
 * The ledger steps the export and erasure workflows call (`mark-in-progress`, `record-store-progress`,
 * `complete-request`, `hold-request`, `record-failure`). Each is safe to run again: a replay converges
 * on the same record and never moves a completed or cancelled request.
 */

const requestId = workflowRequestId;

/** Input of `mark-in-progress`. */
export const markInProgressInput = z.object({ requestId });

/** Input of `record-store-progress`. */
export const recordStoreProgressInput = z.object({
  requestId,
  store: z.string().min(1),
  phase: z.enum(STORE_PHASES),
  status: z.enum(STORE_STEP_STATUSES),
  items: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});

/** Input of `complete-request`. */
export const completeRequestInput = z.object({
  requestId,
  result: z.record(z.string(), z.unknown()),
  redactCustomerId: z.boolean().optional(),
});

/** Input of `hold-request`. */
export const holdRequestInput = z.object({ requestId, reasons: z.array(z.string().min(1)).min(1) });

/** Input of `record-failure`: the Step Functions Catch output `{Error, Cause}` under `error`. */
export const recordFailureInput = z.object({
  requestId,
  error: z.object({ Error: z.string().default('States.TaskFailed'), Cause: z.unknown().optional() }),
});

/** Output of `complete-request` and `hold-request`: the request and its status after the step. */
export const requestStatusOutput = z.object({ requestId, status: z.enum(REQUEST_STATUSES) });

/** Output of `mark-in-progress`. */
export const markInProgressOutput = requestStatusOutput.extend({ proceed: z.boolean() });

/** Output of `record-store-progress` (nothing: the ASL discards it). */
export const recordStoreProgressOutput = z.object({});

/** Output of `record-failure`: the status and the error as stored. */
export const recordFailureOutput = requestStatusOutput.extend({ error: z.object({ name: z.string(), message: z.string() }) });

/** Result of `mark-in-progress`: `proceed` is false for a final (completed, cancelled or denied) request. */
export interface MarkInProgressResult {
  requestId: string;
  status: RequestStatus;
  proceed: boolean;
}

/**
 * Moves a request to in_progress (from pending, failed or on_hold); in_progress stays and proceeds
 * (through the transition, so a retried step emits the status event the ledger still owes).
 * A final (completed, cancelled or denied) request does not proceed: a replay of a finished request changes nothing
 * (after an erasure the customer id is gone, so nothing could act on it anyway).
 */
export async function markInProgress(ledger: Ledger, input: z.infer<typeof markInProgressInput>): Promise<MarkInProgressResult> {
  const current = await ledger.get(input.requestId);
  if (FINAL_STATUSES.includes(current.status)) {
    return { requestId: input.requestId, status: current.status, proceed: false };
  }
  try {
    const { record } = await ledger.transition(input.requestId, 'in_progress');
    return { requestId: input.requestId, status: record.status, proceed: true };
  } catch (error) {
    if (!(error instanceof InvalidStatusTransition)) throw error;
    const latest = await ledger.get(input.requestId);
    if (!FINAL_STATUSES.includes(latest.status) && latest.status !== 'in_progress') throw error;
    return { requestId: input.requestId, status: latest.status, proceed: latest.status === 'in_progress' };
  }
}

/** Records one store's step outcome; ignored (recorded: false) unless the request is in_progress. */
export async function recordStoreProgress(ledger: Ledger, input: z.infer<typeof recordStoreProgressInput>): Promise<Record<string, never>> {
  const { requestId: id, store, ...progress } = input;
  await ledger.recordStoreProgress(id, store, progress);
  return {};
}

/**
 * Completes a request with its result; completed → no-op. With `redactCustomerId` (an erasure) the raw
 * customer id leaves every other record of the customer first, then this one with the transition, so a
 * crash in between is repaired by the retried step or a replay.
 */
export async function completeRequest(
  ledger: Ledger,
  input: z.infer<typeof completeRequestInput>,
): Promise<{ requestId: string; status: RequestStatus }> {
  if (input.redactCustomerId) {
    const current = await ledger.get(input.requestId);
    if (current.status !== 'completed') await ledger.redactCustomer(current.customerKey, input.requestId);
  }
  const { record } = await ledger.transition(input.requestId, 'completed', {
    result: input.result,
    redactCustomerId: input.redactCustomerId,
  });
  return { requestId: input.requestId, status: record.status };
}

/** Puts a request on hold with the reasons (nothing is erased). */
export async function holdRequest(ledger: Ledger, input: z.infer<typeof holdRequestInput>): Promise<{ requestId: string; status: RequestStatus }> {
  const { record } = await ledger.transition(input.requestId, 'on_hold', { hold: { reasons: input.reasons } });
  return { requestId: input.requestId, status: record.status };
}

/** Stands for the customer id in a stored cause. */
export const REDACTED_CUSTOMER_ID = '[customer id]';

/**
 * The text with every whole occurrence of the customer id replaced by `REDACTED_CUSTOMER_ID` (never part
 * of a longer id: customer ids are letters, digits, `-` and `_` only, so they need no escaping).
 */
export function withoutCustomerId(text: string, customerId?: string): string {
  if (!customerId) return text;
  return text.replace(new RegExp(`(?<![A-Za-z0-9_-])${customerId}(?![A-Za-z0-9_-])`, 'g'), REDACTED_CUSTOMER_ID);
}

/**
 * The stored error for a Step Functions failure: `name` is the error name; `message` is the Lambda
 * `errorMessage` when the cause is the Lambda error JSON (the stack trace is never kept), else the cause,
 * without the customer id (a `States.Runtime` cause can quote the state input).
 */
export function failureFromCatch(error: { Error: string; Cause?: unknown }, customerId?: string): RequestError {
  const cause = error.Cause;
  let message = '';
  if (typeof cause === 'string') {
    message = cause;
    try {
      const parsed: unknown = JSON.parse(cause);
      if (parsed && typeof parsed === 'object' && 'errorMessage' in parsed) {
        message = String((parsed as { errorMessage: unknown }).errorMessage);
      }
    } catch {
      // a plain-text cause is kept as it is
    }
  } else if (cause && typeof cause === 'object' && 'errorMessage' in cause) {
    message = String((cause as { errorMessage: unknown }).errorMessage);
  }
  return { name: error.Error, message: withoutCustomerId(message, customerId).slice(0, 2000) };
}

/**
 * Marks a request failed with the error from the workflow's Catch. A request that is already final
 * (completed, cancelled) or otherwise cannot fail keeps its status; the workflow still ends in Fail.
 */
export async function recordFailure(
  ledger: Ledger,
  input: z.infer<typeof recordFailureInput>,
): Promise<{ requestId: string; status: RequestStatus; error: RequestError }> {
  const failure = failureFromCatch(input.error, (await ledger.get(input.requestId)).customerId);
  try {
    const { record } = await ledger.transition(input.requestId, 'failed', { error: failure });
    return { requestId: input.requestId, status: record.status, error: failure };
  } catch (error) {
    if (!(error instanceof InvalidStatusTransition)) throw error;
    const current = await ledger.get(input.requestId);
    return { requestId: input.requestId, status: current.status, error: failure };
  }
}
