import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import {
  createRequestBody,
  denyRequestBody,
  extendRequestBody,
  listRequestsQuery,
  processingCheckQuery,
  suppressionCheckBody,
  type CreateRequestBody,
  type DenyRequestBody,
  type ExtendRequestBody,
  type ProcessingCheckQuery,
  type SuppressionCheckBody,
} from '../functions/core/api-contract';
import type { SuppressionAnswer } from '../functions/core/erasure/suppression';
import type { ProcessingAnswer } from '../functions/core/processing/check';
import type { RequestView } from '../functions/core/requests';
import { readEndpoints, withAwsOptions, type AwsOptions } from './aws';

/**
 * The request API as `dsr` commands use it: the local API from `<data-dir>/endpoints.json` (bearer
 * token from that file, overridable by `DSR_LOCAL_TOKEN`) or another one given with `--api URL`; with
 * `--aws` every call is signed with SigV4 (service `execute-api`) from the standard credential chain, as
 * the deployed API's IAM authorization requires.
 */

/** Options of commands that talk to the API. */
export interface ApiOptions extends AwsOptions {
  api?: string;
}

/** An error answer of the API. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${message} (HTTP ${status} ${code})`);
    this.name = 'ApiError';
  }
}

/** Adds `--api <url>` plus the AWS connection options to a command. */
export function withApiOptions(command: Command): Command {
  return withAwsOptions(command.addOption(new Option('--api <url>', 'base URL of the request API (default: the local one)').env('DSR_API_URL')));
}

/** A small client of `/v1/requests`. */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string | undefined,
    private readonly signer?: SignatureV4,
  ) {}

  /** Builds the client from the command options. */
  static async fromOptions(options: ApiOptions): Promise<ApiClient> {
    const token = process.env.DSR_LOCAL_TOKEN;
    if (options.aws) {
      if (!options.api) throw new Error('--aws needs --api <url> (the deployed API\'s base URL)');
      const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
      if (!region) throw new Error('--aws needs AWS_REGION');
      const signer = new SignatureV4({ service: 'execute-api', region, credentials: defaultProvider(), sha256: Hash.bind(null, 'sha256') });
      return new ApiClient(options.api, undefined, signer);
    }
    if (options.api) return new ApiClient(options.api, token);
    const endpoints = await readEndpoints(options.dataDir);
    if (!endpoints.api) throw new Error('endpoints.json has no API URL: is `npm start` running? (or pass --api URL)');
    return new ApiClient(endpoints.api, token || endpoints.token);
  }

  /** The headers of a call: bearer token locally, a SigV4 signature with `--aws`. */
  private async headers(method: string, url: URL, body: string | undefined): Promise<Record<string, string>> {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (!this.signer) return this.token ? { ...headers, authorization: `Bearer ${this.token}` } : headers;
    const signed = await this.signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...headers, host: url.host },
      body,
    });
    return signed.headers;
  }

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    const url = new URL(path.replace(/^\//, ''), this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers = await this.headers(method, url, text);
    const response = await fetch(url, { method, redirect: 'manual', headers, body: text }).catch((error: unknown) => {
      throw new Error(`cannot reach the request API at ${url.origin} (${describeFetchError(error)}); is \`npm start\` running?`);
    });
    if (response.status >= 400) {
      const text = await response.text();
      let code = 'error';
      let message = text || response.statusText;
      try {
        const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
        code = parsed.error?.code ?? code;
        message = parsed.error?.message ?? message;
      } catch {
        // not a JSON error body
      }
      throw new ApiError(response.status, code, message);
    }
    return response;
  }

  /** POST /v1/requests with a body checked against the API contract first (nothing is sent when it is invalid). */
  async create(body: CreateRequestBody): Promise<RequestView> {
    return (await this.call('POST', '/v1/requests', contractValue(createRequestBody, body, 'request body'))).json() as Promise<RequestView>;
  }

  /** GET /v1/requests/{id}. */
  async get(requestId: string): Promise<RequestView> {
    return (await this.call('GET', `/v1/requests/${encodeURIComponent(requestId)}`)).json() as Promise<RequestView>;
  }

  /** DELETE /v1/requests/{id}. */
  async cancel(requestId: string): Promise<RequestView> {
    return (await this.call('DELETE', `/v1/requests/${encodeURIComponent(requestId)}`)).json() as Promise<RequestView>;
  }

  /** POST /v1/requests/{id}/extension with a body checked against the API contract first. */
  async extend(requestId: string, body: ExtendRequestBody): Promise<RequestView> {
    return (await this.call('POST', `/v1/requests/${encodeURIComponent(requestId)}/extension`, contractValue(extendRequestBody, body, 'extension'))).json() as Promise<RequestView>;
  }

  /** POST /v1/requests/{id}/denial with a body checked against the API contract first. */
  async deny(requestId: string, body: DenyRequestBody): Promise<RequestView> {
    return (await this.call('POST', `/v1/requests/${encodeURIComponent(requestId)}/denial`, contractValue(denyRequestBody, body, 'denial'))).json() as Promise<RequestView>;
  }

  /** POST /v1/requests/{id}/notifications/{recipient}/ack: a recipient acknowledged its Art. 19 notification. */
  async acknowledge(requestId: string, recipient: string): Promise<RequestView> {
    return (await this.call('POST', `/v1/requests/${encodeURIComponent(requestId)}/notifications/${encodeURIComponent(recipient)}/ack`)).json() as Promise<RequestView>;
  }

  /** POST /v1/checks/suppression with a body checked against the API contract first: which emails and phones are suppressed. */
  async checkSuppression(body: SuppressionCheckBody): Promise<{ results: SuppressionAnswer[] }> {
    return (await this.call('POST', '/v1/checks/suppression', contractValue(suppressionCheckBody, body, 'suppression check'))).json() as Promise<{ results: SuppressionAnswer[] }>;
  }

  /** GET /v1/checks/processing with a query checked against the API contract first: whether a purpose is allowed. */
  async checkProcessing(query: ProcessingCheckQuery): Promise<ProcessingAnswer> {
    const checked = contractValue(processingCheckQuery, query, 'processing check');
    return (await this.call('GET', `/v1/checks/processing?${new URLSearchParams(checked)}`)).json() as Promise<ProcessingAnswer>;
  }

  /** Every page of GET /v1/requests with the given filters (checked against the API contract's query first). */
  async list(filters: Record<string, string | undefined>): Promise<RequestView[]> {
    const items: RequestView[] = [];
    let nextToken: string | undefined;
    do {
      const checked = contractValue(listRequestsQuery, { ...filters, limit: 100, nextToken }, 'list query');
      const query = new URLSearchParams(Object.entries(checked).filter((entry): entry is [string, string | number] => entry[1] !== undefined).map(([name, value]): [string, string] => [name, String(value)]));
      const page = (await (await this.call('GET', `/v1/requests?${query}`)).json()) as { items: RequestView[]; nextToken?: string };
      items.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken);
    return items;
  }

  /** Follows GET /v1/requests/{id}/download?volume=N to the presigned URL and streams the volume to `file`. */
  async download(requestId: string, volume: number, file: string): Promise<void> {
    const redirect = await this.call('GET', `/v1/requests/${encodeURIComponent(requestId)}/download?volume=${volume}`);
    const location = redirect.headers.get('location');
    if (redirect.status !== 303 || !location) throw new Error(`Expected a 303 redirect for volume ${volume}, got HTTP ${redirect.status}`);
    const response = await fetch(location);
    if (!response.ok || !response.body) throw new Error(`Downloading volume ${volume} failed: HTTP ${response.status}`);
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(file));
  }
}

/** The value parsed by a schema of the API contract; an error naming every invalid field otherwise. */
function contractValue<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`invalid ${what}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The underlying reason of a failed fetch (e.g. `ECONNREFUSED`), which undici hides behind "fetch failed". */
function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
