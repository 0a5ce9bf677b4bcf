import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';

/**
 * Each local invocation in its own async context, the way Lambda's Node.js runtime runs invocations
 * that share one execution environment (`AWS_LAMBDA_MAX_CONCURRENCY`, an AsyncLocalStorage-backed
 * `InvokeStore`). The local runtime runs every function concurrently in one process, so this is what
 * keeps Powertools state per invocation: Logger keys (`function`, `requestId`) and Lambda context, and
 * Tracer segments. The store is created when this module loads, before any SDK call can create a
 * single-invocation one.
 */

/** The variable (set in every local function's environment) that makes Powertools scope its state to the invocation. */
export const CONCURRENT_INVOCATIONS_ENV = { AWS_LAMBDA_MAX_CONCURRENCY: '1000' } as const;

const store = await InvokeStore.getInstanceAsync(true);

/** Runs `fn` (one invocation, Lambda request id `awsRequestId`) in an async context of its own. */
export function inInvocationScope<T>(awsRequestId: string, fn: () => T): T {
  return store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: awsRequestId }, fn);
}
