import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import {
  BrandMismatch,
  CustomerErased,
  DownloadNotFound,
  DuplicateRequest,
  InvalidInput,
  InvalidStatusTransition,
  RequestConflict,
  RequestNotFound,
  RequestNotReady,
} from '../core/errors';
import {
  cancelRequest,
  createRequest,
  createRequestBody,
  downloadQuery,
  downloadUrl,
  getRequest,
  listRequests,
  listRequestsQuery,
  requestIdParam,
  type RequestsDeps,
} from '../core/requests';
import { logger } from '../shared/handler';

/**
 * HTTP routing of the request API over API Gateway REST proxy events (v1): matches `/v1/...` routes,
 * validates path, query and body with zod, and maps named errors to status codes with the body
 * `{ error: { code, message, details? } }`. Nothing is written or started for a rejected request.
 */

/** Largest accepted request body in bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

/** One field problem reported with a 400, or a named value (`openRequestId` with a `duplicate_request` 409). */
export interface ErrorDetail {
  field: string;
  message: string;
}

/** A response with an error body; thrown inside routes and rendered by `handleApiEvent`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
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
  throw new HttpError(400, 'invalid_request', `Invalid ${where}: ${details.map((detail) => `${detail.field}: ${detail.message}`).join('; ')}`, details);
}

function parseBody(event: APIGatewayProxyEvent): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new HttpError(413, 'payload_too_large', `Request body exceeds ${MAX_BODY_BYTES} bytes`);
  }
  if (text.trim() === '') throw new HttpError(400, 'invalid_json', 'Request body is empty; a JSON object is required');
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'Request body is not valid JSON');
  }
}

function query(event: APIGatewayProxyEvent): Record<string, string> {
  return Object.fromEntries(Object.entries(event.queryStringParameters ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

type Route = (event: APIGatewayProxyEvent, deps: RequestsDeps, params: string[]) => Promise<APIGatewayProxyResult>;

/** The routes: path pattern → method → route. */
const ROUTES: { pattern: RegExp; methods: Record<string, Route> }[] = [
  {
    pattern: /^\/v1\/requests$/,
    methods: {
      POST: async (event, deps) => {
        const body = parse(createRequestBody, parseBody(event), 'body');
        const { view } = await createRequest(deps, body);
        return json(202, view, { location: `/v1/requests/${view.requestId}` });
      },
      GET: async (event, deps) => json(200, await listRequests(deps, parse(listRequestsQuery, query(event), 'query'))),
    },
  },
  {
    pattern: /^\/v1\/requests\/([^/]+)$/,
    methods: {
      GET: async (_event, deps, [id]) => json(200, await getRequest(deps, parse(requestIdParam, id, 'requestId'))),
      DELETE: async (_event, deps, [id]) => json(202, await cancelRequest(deps, parse(requestIdParam, id, 'requestId'))),
    },
  },
  {
    pattern: /^\/v1\/requests\/([^/]+)\/download$/,
    methods: {
      GET: async (event, deps, [id]) => {
        const requestId = parse(requestIdParam, id, 'requestId');
        const { volume } = parse(downloadQuery, query(event), 'query');
        const url = await downloadUrl(deps, requestId, volume);
        return { statusCode: 303, headers: { location: url, 'cache-control': 'no-store' }, body: '' };
      },
    },
  },
];

/** Maps a core error to its HTTP error (unknown errors propagate as 500). */
function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof RequestNotFound || error instanceof DownloadNotFound) return new HttpError(404, 'not_found', error.message);
  if (error instanceof RequestConflict) return new HttpError(409, 'conflict', error.message);
  if (error instanceof BrandMismatch) return new HttpError(409, 'brand_mismatch', error.message);
  if (error instanceof DuplicateRequest) {
    return new HttpError(409, 'duplicate_request', error.message, [{ field: 'openRequestId', message: error.openRequestId }]);
  }
  if (error instanceof CustomerErased) return new HttpError(410, 'gone', error.message);
  if (error instanceof InvalidStatusTransition) return new HttpError(409, 'invalid_status', error.message);
  if (error instanceof RequestNotReady) return new HttpError(409, 'not_ready', error.message);
  if (error instanceof URIError) return new HttpError(400, 'invalid_request', 'Malformed percent-encoding in the path');
  if (error instanceof InvalidInput) return new HttpError(400, 'invalid_request', error.message);
  return undefined;
}

/** Handles one API Gateway proxy event with the given dependencies. */
export async function handleApiEvent(event: APIGatewayProxyEvent, deps: RequestsDeps): Promise<APIGatewayProxyResult> {
  const path = (event.path || '/').replace(/\/+$/, '') || '/';
  const route = ROUTES.map((candidate) => ({ candidate, match: candidate.pattern.exec(path) })).find(({ match }) => match);
  try {
    if (!route) throw new HttpError(404, 'route_not_found', `No route for ${path}`);
    const method = route.candidate.methods[event.httpMethod.toUpperCase()];
    if (!method) {
      const allow = Object.keys(route.candidate.methods).join(', ');
      throw new HttpError(405, 'method_not_allowed', `Method ${event.httpMethod} is not allowed on ${path}; allowed: ${allow}`, undefined, { allow });
    }
    const params = route.match!.slice(1).map((param) => decodeURIComponent(param ?? ''));
    return await method(event, deps, params);
  } catch (error) {
    const httpError = toHttpError(error);
    if (httpError) return errorResponse(httpError);
    logger.error('api request failed', { errorName: error instanceof Error ? error.name : 'unknown', method: event.httpMethod, path });
    return errorResponse(new HttpError(500, 'internal_error', 'Internal error'));
  }
}
