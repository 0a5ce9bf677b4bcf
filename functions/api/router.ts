import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import { API_OPERATIONS, ERROR_CODES, type ApiOperation, type ErrorCode, type ErrorDetail, type OperationId } from '../core/api-contract';
import {
  BrandMismatch,
  CustomerErased,
  DownloadNotFound,
  DuplicateRequest,
  EventsUnavailable,
  ExtensionRefused,
  InvalidInput,
  InvalidStatusTransition,
  NotificationNotFound,
  RequestConflict,
  RequestNotFound,
  RequestNotReady,
  StoreUnavailable,
} from '../core/errors';
import { denyRequest, extendRequest } from '../core/lifecycle';
import { acknowledgeNotification } from '../core/notification-ledger';
import { cancelRequest, createRequest, downloadUrl, getRequest, listRequests, toView, type RequestsDeps } from '../core/requests';
import { suppressionOf } from '../core/erasure/suppression';
import { checkProcessing } from '../core/processing/check';
import { logger } from '../shared/handler';
import { openApiDocument } from './openapi';

/**
 * HTTP routing of the request API over API Gateway REST proxy events (v1): matches the contract's
 * operations (`API_OPERATIONS`), validates path, query and body with their zod schemas, runs the
 * operation's implementation, and maps named errors to the contract's error codes with the body
 * `{ error: { code, message, details? } }`. Nothing is written or started for a rejected request.
 */

/** Largest accepted request body in bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

/** A response with an error body (status from the code's entry in `ERROR_CODES`); thrown inside routes and rendered by `handleApiEvent`. */
export class HttpError extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = ERROR_CODES[code].status;
  }
}

/** A JSON response. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** The error response for an `HttpError`. */
export function errorResponse(error: HttpError): APIGatewayProxyResult {
  const body = { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
  return json(error.statusCode, body, error.headers);
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join('.') : (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : where),
    message: issue.message,
  }));
  throw new HttpError('invalid_request', `Invalid ${where}: ${details.map((detail) => `${detail.field}: ${detail.message}`).join('; ')}`, details);
}

function parseBody(event: APIGatewayProxyEvent): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new HttpError('payload_too_large', `Request body exceeds ${MAX_BODY_BYTES} bytes`);
  }
  if (text.trim() === '') throw new HttpError('invalid_json', 'Request body is empty; a JSON object is required');
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError('invalid_json', 'Request body is not valid JSON');
  }
}

function query(event: APIGatewayProxyEvent): Record<string, string> {
  return Object.fromEntries(Object.entries(event.queryStringParameters ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** The validated input of an operation: its path parameters, query and body as its schemas parse them. */
type OperationInput<Operation extends ApiOperation> = {
  params: Operation extends { params: infer Params extends Record<string, z.ZodType> } ? { [Name in keyof Params]: z.infer<Params[Name]> } : Record<string, never>;
  query: Operation extends { query: infer Query extends z.ZodType } ? z.infer<Query> : Record<string, never>;
  body: Operation extends { body: infer Body extends z.ZodType } ? z.infer<Body> : undefined;
};

/** Who calls: the principal recorded on what the call creates or changes. */
interface CallContext {
  caller: string;
}

/** The implementation of one operation. */
type Implementation<Operation extends ApiOperation> = (input: OperationInput<Operation>, deps: RequestsDeps, call: CallContext) => Promise<APIGatewayProxyResult>;

/**
 * The calling principal of an event: with IAM authorization the caller's ARN (`userArn`), else its
 * `caller` id (locally `token:<name>`, set by local/api-server.ts); `unknown` when neither is there.
 */
export function callerOf(event: APIGatewayProxyEvent): string {
  const identity = event.requestContext?.identity;
  return identity?.userArn || identity?.caller || 'unknown';
}

/** The route table: one implementation per contract operation (the compiler demands every one). */
const IMPLEMENTATIONS: { [Id in OperationId]: Implementation<(typeof API_OPERATIONS)[Id]> } = {
  createRequest: async ({ body }, deps, { caller }) => {
    const { view } = await createRequest(deps, body, caller);
    return json(202, view, { location: `/v1/requests/${view.requestId}` });
  },
  listRequests: async ({ query }, deps) => json(200, await listRequests(deps, query)),
  getRequest: async ({ params }, deps) => json(200, await getRequest(deps, params.requestId)),
  cancelRequest: async ({ params }, deps) => json(202, await cancelRequest(deps, params.requestId)),
  extendRequest: async ({ params, body }, deps, { caller }) => json(200, toView(await extendRequest(deps, params.requestId, { ...body, extendedBy: caller }))),
  denyRequest: async ({ params, body }, deps, { caller }) => json(200, toView(await denyRequest(deps, params.requestId, { ...body, deniedBy: caller }, deps.now))),
  acknowledgeNotification: async ({ params }, deps) => {
    await acknowledgeNotification(deps.ledger.table(), params.requestId, params.recipient);
    return json(200, await getRequest(deps, params.requestId));
  },
  downloadExport: async ({ params, query }, deps) => {
    const url = await downloadUrl(deps, params.requestId, query.volume);
    return { statusCode: 303, headers: { location: url, 'cache-control': 'no-store' }, body: '' };
  },
  checkSuppression: async ({ body }, deps) => json(200, { results: await suppressionOf(deps.doc, body, deps.env) }),
  checkProcessing: async ({ query }, deps) => json(200, await checkProcessing({ doc: deps.doc, env: deps.env }, deps.customerKey(query.customerId), query.purpose)),
  getOpenApi: async () => json(200, openApiDocument()),
};

/** A contract path template as a matcher: `/v1/requests/{requestId}` → its regex and parameter names. */
interface PathRoute {
  pattern: RegExp;
  names: string[];
  methods: Record<string, { operation: ApiOperation; run: Implementation<ApiOperation> }>;
}

/** The routes by path template, in contract order. */
const ROUTES: PathRoute[] = (() => {
  const byPath = new Map<string, PathRoute>();
  for (const [id, operation] of Object.entries(API_OPERATIONS) as [OperationId, ApiOperation][]) {
    let route = byPath.get(operation.path);
    if (!route) {
      const names: string[] = [];
      const source = operation.path
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const name = /^\{([^}]+)\}$/.exec(part)?.[1];
          if (!name) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
          names.push(name);
          return '([^/]+)';
        })
        .join('');
      route = { pattern: new RegExp(`^${source}$`), names, methods: {} };
      byPath.set(operation.path, route);
    }
    route.methods[operation.method] = { operation, run: IMPLEMENTATIONS[id] as Implementation<ApiOperation> };
  }
  return [...byPath.values()];
})();

/** Validates an event against an operation's schemas (path parameters, then query, then body). */
function operationInput(operation: ApiOperation, event: APIGatewayProxyEvent, values: string[], names: string[]): OperationInput<ApiOperation> {
  const params = Object.fromEntries(
    names.map((name, index) => {
      const schema = operation.params?.[name];
      if (!schema) throw new Error(`The contract declares no schema for {${name}} of ${operation.path}`);
      return [name, parse(schema, values[index], name)];
    }),
  );
  return {
    params,
    query: operation.query ? parse(operation.query, query(event), 'query') : {},
    body: operation.body ? parse(operation.body, parseBody(event), 'body') : undefined,
  } as OperationInput<ApiOperation>;
}

/** Maps a core error to its HTTP error (unknown errors propagate as 500). */
function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof RequestNotFound || error instanceof DownloadNotFound || error instanceof NotificationNotFound) return new HttpError('not_found', error.message);
  if (error instanceof RequestConflict) return new HttpError('conflict', error.message);
  if (error instanceof BrandMismatch) return new HttpError('brand_mismatch', error.message);
  if (error instanceof DuplicateRequest) return new HttpError('duplicate_request', error.message, [{ field: 'openRequestId', message: error.openRequestId }]);
  if (error instanceof CustomerErased) return new HttpError('gone', error.message);
  if (error instanceof InvalidStatusTransition) return new HttpError('invalid_status', error.message);
  if (error instanceof ExtensionRefused) return new HttpError(error.reason, error.message);
  if (error instanceof RequestNotReady) return new HttpError('not_ready', error.message);
  if (error instanceof URIError) return new HttpError('invalid_request', 'Malformed percent-encoding in the path');
  if (error instanceof InvalidInput) return new HttpError('invalid_request', error.message);
  if (error instanceof StoreUnavailable || error instanceof EventsUnavailable) return new HttpError('unavailable', 'A store or the event bus is briefly unavailable; retry the request');
  return undefined;
}

/** Handles one API Gateway proxy event with the given dependencies. */
export async function handleApiEvent(event: APIGatewayProxyEvent, deps: RequestsDeps): Promise<APIGatewayProxyResult> {
  const path = (event.path || '/').replace(/\/+$/, '') || '/';
  const route = ROUTES.map((candidate) => ({ candidate, match: candidate.pattern.exec(path) })).find(({ match }) => match);
  try {
    if (!route) throw new HttpError('route_not_found', `No route for ${path}`);
    const method = route.candidate.methods[event.httpMethod.toUpperCase()];
    if (!method) {
      const allow = Object.keys(route.candidate.methods).join(', ');
      throw new HttpError('method_not_allowed', `Method ${event.httpMethod} is not allowed on ${path}; allowed: ${allow}`, undefined, { allow });
    }
    const values = route.match!.slice(1).map((value) => decodeURIComponent(value ?? ''));
    return await method.run(operationInput(method.operation, event, values, route.candidate.names), deps, { caller: callerOf(event) });
  } catch (error) {
    const httpError = toHttpError(error);
    if (httpError) return errorResponse(httpError);
    logger.error('api request failed', { errorName: error instanceof Error ? error.name : 'unknown', method: event.httpMethod, path });
    return errorResponse(new HttpError('internal_error', 'Internal error'));
  }
}
