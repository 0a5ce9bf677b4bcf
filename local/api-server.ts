import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { handler as apiHandler } from '../functions/api/handler';
import { errorResponse, HttpError, MAX_BODY_BYTES } from '../functions/api/router';
import { functionPrincipal, runAs } from './iam-enforcement';
import { inInvocationScope } from './invocation-scope';

/**
 * The local HTTP API: a node http server that stands in for API Gateway. It checks
 * `Authorization: Bearer <token>` (401 missing, 403 wrong; IAM does this in AWS), rejects bodies over
 * 64 KB (413), converts each request into an API Gateway REST proxy event (v1, with a requestContext
 * whose `identity.caller` is `token:<name>`, where AWS has the IAM caller) and runs the same Lambda
 * handler the stack deploys.
 */

/** A handler of API Gateway proxy events. */
export type ApiEventHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Options of `startApiServer`. */
export interface ApiServerOptions {
  /** Port on loopback; 0 picks a free one. */
  port: number;
  /** The bearer token clients must send. */
  token: string;
  /** The token's name, recorded as the calling principal `token:<name>` (default `local`). */
  tokenName?: string;
  /** The handler (default: `functions/api/handler.ts`). */
  handler?: ApiEventHandler;
}

/** A running local API. */
export interface ApiServer {
  url: string;
  close(): Promise<void>;
}

function send(response: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string | number | boolean> = { ...(result.headers ?? {}) };
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values.join(', ');
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '', 'utf8');
  response.writeHead(result.statusCode, { ...headers, 'content-length': body.length });
  response.end(body);
}

function tokenMatches(header: string | undefined, token: string): 'missing' | 'wrong' | 'ok' {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return 'missing';
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'ok' : 'wrong';
}

/** Reads the body up to the limit; resolves undefined when it is larger. */
async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(chunk as Buffer);
  }
  return tooLarge ? undefined : Buffer.concat(chunks).toString('utf8');
}

function lambdaContext(requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'dsr-api',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:dsr-api',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/dsr-api',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Converts a node request into an API Gateway REST proxy event. */
function toEvent(request: IncomingMessage, body: string, requestId: string, caller: string): APIGatewayProxyEvent {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[name] = values.join(', ');
    multiValueHeaders[name] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  const method = (request.method ?? 'GET').toUpperCase();
  return {
    resource: '/{proxy+}',
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: { proxy: url.pathname.replace(/^\//, '') },
    stageVariables: null,
    body: body === '' ? null : body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/local${url.pathname}`,
      stage: 'local',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: '/{proxy+}',
    },
  };
}

/** Starts the local API on loopback. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const handler = options.handler ?? apiHandler;
  const server = createServer((request, response) => {
    const requestId = randomUUID();
    const respond = async (): Promise<APIGatewayProxyResult> => {
      const auth = tokenMatches(request.headers.authorization, options.token);
      if (auth === 'missing') {
        request.resume();
        return errorResponse(new HttpError('unauthorized', 'Authorization: Bearer <token> is required', undefined, { 'www-authenticate': 'Bearer' }));
      }
      if (auth === 'wrong') {
        request.resume();
        return errorResponse(new HttpError('forbidden', 'The bearer token is not valid'));
      }
      const body = await readBody(request);
      if (body === undefined) return errorResponse(new HttpError('payload_too_large', `Request body exceeds ${MAX_BODY_BYTES} bytes`));
      return inInvocationScope(requestId, () => handler(toEvent(request, body, requestId, `token:${options.tokenName ?? 'local'}`), lambdaContext(requestId)));
    };
    runAs(functionPrincipal('dsr-api'), respond).then(
      (result) => send(response, result),
      () => send(response, errorResponse(new HttpError('internal_error', 'Internal error'))),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
