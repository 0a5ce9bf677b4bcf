import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { Ajv } from 'ajv';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { handleApiEvent } from '../../functions/api/router';
import { createRequestBody, ERROR_CODES, requestSchema } from '../../functions/core/api-contract';
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
} from '../../functions/core/errors';
import type { RequestsDeps, RequestView } from '../../functions/core/requests';
import { gatewayModelSchema } from '../../infra/api';
import { OPENAPI_FILE, renderOpenApiYaml } from '../../scripts/openapi';
import { OPENAPI, validateErrorBody, validateResponse } from './helpers/openapi';

/** The API contract: the checked-in document is the generated one, the handler speaks its vocabulary, the gateway model is its schema. */

const DOCUMENT_CODES = (OPENAPI as unknown as { components: { schemas: { ErrorCode: { enum: string[]; 'x-error-statuses': Record<string, number> } } } }).components.schemas.ErrorCode;

/** A proxy event for the handler. */
function event(method: string, path: string): APIGatewayProxyEvent {
  return { httpMethod: method, path, headers: {}, queryStringParameters: null, body: null, isBase64Encoded: false } as unknown as APIGatewayProxyEvent;
}

/** Dependencies whose ledger read throws `error`. */
function failingDeps(error: Error): RequestsDeps {
  return { ledger: { get: async () => Promise.reject(error) } } as unknown as RequestsDeps;
}

describe('API contract', () => {
  it('docs/openapi.yaml is the document generated from the contract (run `npm run openapi` when this fails)', () => {
    // Act
    const generated = renderOpenApiYaml();

    // Assert
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(generated);
  });

  it('GET /v1/openapi.json serves the document', async () => {
    // Act
    const response = await handleApiEvent(event('GET', '/v1/openapi.json'), {} as RequestsDeps);

    // Assert
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual(OPENAPI);
    expect(validateResponse('/v1/openapi.json', 'get', 200, JSON.parse(response.body))).toBe('');
  });

  it('lists every error code of the contract with its status in the document', () => {
    // Assert
    expect(DOCUMENT_CODES['x-error-statuses']).toEqual(Object.fromEntries(Object.entries(ERROR_CODES).map(([code, entry]) => [code, entry.status])));
    expect(DOCUMENT_CODES.enum).toEqual(Object.keys(ERROR_CODES));
  });

  it.each([
    new RequestNotFound('r'),
    new DownloadNotFound('d'),
    new RequestConflict('c'),
    new BrandMismatch('b'),
    new DuplicateRequest('d', 'open-1'),
    new CustomerErased('e'),
    new InvalidStatusTransition('s'),
    new RequestNotReady('n'),
    new InvalidInput('i'),
    new URIError('u'),
    new Error('unexpected'),
  ])('the handler answers %s with a documented code and that code\'s status', async (error) => {
    // Act
    const response = await handleApiEvent(event('GET', '/v1/requests/r1'), failingDeps(error));
    const body = JSON.parse(response.body);

    // Assert
    expect(validateErrorBody(body)).toBe('');
    expect(DOCUMENT_CODES.enum).toContain(body.error.code);
    expect(response.statusCode).toBe(DOCUMENT_CODES['x-error-statuses'][body.error.code]);
  });

  it.each([
    ['unknown route', 'GET', '/v2/nothing', 'route_not_found'],
    ['wrong method', 'PUT', '/v1/requests', 'method_not_allowed'],
    ['malformed id', 'GET', '/v1/requests/a%20b', 'invalid_request'],
  ])('the handler answers a %s with a documented code and that code\'s status', async (_case, method, path, code) => {
    // Act
    const response = await handleApiEvent(event(method, path), {} as RequestsDeps);
    const body = JSON.parse(response.body);

    // Assert
    expect(body.error.code).toBe(code);
    expect(validateErrorBody(body)).toBe('');
    expect(response.statusCode).toBe(DOCUMENT_CODES['x-error-statuses'][code]);
  });

  it('the request view the core returns is the Request schema of the contract (checked by tsc)', () => {
    // Assert
    expectTypeOf<RequestView>().toExtend<z.output<typeof requestSchema>>();
    expectTypeOf<z.output<typeof requestSchema>>().toExtend<RequestView>();
  });

  it('the gateway model is draft 4 and accepts and rejects what the handler\'s schema does', () => {
    // Arrange
    const { $schema, ...model } = gatewayModelSchema(createRequestBody) as Record<string, unknown>;
    const validate = new Ajv({ strict: false }).compile(model);
    const bodies = [
      { type: 'export', customerId: 'c1', brand: 'albelli' },
      { type: 'erasure', customerId: 'c1', brand: 'resnap', requestId: '7d444840-9dc0-11d1-b245-5ffdce74fad2', verification: { method: 'id-document', verifiedBy: 'agent', verifiedAt: '2026-01-01T09:00:00Z' }, callbackUrl: 'https://x.example/cb' },
      { type: 'export', customerId: 'c1' },
      { type: 'rectification', customerId: 'c1', brand: 'albelli' },
      { type: 'export', customerId: 'c1/..', brand: 'albelli' },
      { type: 'export', customerId: 'c1', brand: 'albelli', requestId: 'abc' },
      { type: 'export', customerId: 'c1', brand: 'albelli', callbackUrl: 'http://x.example/cb' },
      { type: 'export', customerId: 'c1', brand: 'albelli', extra: 1 },
      [1],
    ];

    // Act
    const verdicts = bodies.map((body) => [validate(body), createRequestBody.safeParse(body).success]);

    // Assert
    expect($schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(JSON.stringify(model)).not.toMatch(/"(const|\$defs|\$ref|format":"uuid)"/);
    expect(verdicts).toEqual(bodies.map((_, index) => (index < 2 ? [true, true] : [false, false])));
  });
});
