import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { Ajv } from 'ajv';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import type { z } from 'zod';
import { handleApiEvent } from '../../functions/api/router';
import {
  createRequestBody,
  denyRequestBody,
  downloadQuery,
  ERROR_CODES,
  extendRequestBody,
  listRequestsQuery,
  processingCheckQuery,
  recipientIdParam,
  requestIdParam,
  requestSchema,
  suppressionCheckBody,
  verificationSchema,
} from '../../functions/core/api-contract';
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
import { GATEWAY_ERROR_CODES, gatewayModelSchema } from '../../infra/api';
import { OPENAPI_FILE, renderOpenApiYaml } from '../../scripts/openapi';
import { OPENAPI, validateErrorBody, validateResponse } from './helpers/openapi';
import { restoredAfterEach } from './helpers/replacements';

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

/** The problems of a refused value as `[path, message]` pairs (what the handler lists in `details`), or the parsed value. */
function outcome(result: z.ZodSafeParseResult<unknown>): unknown {
  return result.success ? { parsed: result.data } : result.error.issues.map((issue) => [issue.path.join('.'), issue.message]);
}

/** `count` distinct entries made by `make`. */
function many(count: number, make: (index: number) => string): string[] {
  return Array.from({ length: count }, (_, index) => make(index));
}

describe('API contract: what the schemas accept and the reasons they give (not visible in docs/openapi.yaml)', () => {
  const replacements = restoredAfterEach();
  const NOW = Date.parse('2026-03-10T12:00:00.000Z');
  const verified = (verifiedAt: string) => verificationSchema.safeParse({ method: 'email-code', verifiedBy: 'portal', verifiedAt });

  it('accepts a verification up to 5 minutes ahead of the clock and refuses one later as in the future; an unparseable time gets the datetime problem alone', () => {
    // Arrange
    replacements.replace(
      () => {
        vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
      },
      () => {
        vi.useRealTimers();
      },
    );

    // Act
    const atTheLimit = verified('2026-03-10T12:05:00.000Z');
    const pastTheLimit = verified('2026-03-10T12:05:00.001Z');
    const withOffset = verified('2026-03-10T13:04:59+01:00');
    const earlier = verified('2026-03-01T08:00:00Z');
    const unparseable = verified('yesterday');

    // Assert
    expect(atTheLimit.success).toBe(true);
    expect(withOffset.success).toBe(true);
    expect(earlier.success).toBe(true);
    expect(outcome(pastTheLimit)).toEqual([['verifiedAt', 'must not be in the future']]);
    expect(unparseable.success).toBe(false);
    expect(unparseable.error!.issues.map((issue) => [issue.path.join('.'), issue.code])).toEqual([['verifiedAt', 'invalid_format']]);
  });

  it('names what is wrong with a create body\'s customer id, callback URL, locale and type', () => {
    // Act
    const badFields = createRequestBody.safeParse({ type: 'export', customerId: 'c 1', brand: 'albelli', callbackUrl: 'http://portal.example/cb', locale: 'xx' });
    const badType = createRequestBody.safeParse({ type: 'copy', customerId: 'c1', brand: 'albelli' });
    const notAUrl = createRequestBody.safeParse({ type: 'export', customerId: 'c1', brand: 'albelli', callbackUrl: 'https://portal example/cb' });
    const good = createRequestBody.safeParse({ type: 'export', customerId: 'c1', brand: 'albelli', callbackUrl: 'https://portal.example/cb', locale: 'nl-BE' });

    // Assert
    const problems = outcome(badFields) as [string, string][];
    expect(new Map(problems)).toEqual(
      new Map([
        ['customerId', 'must be 1-64 letters, digits, "-" or "_"'],
        ['callbackUrl', 'must be an https URL'],
        ['locale', 'must be one of nl, nl-NL, nl-BE, de, de-DE, de-BE, fr, fr-BE, nb, nb-NO, sv, sv-SE, en, en-GB'],
      ]),
    );
    expect(problems.filter(([field]) => field === 'callbackUrl').every(([, message]) => message === 'must be an https URL')).toBe(true);
    expect(outcome(notAUrl)).toEqual([['callbackUrl', 'must be an https URL']]);
    expect(outcome(badType)).toEqual([['type', 'must be one of export, erasure, restriction, objection, rectification, consent-withdrawal']]);
    expect(outcome(good)).toEqual({ parsed: { type: 'export', customerId: 'c1', brand: 'albelli', callbackUrl: 'https://portal.example/cb', locale: 'nl-BE' } });
  });

  it('accepts a consent withdrawal only for a brand that offers the service, naming the rule at the brand', () => {
    // Act
    const offered = createRequestBody.safeParse({ type: 'consent-withdrawal', customerId: 'c1', brand: 'onskefoto', service: 'photo-library' });
    const notOffered = createRequestBody.safeParse({ type: 'consent-withdrawal', customerId: 'c1', brand: 'albelli', service: 'photo-library' });
    const unknownService = createRequestBody.safeParse({ type: 'consent-withdrawal', customerId: 'c1', brand: 'albelli', service: 'prints' });

    // Assert
    expect(outcome(offered)).toEqual({ parsed: { type: 'consent-withdrawal', customerId: 'c1', brand: 'onskefoto', service: 'photo-library' } });
    expect(outcome(notOffered)).toEqual([
      ['brand', 'the photo-library service is offered only by fotoknudsen and onskefoto (its store\'s brands in the data map), so only their customers can withdraw consent for it'],
    ]);
    expect(outcome(unknownService)).toEqual([['service', 'must be one of photo-library']]);
  });

  it('takes a suppression check of 1 to 1,000 emails and phones together, and names the longer list when there are more', () => {
    // Arrange
    const emails = (count: number) => many(count, (index) => `c${index}@example.com`);
    const phones = (count: number) => many(count, (index) => `+31 6 ${10_000_000 + index}`);

    // Act
    const verdicts = {
      nothing: outcome(suppressionCheckBody.safeParse({})),
      emptyLists: outcome(suppressionCheckBody.safeParse({ emails: [], phones: [] })),
      onlyPhones: outcome(suppressionCheckBody.safeParse({ phones: ['0031 6-1234.5678'] })),
      onlyEmails: outcome(suppressionCheckBody.safeParse({ emails: ['a@b.example'] })),
      thousand: suppressionCheckBody.safeParse({ emails: emails(500), phones: phones(500) }).success,
      moreEmails: outcome(suppressionCheckBody.safeParse({ emails: emails(501), phones: phones(500) })),
      morePhones: outcome(suppressionCheckBody.safeParse({ emails: emails(500), phones: phones(501) })),
      asMany: outcome(suppressionCheckBody.safeParse({ emails: emails(600), phones: phones(600) })),
      tooManyEmails: outcome(suppressionCheckBody.safeParse({ emails: emails(1001) })),
      tooManyPhones: outcome(suppressionCheckBody.safeParse({ phones: phones(1001) })),
      malformed: outcome(suppressionCheckBody.safeParse({ emails: ['someone.example.com'], phones: ['call me'] })),
    };
    const kinds = [{}, { emails: emails(501), phones: phones(500) }].map((body) => suppressionCheckBody.safeParse(body).error?.issues.map((issue) => issue.code));

    // Assert
    expect(verdicts).toEqual({
      nothing: [['emails', 'give at least one email or phone']],
      emptyLists: [['emails', 'give at least one email or phone']],
      onlyPhones: { parsed: { phones: ['0031 6-1234.5678'] } },
      onlyEmails: { parsed: { emails: ['a@b.example'] } },
      thousand: true,
      moreEmails: [['emails', 'emails and phones together must hold at most 1000 entries (got 1001)']],
      morePhones: [['phones', 'emails and phones together must hold at most 1000 entries (got 1001)']],
      asMany: [['emails', 'emails and phones together must hold at most 1000 entries (got 1200)']],
      tooManyEmails: [['emails', 'must hold at most 1000 entries']],
      tooManyPhones: [['phones', 'must hold at most 1000 entries']],
      malformed: [
        ['emails.0', 'must be an email address'],
        ['phones.0', 'must be a phone number (digits, spaces, + ( ) . / -)'],
      ],
    });
    expect(kinds).toEqual([['custom'], ['custom']]);
  });

  it('trims an extension or denial note, refuses a blank one, and lists the reasons a refused reason may be', () => {
    // Act
    const extended = extendRequestBody.safeParse({ reason: 'complexity', note: '  two stores to search  ' });
    const blankNote = extendRequestBody.safeParse({ reason: 'complexity', note: '   ' });
    const badExtension = extendRequestBody.safeParse({ reason: 'busy' });
    const denied = denyRequestBody.safeParse({ reason: 'excessive', note: ' third request this month\n' });
    const badDenial = denyRequestBody.safeParse({ reason: 'busy', note: 'n' });

    // Assert
    expect(outcome(extended)).toEqual({ parsed: { reason: 'complexity', note: 'two stores to search' } });
    expect(blankNote.success).toBe(false);
    expect(blankNote.error!.issues.map((issue) => [issue.path.join('.'), issue.code])).toEqual([['note', 'too_small']]);
    expect(outcome(badExtension)).toEqual([['reason', 'must be one of complexity, number-of-requests, identity-verification-pending, third-party-data, large-data-volume']]);
    expect(outcome(denied)).toEqual({ parsed: { reason: 'excessive', note: 'third request this month' } });
    expect(outcome(badDenial)).toEqual([['reason', 'must be one of identity-not-verified, manifestly-unfounded, excessive']]);
  });

  it('reads query numbers from their text with their defaults, and names what a path parameter or purpose may be', () => {
    // Assert
    expect(outcome(listRequestsQuery.safeParse({ limit: '7', overdue: 'true' }))).toEqual({ parsed: { limit: 7, overdue: 'true' } });
    expect(outcome(listRequestsQuery.safeParse({}))).toEqual({ parsed: { limit: 25 } });
    expect(outcome(downloadQuery.safeParse({ volume: '3' }))).toEqual({ parsed: { volume: 3 } });
    expect(outcome(downloadQuery.safeParse({}))).toEqual({ parsed: { volume: 1 } });
    expect(outcome(requestIdParam.safeParse('r 1'))).toEqual([['', 'must be 1-128 letters, digits, "-" or "_"']]);
    expect(outcome(recipientIdParam.safeParse('Print-Partner'))).toEqual([['', 'must be 1-64 lower-case letters, digits or "-"']]);
    expect(outcome(processingCheckQuery.safeParse({ customerId: 'c1', purpose: 'profiling' }))).toEqual([['purpose', 'must be one of marketing, smart-creation']]);
  });

  it('names as the sources of each error code exactly the handler, local server and gateway code that answer it', () => {
    // Arrange: the codes each answers, read from where they are produced
    const produced = (file: string) => new Set([...readFileSync(new URL(file, import.meta.url), 'utf8').matchAll(/new HttpError\('([a-z_]+)'/g)].map(([, code]) => code));
    const handler = produced('../../functions/api/router.ts');
    for (const reason of ['already_extended', 'past_due', 'not_extendable']) handler.add(reason); // `new HttpError(error.reason, …)` of an ExtensionRefused
    const answeredBy = { handler, local: produced('../../local/api-server.ts'), gateway: new Set<string>(Object.values(GATEWAY_ERROR_CODES)) };

    // Act
    const declared = Object.fromEntries(Object.entries(ERROR_CODES).map(([code, entry]) => [code, [...entry.sources].sort()]));
    const actual = Object.fromEntries(
      Object.keys(ERROR_CODES).map((code) => [code, Object.entries(answeredBy).filter(([, codes]) => codes.has(code)).map(([source]) => source).sort()]),
    );

    // Assert
    expect(handler.size).toBeGreaterThan(10);
    expect(declared).toEqual(actual);
  });
});
