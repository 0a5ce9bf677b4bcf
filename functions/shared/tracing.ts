import type { FunctionSpec } from '../catalog';

/**
 * The environment variable that, set to `false`, keeps per-call tracing and the X-Ray SDK out of a
 * function (`functions/shared/clients.ts` reads it when it loads).
 */
export const TRACE_SDK_CALLS_ENV = 'DSR_TRACE_SDK_CALLS';

/** The environment a function's catalog `tracing` gives it: per-call tracing off for `invocation`. */
export function tracingEnvironment(tracing: FunctionSpec['tracing'] = 'calls'): Record<string, string> {
  return tracing === 'invocation' ? { [TRACE_SDK_CALLS_ENV]: 'false' } : {};
}
