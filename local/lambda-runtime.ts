import { randomBytes, randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Callback, Context } from 'aws-lambda';
import { FUNCTIONS, type FunctionSpec } from '../functions/catalog';
import { functionPrincipal, invokeDenial, runAs } from './iam-enforcement';
import { inInvocationScope } from './invocation-scope';

/**
 * An in-process Lambda runtime: runs the catalog's handlers (and test-registered ones) with a faithful
 * event/context, the configured timeout, and the result and error shapes Step Functions'
 * `arn:aws:states:::lambda:invoke` integration sees.
 */

/** Account id of every local ARN. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** A Lambda handler: async, or callback style (Node.js runtimes up to nodejs22.x). */
export type LambdaHandler = (event: unknown, context: Context, callback: Callback) => unknown;

/** A function registered by a test instead of coming from the catalog. */
export interface ExtraFunction {
  handler: LambdaHandler;
  timeoutSeconds?: number;
  memoryMb?: number;
}

/** The result of `arn:aws:states:::lambda:invoke`, as a task receives it. */
export interface LambdaInvokeResult {
  ExecutedVersion: '$LATEST';
  Payload: unknown;
  SdkHttpMetadata: {
    AllHttpHeaders: Record<string, string[]>;
    HttpHeaders: Record<string, string>;
    HttpStatusCode: 200;
  };
  SdkResponseMetadata: { RequestId: string };
  StatusCode: 200;
}

/**
 * A failed invocation. `name` is the Lambda `errorType` (what Retry/Catch match) and `message` is the
 * `Cause` Step Functions records: the JSON `{"errorType","errorMessage","trace"}` for function errors,
 * the service's text for `Lambda.*` service errors.
 */
export class LambdaInvokeError extends Error {
  constructor(errorType: string, cause: string) {
    super(cause);
    this.name = errorType;
  }
}

/** Local name of a catalog function (`collect-orders` → `dsr-collect-orders`). */
export function localFunctionName(functionId: string): string {
  return `dsr-${functionId}`;
}

/** Local ARN of a function name. */
export function localFunctionArn(functionName: string, region: string): string {
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`;
}

interface RegisteredFunction {
  name: string;
  timeoutSeconds: number;
  memoryMb: number;
  load: () => Promise<LambdaHandler>;
}

/** Options of the runtime. */
export interface LambdaRuntimeOptions {
  region: string;
  /** Catalog to serve (defaults to `FUNCTIONS`). */
  functions?: readonly FunctionSpec[];
  /** Extra functions by name (tests). */
  extraFunctions?: Record<string, LambdaHandler | ExtraFunction>;
  /** Repository root against which catalog `entry` paths resolve. */
  rootDir?: string;
}

const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ARN_PATTERN = /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(?::\$LATEST)?$/;

/** The in-process Lambda service. */
export class LambdaRuntime {
  readonly region: string;
  private readonly functions = new Map<string, RegisteredFunction>();

  constructor(options: LambdaRuntimeOptions) {
    this.region = options.region;
    const rootDir = options.rootDir ?? REPOSITORY_ROOT;
    for (const spec of options.functions ?? FUNCTIONS) {
      const entryUrl = pathToFileURL(resolve(rootDir, spec.entry)).href;
      this.functions.set(localFunctionName(spec.id), {
        name: localFunctionName(spec.id),
        timeoutSeconds: spec.timeoutSeconds,
        memoryMb: spec.memoryMb,
        load: memoise(() => loadHandler(entryUrl, spec.entry)),
      });
    }
    for (const [name, extra] of Object.entries(options.extraFunctions ?? {})) this.register(name, extra);
  }

  /** Registers (or replaces) a function under a name. */
  register(name: string, fn: LambdaHandler | ExtraFunction): void {
    const spec = typeof fn === 'function' ? { handler: fn } : fn;
    this.functions.set(name, {
      name,
      timeoutSeconds: spec.timeoutSeconds ?? 30,
      memoryMb: spec.memoryMb ?? 128,
      load: async () => spec.handler,
    });
  }

  /** Names of every function served. */
  functionNames(): string[] {
    return [...this.functions.keys()].sort();
  }

  /** The unqualified ARN of a served function name. */
  arnOf(functionName: string): string {
    return localFunctionArn(functionName, this.region);
  }

  /**
   * Invokes a function synchronously by name or ARN and returns the `lambda:invoke` result shape.
   * Rejects with `LambdaInvokeError` for function errors, timeouts (`Sandbox.Timedout`) and unknown
   * functions (`Lambda.ResourceNotFoundException`), and with `Lambda.AWSLambdaException` when the calling
   * state machine's role may not invoke it (local IAM).
   */
  async invoke(nameOrArn: string, payload: unknown): Promise<LambdaInvokeResult> {
    const requestId = randomUUID();
    const name = ARN_PATTERN.exec(nameOrArn)?.[1] ?? nameOrArn;
    const fn = this.functions.get(name);
    if (!fn) {
      throw new LambdaInvokeError(
        'Lambda.ResourceNotFoundException',
        `Function not found: ${nameOrArn.startsWith('arn:') ? nameOrArn : this.arnOf(nameOrArn)} (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: ${requestId}; Proxy: null)`,
      );
    }
    const invokedArn = nameOrArn.startsWith('arn:') ? nameOrArn : this.arnOf(fn.name);
    const denial = await invokeDenial(invokedArn);
    if (denial) {
      throw new LambdaInvokeError('Lambda.AWSLambdaException', `${denial} (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: ${requestId}; Proxy: null)`);
    }
    const event = payload === undefined ? {} : jsonCopy(payload);
    const result = await this.run(fn, event, invokedArn, requestId);
    const headers = {
      'Content-Type': 'application/json',
      Date: new Date().toUTCString(),
      'X-Amz-Executed-Version': '$LATEST',
      'x-amzn-RequestId': requestId,
    };
    return {
      ExecutedVersion: '$LATEST',
      Payload: result === undefined ? null : jsonCopy(result),
      SdkHttpMetadata: {
        AllHttpHeaders: Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, [value]])),
        HttpHeaders: headers,
        HttpStatusCode: 200,
      },
      SdkResponseMetadata: { RequestId: requestId },
      StatusCode: 200,
    };
  }

  private async run(fn: RegisteredFunction, event: unknown, invokedArn: string, requestId: string): Promise<unknown> {
    let handler: LambdaHandler;
    try {
      handler = await fn.load();
    } catch (error) {
      throw functionError(error);
    }
    const timeoutMs = fn.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const outcome = new Promise<unknown>((resolvePromise, rejectPromise) => {
      const callback: Callback = (error, result) => (error ? rejectPromise(error) : resolvePromise(result));
      const context: Context = {
        functionName: fn.name,
        functionVersion: '$LATEST',
        invokedFunctionArn: invokedArn,
        memoryLimitInMB: String(fn.memoryMb),
        awsRequestId: requestId,
        logGroupName: `/aws/lambda/${fn.name}`,
        logStreamName: logStreamName(),
        callbackWaitsForEmptyEventLoop: true,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
        done: (error, result) => (error ? rejectPromise(error) : resolvePromise(result)),
        fail: (error) => rejectPromise(typeof error === 'string' ? new Error(error) : error),
        succeed: (result: unknown) => resolvePromise(result),
      };
      try {
        const returned = inInvocationScope(requestId, () => runAs(functionPrincipal(fn.name), () => handler(event, context, callback)));
        if (isThenable(returned)) returned.then(resolvePromise, rejectPromise);
        else if (handler.length < 3) resolvePromise(returned);
      } catch (error) {
        rejectPromise(error);
      }
    });
    const timeout = new Promise<never>((_, rejectPromise) => {
      timer = setTimeout(
        () =>
          rejectPromise(
            new LambdaInvokeError(
              'Sandbox.Timedout',
              JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${requestId} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds` }),
            ),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([outcome, timeout]);
    } catch (error) {
      throw error instanceof LambdaInvokeError ? error : functionError(error);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The error a Lambda function reports: errorType from the thrown error's name, cause as Lambda's JSON. */
function functionError(error: unknown): LambdaInvokeError {
  const errorType = error instanceof Error ? error.name : 'Error';
  const errorMessage = error instanceof Error ? error.message : String(error);
  const trace = error instanceof Error && error.stack ? error.stack.split('\n') : [];
  return new LambdaInvokeError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}

async function loadHandler(entryUrl: string, entry: string): Promise<LambdaHandler> {
  let module: { handler?: unknown };
  try {
    module = (await import(entryUrl)) as { handler?: unknown };
  } catch (error) {
    const importError = new Error(`Cannot load ${entry}: ${error instanceof Error ? error.message : String(error)}`);
    importError.name = 'Runtime.ImportModuleError';
    throw importError;
  }
  if (typeof module.handler !== 'function') {
    const notFound = new Error(`${entry}.handler is undefined or not exported`);
    notFound.name = 'Runtime.HandlerNotFound';
    throw notFound;
  }
  return module.handler as LambdaHandler;
}

function memoise<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    return loaded;
  };
}

function logStreamName(): string {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/** A deep copy through JSON, as the Lambda service serialises events and results. */
export function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
