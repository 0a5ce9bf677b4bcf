import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal HTTP server for the AWS JSON protocols (1.0 and 1.1): one POST per call, the operation in
 * `X-Amz-Target: <prefix>.<Operation>`, a JSON body in and out, errors as `{"__type","message"}` with
 * HTTP 400. The local Step Functions and EventBridge endpoints are built on it so that the real SDK
 * clients talk to them unchanged. Signatures are not checked.
 */

/** A service error the SDK turns into its named exception class (`__type` is the class name). */
export class AwsServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

/** One operation: parsed request body in, JSON-serialisable response out. */
export type AwsJsonOperation = (request: Record<string, unknown>) => unknown;

/** Options of an AWS JSON endpoint. */
export interface AwsJsonServerOptions {
  /** Port to bind on 127.0.0.1; 0 picks a free port. */
  port: number;
  /** Target prefix, e.g. `AWSStepFunctions` or `AWSEvents`. */
  targetPrefix: string;
  /** Response content type, e.g. `application/x-amz-json-1.0`. */
  contentType: string;
  operations: Record<string, AwsJsonOperation>;
  /** Called for unexpected (non-service) errors, which are answered as HTTP 500. */
  onInternalError?: (operation: string, error: unknown) => void;
}

/** A running endpoint. */
export interface AwsJsonServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Epoch seconds (the AWS JSON timestamp format) of an epoch-milliseconds time. */
export function epochSeconds(ms: number): number {
  return ms / 1000;
}

/** Starts an AWS JSON protocol endpoint on loopback. */
export async function startAwsJsonServer(options: AwsJsonServerOptions): Promise<AwsJsonServer> {
  const server = createServer((request, response) => {
    void handle(options, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handle(options: AwsJsonServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const target = String(request.headers['x-amz-target'] ?? '');
  const operationName = target.startsWith(`${options.targetPrefix}.`) ? target.slice(options.targetPrefix.length + 1) : '';
  try {
    const body = await readBody(request);
    const operation = Object.hasOwn(options.operations, operationName) ? options.operations[operationName] : undefined;
    if (request.method !== 'POST' || !operation) {
      throw new AwsServiceError('UnknownOperationException', `Operation "${target}" is not supported by the local endpoint`);
    }
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body);
    } catch {
      throw new AwsServiceError('SerializationException', 'Request body is not valid JSON');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new AwsServiceError('SerializationException', 'Request body must be a JSON object');
    }
    const result = await operation(input as Record<string, unknown>);
    send(response, 200, options.contentType, requestId, result ?? {});
  } catch (error) {
    if (error instanceof AwsServiceError) {
      send(response, error.statusCode, options.contentType, requestId, { __type: error.type, message: error.message });
    } else {
      options.onInternalError?.(operationName, error);
      send(response, 500, options.contentType, requestId, { __type: 'InternalFailure', message: 'Internal error in the local endpoint' });
    }
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, contentType: string, requestId: string, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
  });
  response.end(text);
}
