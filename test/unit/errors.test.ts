import { describe, expect, it } from 'vitest';
import * as errors from '../../functions/core/errors';
import { eventsError, EventsFailed, EventsUnavailable, isConditionFailure, isTransientAwsError, StoreFailed, StoreUnavailable, storeError } from '../../functions/core/errors';

/** An SDK-shaped error. */
function sdkError(name: string, status?: number, code?: string): Error {
  return Object.assign(new Error('boom'), { name, ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }), ...(code ? { code } : {}) });
}

describe('named errors', () => {
  it('name every error after its class, retryable only for transient faults', () => {
    const retryable = Object.entries(errors)
      .filter(([, value]) => typeof value === 'function' && value.prototype instanceof errors.DsrError)
      .map(([name, ErrorClass]) => {
        const error = new (ErrorClass as new (message: string) => errors.DsrError)('m');
        expect(error.name).toBe(name);
        expect(error.message).toBe('m');
        expect(error).toBeInstanceOf(Error);
        return [name, error.retryable] as const;
      })
      .filter(([, isRetryable]) => isRetryable)
      .map(([name]) => name);

    expect(retryable.sort()).toEqual(['EventsUnavailable', 'StoreUnavailable']);
  });

  it('keep the refusal reason and the open request they name', () => {
    // Act
    const refused = new errors.ExtensionRefused('extended already', 'already_extended');
    const duplicate = new errors.DuplicateRequest('open export', 'r-open');

    // Assert
    expect([refused.name, refused.message, refused.reason]).toEqual(['ExtensionRefused', 'extended already', 'already_extended']);
    expect([duplicate.name, duplicate.message, duplicate.openRequestId]).toEqual(['DuplicateRequest', 'open export', 'r-open']);
  });

  it('list the Lambda service faults Step Functions reports and AWS recommends retrying', () => {
    // Assert (the error names of the Step Functions documentation, "Handling errors in Step Functions workflows")
    expect(errors.TRANSIENT_LAMBDA_ERRORS).toEqual(['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException']);
  });
});

describe('isTransientAwsError', () => {
  it.each([
    'ThrottlingException', 'Throttling', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'SlowDown', 'ServiceUnavailable',
    'InternalServerError', 'InternalError', 'InternalFailure', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutError',
    'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT',
  ])('treats %s as transient', (name) => {
    expect(isTransientAwsError(sdkError(name, 400))).toBe(true);
  });

  it.each([
    ['a network error code', sdkError('Error', undefined, 'ECONNRESET'), true],
    ['HTTP 500', sdkError('UnknownError', 500), true],
    ['HTTP 503', sdkError('UnknownError', 503), true],
    ['HTTP 429', sdkError('UnknownError', 429), true],
    ['HTTP 499', sdkError('UnknownError', 499), false],
    ['HTTP 400', sdkError('ValidationException', 400), false],
    ['no status', sdkError('AccessDenied'), false],
    ['an unknown code', sdkError('Error', 400, 'EACCES'), false],
    ['a non-error', { name: 'ThrottlingException' }, false],
  ])('%s → %s', (_, error, transient) => {
    expect(isTransientAwsError(error)).toBe(transient);
  });
});

describe('isConditionFailure', () => {
  it('recognises only a lost conditional write', () => {
    expect(isConditionFailure(sdkError('ConditionalCheckFailedException', 400))).toBe(true);
    expect(isConditionFailure(sdkError('TransactionCanceledException', 400))).toBe(false);
    expect(isConditionFailure({ name: 'ConditionalCheckFailedException' })).toBe(false);
  });
});

describe('storeError and eventsError', () => {
  it('wrap a transient fault as retryable and anything else as terminal, naming the store or request and keeping the cause', () => {
    const throttled = sdkError('ThrottlingException', 400);
    const denied = sdkError('AccessDenied', 403);

    const unavailable = storeError('orders', throttled);
    const failed = storeError('orders', denied);
    const busDown = eventsError('r1', throttled);
    const busRefused = eventsError('r1', denied);

    expect(unavailable).toBeInstanceOf(StoreUnavailable);
    expect(unavailable.message).toBe('Store "orders" is unavailable: ThrottlingException: boom');
    expect(unavailable.cause).toBe(throttled);
    expect(failed).toBeInstanceOf(StoreFailed);
    expect(failed.message).toBe('Store "orders" failed: AccessDenied: boom');
    expect(failed.cause).toBe(denied);
    expect(busDown).toBeInstanceOf(EventsUnavailable);
    expect(busDown.message).toBe('The event bus did not take the status event of request r1: ThrottlingException: boom');
    expect(busDown.cause).toBe(throttled);
    expect(busRefused).toBeInstanceOf(EventsFailed);
    expect(busRefused.cause).toBe(denied);
  });

  it('keep a named error as it is and describe a thrown non-error', () => {
    const named = new StoreFailed('already named');

    expect(storeError('orders', named)).toBe(named);
    expect(eventsError('r1', named)).toBe(named);
    expect(storeError('orders', 'text').message).toBe('Store "orders" failed: text');
    expect(eventsError('r1', 42).message).toBe('The event bus did not take the status event of request r1: 42');
  });
});
