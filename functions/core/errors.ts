/**
 * Named errors. Step Functions `Retry`/`Catch` match on `error.name` (the Lambda `errorType`), so every
 * error a task can raise has a class here, marked retryable (transient: retry with backoff) or terminal.
 */

/** Base of every pipeline error; `retryable` tells the workflow whether a retry can help. */
export abstract class DsrError extends Error {
  abstract readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A task received input that does not match its schema. */
export class InvalidInput extends DsrError {
  readonly retryable = false;
}

/** A task produced a result that does not match its declared output schema (a defect, never retried). */
export class InvalidOutput extends DsrError {
  readonly retryable = false;
}

/** The customer does not exist for the requested brand. */
export class CustomerNotFound extends DsrError {
  readonly retryable = false;
}

/** A request id that the ledger does not know. */
export class RequestNotFound extends DsrError {
  readonly retryable = false;
}

/** The request no longer holds its customer id (the customer was erased): nothing can act on the customer. */
export class SubjectRedacted extends DsrError {
  readonly retryable = false;
}

/** An export of the customer has been running too long for an erasure to wait on it (names the export). */
export class ExportStillRunning extends DsrError {
  readonly retryable = false;
}

/** A status change the request's current status does not allow. */
export class InvalidStatusTransition extends DsrError {
  readonly retryable = false;
}

/** A deadline extension refused: the request was extended already, or its original due date has passed. */
export class ExtensionRefused extends DsrError {
  readonly retryable = false;
  constructor(
    message: string,
    readonly reason: 'already_extended' | 'past_due' | 'not_extendable',
  ) {
    super(message);
  }
}

/** A store answered with throttling or a transient fault; retrying later can succeed. */
export class StoreUnavailable extends DsrError {
  readonly retryable = true;
}

/**
 * The event bus did not take a status event (throttling, a transient fault): the ledger still owes it
 * (outbox marker on the record), so a retried step or the `flush-status-events` sweep emits it.
 */
export class EventsUnavailable extends DsrError {
  readonly retryable = true;
}

/** The event bus refused a status event for good (access denied, invalid entry); the ledger still owes it. */
export class EventsFailed extends DsrError {
  readonly retryable = false;
}

/** A store keeps failing or refuses access; names the store. */
export class StoreFailed extends DsrError {
  readonly retryable = false;
}

/** A legal hold (undelivered/unpaid order, dispute, legal claim) blocks an erasure. */
export class LegalHoldActive extends DsrError {
  readonly retryable = false;
}

/** Verification after erasure still found personal data. */
export class ErasureVerificationFailed extends DsrError {
  readonly retryable = false;
}

/** A rectification's read-back found a store not holding the corrected values (the stores named, never values). */
export class RectificationVerificationFailed extends DsrError {
  readonly retryable = false;
}

/** A restriction's or objection's read-back found its change not in place (the stores and checks named, never values). */
export class ProcessingVerificationFailed extends DsrError {
  readonly retryable = false;
}

/** A request id already used with a different body (idempotency conflict). */
export class RequestConflict extends DsrError {
  readonly retryable = false;
}

/** The customer's profile belongs to another brand than the request names (the customer id is group-wide). */
export class BrandMismatch extends DsrError {
  readonly retryable = false;
}

/** The customer already has an open request of the same type; `openRequestId` names it. */
export class DuplicateRequest extends DsrError {
  readonly retryable = false;
  constructor(
    message: string,
    readonly openRequestId: string,
  ) {
    super(message);
  }
}

/** The request's customer was erased since (its export may no longer be handed out); names the erasure. */
export class CustomerErased extends DsrError {
  readonly retryable = false;
}

/** The request is not in a state that allows the operation (e.g. download before completion). */
export class RequestNotReady extends DsrError {
  readonly retryable = false;
}

/** A completed export has no such volume. */
export class DownloadNotFound extends DsrError {
  readonly retryable = false;
}

/** The request notified no such recipient (Art. 19 acknowledgement of an unknown recipient). */
export class NotificationNotFound extends DsrError {
  readonly retryable = false;
}

/** An export volume has neither a staged summary nor a place in an earlier result: it was never built. */
export class ExportIncomplete extends DsrError {
  readonly retryable = false;
}

/** A required setting (environment variable) is missing or invalid; names the setting, never a secret. */
export class ConfigurationError extends DsrError {
  readonly retryable = false;
}

/** Lambda invocation errors Step Functions reports for a transient fault of the Lambda service itself. */
export const TRANSIENT_LAMBDA_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/** Error names the SDK uses for throttling and transient faults (any other value, `undefined` too, is not one). */
const TRANSIENT_AWS_ERRORS: ReadonlySet<unknown> = new Set([
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'ServiceUnavailable',
  'InternalServerError',
  'InternalError',
  'InternalFailure',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/** True when an AWS SDK or network error is transient (throttling, 5xx, connection reset). */
export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const meta = (error as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown; code?: string }).$metadata;
  const status = meta?.httpStatusCode ?? 0;
  const code = (error as { code?: string }).code;
  return TRANSIENT_AWS_ERRORS.has(error.name) || TRANSIENT_AWS_ERRORS.has(code) || status >= 500 || status === 429;
}

/** True when a DynamoDB conditional write failed its condition. */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Wraps a raw store error into `StoreUnavailable` (transient) or `StoreFailed` (terminal), naming the store. */
export function storeError(storeId: string, error: unknown): DsrError {
  if (error instanceof DsrError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return isTransientAwsError(error)
    ? new StoreUnavailable(`Store "${storeId}" is unavailable: ${detail}`, { cause: error })
    : new StoreFailed(`Store "${storeId}" failed: ${detail}`, { cause: error });
}

/** Wraps a failed PutEvents (an SDK error or a rejected entry's error code) into `EventsUnavailable` or `EventsFailed`. */
export function eventsError(requestId: string, error: unknown): DsrError {
  if (error instanceof DsrError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const message = `The event bus did not take the status event of request ${requestId}: ${detail}`;
  return isTransientAwsError(error) ? new EventsUnavailable(message, { cause: error }) : new EventsFailed(message, { cause: error });
}
