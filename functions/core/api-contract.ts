import { z } from 'zod';
import { BRANDS } from './brands';
import { CUSTOMER_ID_PATTERN } from './data-map';
import { REQUEST_STATUSES, REQUEST_TYPES, STORE_PHASES, STORE_STEP_STATUSES, type RequestType } from './ledger';
import { DENIAL_REASONS, EXTENSION_REASONS, MAX_NOTE_LENGTH } from './lifecycle';
import { brandRule, brandsOffering, CONSENT_SERVICES, type ConsentService } from './consent-withdrawal';
import { SUPPORTED_LOCALES } from './locales';
import { correctionsSchema } from './rectification/corrections';
import {
  MAX_SUPPRESSION_CHECK_CONTACTS,
  objectionFields,
  objectionParameters,
  PROCESSING_PURPOSES,
  REFUSAL_KINDS,
  requireGroundToRestrict,
  RESTRICTION_GROUNDS,
  RESTRICTION_SCOPES,
  restrictionFields,
  restrictionParameters,
  SUPPRESSION_REASONS,
} from './processing/parameters';

/**
 * The request API's contract, declared once: every request and response body, query and path
 * parameter, the error body with its vocabulary of codes, and the operations (method, path, schemas,
 * error codes). The handler validates with these schemas (`functions/api/router.ts` binds one
 * implementation to each operation), the API Gateway models and routes are generated from them
 * (`infra/api.ts`), and so are `docs/openapi.yaml` (`npm run openapi`) and `GET /v1/openapi.json`.
 * A new request type is one more member of `CREATE_REQUEST_BODIES`; a new route is one more entry of
 * `API_OPERATIONS` (plus its implementation in the router, which the compiler demands).
 */

/** The named schemas of the contract: each becomes `#/components/schemas/<id>` in the OpenAPI document. */
export const API_SCHEMAS = z.registry<{ id: string }>();

/** A customer id: what may appear in a key prefix. */
export const customerIdSchema = z.string().regex(CUSTOMER_ID_PATTERN, 'must be 1-64 letters, digits, "-" or "_"').register(API_SCHEMAS, { id: 'CustomerId' });

/** A brand of the group. */
export const brandSchema = z.enum(BRANDS).register(API_SCHEMAS, { id: 'Brand' });

/** A BCP 47 locale of a language the customer-facing texts exist in. */
export const localeSchema = z
  .enum(SUPPORTED_LOCALES, { error: `must be one of ${SUPPORTED_LOCALES.join(', ')}` })
  .describe('Language of the customer-facing texts (BCP 47); default: the profile\'s locale, else the brand\'s home market, else English')
  .register(API_SCHEMAS, { id: 'Locale' });

/** A request status. */
export const statusSchema = z.enum(REQUEST_STATUSES).register(API_SCHEMAS, { id: 'Status' });

/** A kind of request. */
export const requestTypeSchema = z.enum(REQUEST_TYPES).register(API_SCHEMAS, { id: 'RequestType' });

/** Clock skew tolerated on a `verifiedAt` (a caller's clock a little ahead of the API's). */
export const VERIFIED_AT_SKEW_MS = 5 * 60 * 1000;

/** How the customer's identity was verified before the request was made. */
export const verificationSchema = z
  .strictObject({
    method: z.enum(['portal-session', 'email-code', 'id-document', 'known-contact']),
    verifiedBy: z.string().min(1).max(200).describe('Who verified: the portal, or the ops person or team (never the customer\'s data)'),
    verifiedAt: z.iso
      .datetime({ offset: true })
      .refine((value) => !(Date.parse(value) > Date.now() + VERIFIED_AT_SKEW_MS), 'must not be in the future') // an unparseable value gets the datetime issue alone
      .describe('When the identity was verified (ISO 8601; not in the future, 5 minutes of clock skew allowed)'),
  })
  .register(API_SCHEMAS, { id: 'Verification' });

/** Fields every create body has, whatever its type. */
const createRequestFields = {
  customerId: customerIdSchema,
  brand: brandSchema,
  requestId: z.uuid().optional().describe('Idempotency key'),
  verification: verificationSchema.optional(),
  callbackUrl: z
    .url({ protocol: /^https$/, error: 'must be an https URL' })
    .regex(/^https:\/\//, 'must be an https URL')
    .max(2048)
    .optional()
    .describe('Receives every status change, signed with X-DSR-Signature'),
  locale: localeSchema.optional(),
};

/** The create body of each request type (a type with fields of its own extends `createRequestFields` with them). */
export const CREATE_REQUEST_BODIES = {
  export: z.strictObject({ type: z.literal('export'), ...createRequestFields }).register(API_SCHEMAS, { id: 'CreateExportRequest' }),
  erasure: z.strictObject({ type: z.literal('erasure'), ...createRequestFields }).register(API_SCHEMAS, { id: 'CreateErasureRequest' }),
  restriction: z
    .strictObject({ type: z.literal('restriction'), ...createRequestFields, ...restrictionFields })
    .superRefine(requireGroundToRestrict)
    .register(API_SCHEMAS, { id: 'CreateRestrictionRequest' }),
  objection: z.strictObject({ type: z.literal('objection'), ...createRequestFields, ...objectionFields }).register(API_SCHEMAS, { id: 'CreateObjectionRequest' }),
  rectification: z
    .strictObject({ type: z.literal('rectification'), ...createRequestFields, corrections: correctionsSchema.register(API_SCHEMAS, { id: 'Corrections' }) })
    .register(API_SCHEMAS, { id: 'CreateRectificationRequest' }),
  'consent-withdrawal': z
    .strictObject({
      type: z.literal('consent-withdrawal'),
      ...createRequestFields,
      service: z.enum(CONSENT_SERVICES, { error: `must be one of ${CONSENT_SERVICES.join(', ')}` }).describe('The consent-based service to stop; its store is erased'),
    })
    .refine((body) => brandsOffering(body.service).includes(body.brand), { path: ['brand'], error: (issue) => brandRule((issue.input as { service: ConsentService }).service) })
    .register(API_SCHEMAS, { id: 'CreateConsentWithdrawalRequest' }),
} satisfies { [Type in RequestType]: z.ZodType<{ type: Type }> };

/** Body of `POST /v1/requests`: one of the request types' bodies, chosen by `type`. */
export const createRequestBody = z
  .discriminatedUnion('type', [CREATE_REQUEST_BODIES.export, CREATE_REQUEST_BODIES.erasure, CREATE_REQUEST_BODIES.restriction, CREATE_REQUEST_BODIES.objection, CREATE_REQUEST_BODIES.rectification, CREATE_REQUEST_BODIES['consent-withdrawal']], { error: `must be one of ${REQUEST_TYPES.join(', ')}` })
  .register(API_SCHEMAS, { id: 'CreateRequest' });

/** A parsed create body. */
export type CreateRequestBody = z.infer<typeof createRequestBody>;

/** An ops note on an extension or denial: a short text shown to ops and the customer, which must not hold personal data. */
const noteSchema = z.string().trim().min(1).max(MAX_NOTE_LENGTH).describe(`At most ${MAX_NOTE_LENGTH} characters; an explanation for ops and the customer, without personal data`);

/** Body of `POST /v1/requests/{requestId}/extension`. */
export const extendRequestBody = z
  .strictObject({
    reason: z.enum(EXTENSION_REASONS, { error: `must be one of ${EXTENSION_REASONS.join(', ')}` }).describe('Why the request needs two more months (Art. 12(3))'),
    note: noteSchema.optional(),
  })
  .register(API_SCHEMAS, { id: 'ExtendRequest' });

/** A parsed extension body. */
export type ExtendRequestBody = z.infer<typeof extendRequestBody>;

/** Body of `POST /v1/requests/{requestId}/denial`. */
export const denyRequestBody = z
  .strictObject({
    reason: z.enum(DENIAL_REASONS, { error: `must be one of ${DENIAL_REASONS.join(', ')}` }).describe('Why the request is refused (Art. 12(2), 12(5))'),
    note: noteSchema,
  })
  .register(API_SCHEMAS, { id: 'DenyRequest' });

/** A parsed denial body. */
export type DenyRequestBody = z.infer<typeof denyRequestBody>;

/** Query of `GET /v1/requests`. */
export const listRequestsQuery = z.strictObject({
  customerId: customerIdSchema.optional(),
  status: statusSchema.optional(),
  overdue: z.enum(['true', 'false']).optional().describe('Only open requests past their due date or due soon: within 5 days, a consent withdrawal within 24 hours (the deadline check\'s rule)'),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  nextToken: z.string().min(1).max(2048).optional(),
});

/** A parsed list query. */
export type ListRequestsQuery = z.infer<typeof listRequestsQuery>;

/** Query of `GET /v1/requests/{requestId}/download`. */
export const downloadQuery = z.strictObject({ volume: z.coerce.number().int().min(1).default(1) });

/** Path parameter `requestId`: what a request id may look like (uuid or another client id without `/`). */
export const requestIdParam = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be 1-128 letters, digits, "-" or "_"');

/** Progress of one store within a request, as the API lists it. */
export const storeProgressSchema = z
  .strictObject({
    store: z.string(),
    phase: z.enum(STORE_PHASES),
    status: z.enum(STORE_STEP_STATUSES),
    items: z.int().min(0),
    bytes: z.int().min(0),
    updatedAt: z.iso.datetime(),
  })
  .register(API_SCHEMAS, { id: 'StoreProgress' });

/** A recipient id of the data map (path parameter of an acknowledgement). */
export const recipientIdParam = z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be 1-64 lower-case letters, digits or "-"');

/** One recipient's Art. 19 notification of a request, as the API lists it. */
export const notificationSchema = z
  .strictObject({
    recipient: z.string(),
    sentAt: z.iso.datetime(),
    acknowledgedAt: z.iso.datetime().optional().describe('When the recipient acknowledged (`POST .../notifications/{recipient}/ack`)'),
  })
  .register(API_SCHEMAS, { id: 'RecipientNotification' });

/** A request record as the API returns it (`RequestView`). */
export const requestSchema = z
  .strictObject({
    requestId: z.string(),
    type: requestTypeSchema,
    customerId: customerIdSchema.optional().describe('Absent once an erasure has completed'),
    customerKey: z.string().regex(/^[0-9a-f]{64}$/).describe('Keyed hash of the customer id'),
    brand: brandSchema,
    status: statusSchema,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    dueAt: z.iso.datetime().describe('Received + one calendar month (Art. 12(3)); + three once extended; a consent withdrawal: received + DSR_CONSENT_WITHDRAWAL_TARGET_HOURS (default 72)'),
    notBefore: z.iso.datetime().optional().describe('End of the erasure cooling-off'),
    verification: verificationSchema.optional(),
    caller: z.string().optional().describe('The calling principal that made the request (IAM caller ARN in AWS, `token:<name>` locally)'),
    callbackUrl: z.string().optional(),
    locale: z.string().optional().describe('The locale the request asked for'),
    restriction: restrictionParameters.optional().describe('A restriction request: what it restricts or lifts'),
    objection: objectionParameters.optional().describe('An objection request: what it objects to'),
    extension: z
      .strictObject({ reason: z.enum(EXTENSION_REASONS), note: z.string().optional(), extendedAt: z.iso.datetime(), previousDueAt: z.iso.datetime(), extendedBy: z.string() })
      .optional()
      .describe('The one deadline extension'),
    denial: z
      .strictObject({ reason: z.enum(DENIAL_REASONS), note: z.string(), deniedAt: z.iso.datetime(), deniedBy: z.string() })
      .optional()
      .describe('Why the request was denied'),
    holds: z
      .array(z.strictObject({ since: z.iso.datetime(), until: z.iso.datetime().optional(), reasons: z.array(z.string()) }))
      .optional()
      .describe('Every period on legal hold, oldest first (reasons name record ids only)'),
    executionArn: z.string().optional(),
    stores: z.array(storeProgressSchema),
    result: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        'Export: `{volumeCount, totalBytes, resultKey, empty, stores}` (download volumes 1..volumeCount; the per-volume list {volume, key, bytes, sha256, entries} is the object `resultKey` in the exports bucket). Erasure: the certificate',
      ),
    error: z.strictObject({ name: z.string(), message: z.string() }).optional(),
    hold: z.strictObject({ reasons: z.array(z.string()) }).optional(),
    erasedBy: z.string().optional().describe('The erasure request that later erased this request\'s customer'),
    notifications: z.array(notificationSchema).optional().describe('Art. 19: each recipient told about the request, when, and when it acknowledged'),
  })
  .register(API_SCHEMAS, { id: 'Request' });

/** A page of `GET /v1/requests`. */
export const requestPageSchema = z
  .strictObject({ items: z.array(requestSchema), nextToken: z.string().optional() })
  .register(API_SCHEMAS, { id: 'RequestPage' });

/** Body of `POST /v1/checks/suppression`: the contact points a marketing import is about to add. */
export const suppressionCheckBody = z
  .strictObject({
    emails: z
      .array(z.string().min(3).max(320).regex(/@/, 'must be an email address'))
      .max(MAX_SUPPRESSION_CHECK_CONTACTS, `must hold at most ${MAX_SUPPRESSION_CHECK_CONTACTS} entries`)
      .optional()
      .describe('Email addresses, matched trimmed and lower-cased'),
    phones: z
      .array(z.string().max(64).regex(/^\+?[0-9 ().\/-]*[0-9][0-9 ().\/-]*$/, 'must be a phone number (digits, spaces, + ( ) . / -)'))
      .max(MAX_SUPPRESSION_CHECK_CONTACTS, `must hold at most ${MAX_SUPPRESSION_CHECK_CONTACTS} entries`)
      .optional()
      .describe('Phone numbers, matched as digits with a leading + (00 read as +)'),
  })
  .superRefine((body, context) => {
    const emails = body.emails?.length ?? 0;
    const phones = body.phones?.length ?? 0;
    if (emails + phones === 0) context.addIssue({ code: 'custom', path: ['emails'], message: 'give at least one email or phone' });
    if (emails + phones > MAX_SUPPRESSION_CHECK_CONTACTS) {
      context.addIssue({
        code: 'custom',
        path: [emails >= phones ? 'emails' : 'phones'],
        message: `emails and phones together must hold at most ${MAX_SUPPRESSION_CHECK_CONTACTS} entries (got ${emails + phones})`,
      });
    }
  })
  .register(API_SCHEMAS, { id: 'SuppressionCheck' });

/** A parsed suppression check. */
export type SuppressionCheckBody = z.infer<typeof suppressionCheckBody>;

/** One answer of a suppression check: the contact point as sent, whether it is suppressed, and why. */
export const suppressionAnswerSchema = z
  .strictObject({
    email: z.string().optional(),
    phone: z.string().optional(),
    suppressed: z.boolean(),
    reason: z.enum(SUPPRESSION_REASONS).optional().describe('Present when suppressed'),
  })
  .register(API_SCHEMAS, { id: 'SuppressionAnswer' });

/** The answer of `POST /v1/checks/suppression`: one entry per email, then per phone, in the order sent. */
export const suppressionCheckResultSchema = z.strictObject({ results: z.array(suppressionAnswerSchema) }).register(API_SCHEMAS, { id: 'SuppressionCheckResult' });

/** Query of `GET /v1/checks/processing`. */
export const processingCheckQuery = z.strictObject({
  customerId: customerIdSchema,
  purpose: z.enum(PROCESSING_PURPOSES, { error: `must be one of ${PROCESSING_PURPOSES.join(', ')}` }),
});

/** A parsed processing check. */
export type ProcessingCheckQuery = z.infer<typeof processingCheckQuery>;

/** The answer of `GET /v1/checks/processing`. */
export const processingCheckResultSchema = z
  .strictObject({
    purpose: z.enum(PROCESSING_PURPOSES),
    allowed: z.boolean(),
    reason: z
      .strictObject({
        kind: z.enum(REFUSAL_KINDS),
        since: z.iso.datetime().describe('When the erasure, restriction or objection took effect'),
        requestId: z.string().optional().describe('The restriction or objection request'),
        scope: z.enum(RESTRICTION_SCOPES).optional().describe('restriction: the scope restricted'),
        ground: z.enum(RESTRICTION_GROUNDS).optional().describe('restriction: its Art. 18(1) ground'),
      })
      .optional()
      .describe('Present when not allowed: erasure first, then objection, then restriction'),
  })
  .register(API_SCHEMAS, { id: 'ProcessingCheckResult' });

/** What produces an error code: the handler, the local API server, or API Gateway itself. */
type ErrorSource = 'handler' | 'local' | 'gateway';

/** The vocabulary of error codes: each with its HTTP status, meaning, and who answers it. */
export const ERROR_CODES = {
  invalid_request: { status: 400, sources: ['handler', 'gateway'], description: 'A path, query or body value is invalid (`details` name the fields)' },
  invalid_json: { status: 400, sources: ['handler'], description: 'The body is empty or not JSON' },
  unauthorized: { status: 401, sources: ['local', 'gateway'], description: 'No credentials (no SigV4 signature in AWS, no bearer token locally)' },
  forbidden: { status: 403, sources: ['local', 'gateway'], description: 'Credentials that are invalid, expired or not allowed to call the route' },
  not_found: { status: 404, sources: ['handler'], description: 'Unknown request or export volume, or a recipient the request did not notify' },
  route_not_found: { status: 404, sources: ['handler', 'gateway'], description: 'No such route' },
  method_not_allowed: { status: 405, sources: ['handler'], description: 'The route exists, not with this method (the `allow` header lists its methods)' },
  conflict: { status: 409, sources: ['handler'], description: 'The request id is taken by another body' },
  invalid_status: { status: 409, sources: ['handler'], description: 'The request\'s status does not allow the operation' },
  already_extended: { status: 409, sources: ['handler'], description: 'The request\'s deadline was extended already (once per request)' },
  past_due: { status: 409, sources: ['handler'], description: 'The request\'s original due date has passed; it can no longer be extended' },
  not_extendable: { status: 409, sources: ['handler'], description: 'The request type has no extension (a consent withdrawal is answered as soon as possible, Art. 7(3))' },
  not_ready: { status: 409, sources: ['handler'], description: 'The request is not a completed export' },
  brand_mismatch: { status: 409, sources: ['handler'], description: 'The customer\'s profile belongs to another brand' },
  duplicate_request: {
    status: 409,
    sources: ['handler'],
    description: 'The customer has an open request of the type (`details`: `[{ field: "openRequestId", message: <its id> }]`)',
  },
  gone: { status: 410, sources: ['handler'], description: 'The customer\'s data was erased by a later erasure (named in the message)' },
  payload_too_large: { status: 413, sources: ['handler', 'local', 'gateway'], description: 'Body over 64 KB (API Gateway: over its own limit)' },
  unsupported_media_type: { status: 415, sources: ['gateway'], description: 'A content type the API does not accept' },
  throttled: { status: 429, sources: ['gateway'], description: 'Over the stage\'s rate or burst limit; retry with backoff' },
  internal_error: { status: 500, sources: ['handler', 'local', 'gateway'], description: 'An unexpected failure; nothing to fix on the caller\'s side' },
  integration_failure: { status: 502, sources: ['gateway'], description: 'The request handler could not be invoked' },
  unavailable: { status: 503, sources: ['handler'], description: 'A store or the event bus is briefly unavailable; retry the same call with backoff (it is idempotent)' },
  integration_timeout: { status: 504, sources: ['gateway'], description: 'The request handler did not answer in time' },
} as const satisfies Record<string, { status: number; sources: readonly ErrorSource[]; description: string }>;

/** An error code of the vocabulary. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The error codes in declaration order. */
export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** The error code enum, with each code's status in `x-error-statuses` and a table in its description. */
export const errorCodeSchema = z
  .enum(ERROR_CODE_NAMES)
  .meta({
    description: ['| code | status | meaning |', '|---|---|---|', ...ERROR_CODE_NAMES.map((code) => `| \`${code}\` | ${ERROR_CODES[code].status} | ${ERROR_CODES[code].description} |`)].join('\n'),
    'x-error-statuses': Object.fromEntries(ERROR_CODE_NAMES.map((code) => [code, ERROR_CODES[code].status])),
  })
  .register(API_SCHEMAS, { id: 'ErrorCode' });

/** One field problem reported with a 400, or a named value (`openRequestId` with a `duplicate_request` 409). */
export const errorDetailSchema = z.strictObject({ field: z.string(), message: z.string() }).register(API_SCHEMAS, { id: 'ErrorDetail' });

/** One entry of an error's `details`. */
export type ErrorDetail = z.infer<typeof errorDetailSchema>;

/** The body of every error answer, the handler's and API Gateway's own. */
export const errorBodySchema = z
  .strictObject({
    error: z.strictObject({
      code: errorCodeSchema,
      message: z.string(),
      details: z.array(errorDetailSchema).optional().describe('With a 400, one entry per invalid field; with a 409 `duplicate_request`, the open request'),
    }),
  })
  .register(API_SCHEMAS, { id: 'Error' });

/** The OpenAPI document itself (`GET /v1/openapi.json`); its shape is OpenAPI 3.0's. */
export const openApiDocumentSchema = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }).register(API_SCHEMAS, { id: 'OpenApiDocument' });

/** Error codes any operation can answer (credentials, throttling, gateway and handler failures). */
export const COMMON_ERROR_CODES: readonly ErrorCode[] = ['unauthorized', 'forbidden', 'throttled', 'internal_error', 'integration_failure', 'unavailable', 'integration_timeout'];

/** One operation of the API. */
export interface ApiOperation {
  method: 'GET' | 'POST' | 'DELETE';
  /** OpenAPI path template, e.g. `/v1/requests/{requestId}`. */
  path: string;
  summary: string;
  description?: string;
  /** Path parameters by name. */
  params?: Record<string, z.ZodType>;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The success answer: status, body schema (none for a redirect), headers. */
  success: { status: number; description: string; body?: z.ZodType; headers?: Record<string, { description: string; required?: boolean }> };
  /** Error codes the operation answers besides `COMMON_ERROR_CODES`. */
  errors: readonly ErrorCode[];
}

/** Every operation of the API, by operation id. */
export const API_OPERATIONS = {
  createRequest: {
    method: 'POST',
    path: '/v1/requests',
    summary: 'Request an export, erasure, restriction, objection, rectification or consent withdrawal (idempotent by requestId)',
    description: [
      'The same `requestId` with the same body returns the same request and starts nothing new; with a different body it is rejected with 409 `conflict`.',
      'Without `requestId` the server generates a uuid. A new request is rejected with 409 `brand_mismatch` when the customer\'s profile belongs to another brand',
      '(a customer without a profile is accepted), and with 409 `duplicate_request` while the customer has an open (pending, in_progress, failed or on_hold)',
      'request of the same type; its `details` are `[{ field: "openRequestId", message: "<the open request\'s id>" }]`. A rejected request writes nothing and',
      'starts nothing. An erasure waits `pending` until `notBefore` (cooling-off) and can be cancelled until then.',
      'A rectification\'s `corrections` are kept on the request only until it is final and never appear in an answer or event. A consent withdrawal is',
      'accepted only for a brand that offers the service (400 naming the rule) and is due `DSR_CONSENT_WITHDRAWAL_TARGET_HOURS` (default 72) after receipt.',
    ].join('\n'),
    body: createRequestBody,
    success: { status: 202, description: 'Accepted; the request record', body: requestSchema, headers: { Location: { description: 'URL of the request', required: true } } },
    errors: ['invalid_request', 'invalid_json', 'conflict', 'brand_mismatch', 'duplicate_request', 'payload_too_large', 'unsupported_media_type'],
  },
  listRequests: {
    method: 'GET',
    path: '/v1/requests',
    summary: 'List requests (ops), newest first per customer, paginated',
    query: listRequestsQuery,
    success: { status: 200, description: 'A page of requests', body: requestPageSchema },
    errors: ['invalid_request'],
  },
  getRequest: {
    method: 'GET',
    path: '/v1/requests/{requestId}',
    summary: 'Read a request',
    params: { requestId: requestIdParam },
    success: { status: 200, description: 'The request record', body: requestSchema },
    errors: ['invalid_request', 'not_found'],
  },
  cancelRequest: {
    method: 'DELETE',
    path: '/v1/requests/{requestId}',
    summary: 'Cancel a pending or held request, or a running export',
    description: [
      'A pending request is cancelled and its execution stopped; so is an erasure on legal hold (`on_hold`: it has erased nothing, and the daily re-check',
      'no longer resumes it). A running (`in_progress`) export is stopped and its staging data and partial volumes are',
      'removed. Any other status answers 409 `invalid_status` with the reason; an erasure that has started erasing cannot be cancelled. Repeating a cancel',
      'answers the cancelled request (and removes an export\'s data again).',
    ].join('\n'),
    params: { requestId: requestIdParam },
    success: { status: 202, description: 'Cancelled', body: requestSchema },
    errors: ['invalid_request', 'not_found', 'invalid_status'],
  },
  extendRequest: {
    method: 'POST',
    path: '/v1/requests/{requestId}/extension',
    summary: 'Extend an open request\'s deadline once, to three months after receipt (Art. 12(3))',
    description: [
      'Allowed once, while the request is open (pending, in_progress, failed, on_hold) and before its original `dueAt`. The new `dueAt` is the date received',
      'plus three calendar months (clamped to the month\'s end). Emits `Request Deadline Extended` (source `dsr.request`, detail: the request) so the portal',
      'tells the customer, with the reason. Repeating the same extension answers the request unchanged; another one answers 409 `already_extended`.',
      'A consent withdrawal is never extended (409 `not_extendable`): Art. 7(3) makes withdrawing as easy as giving, so it is answered as soon as possible.',
    ].join('\n'),
    params: { requestId: requestIdParam },
    body: extendRequestBody,
    success: { status: 200, description: 'The extended request', body: requestSchema },
    errors: ['invalid_request', 'invalid_json', 'not_found', 'invalid_status', 'already_extended', 'past_due', 'not_extendable', 'payload_too_large', 'unsupported_media_type'],
  },
  denyRequest: {
    method: 'POST',
    path: '/v1/requests/{requestId}/denial',
    summary: 'Refuse a pending or on_hold request with the reason (Art. 12(4), 12(5))',
    description: [
      'The request becomes `denied` (final): its execution is stopped, nothing more is done, and the customer can make a new request of the type.',
      'Emits the status event like every status change. Any other status answers 409 `invalid_status`; repeating a denial answers the denied request.',
    ].join('\n'),
    params: { requestId: requestIdParam },
    body: denyRequestBody,
    success: { status: 200, description: 'The denied request', body: requestSchema },
    errors: ['invalid_request', 'invalid_json', 'not_found', 'invalid_status', 'payload_too_large', 'unsupported_media_type'],
  },
  acknowledgeNotification: {
    method: 'POST',
    path: '/v1/requests/{requestId}/notifications/{recipient}/ack',
    summary: 'A recipient acknowledges the Art. 19 notification of a request (no body)',
    description: [
      'Records when the recipient acknowledged; `GET /v1/requests/{requestId}` lists it under `notifications`. A repeat answers 200 with the first',
      'acknowledgement unchanged (idempotent, so a recipient can retry safely). 404 `not_found` for an unknown request or a recipient the request did not',
      'notify; nothing is written then.',
    ].join('\n'),
    params: { requestId: requestIdParam, recipient: recipientIdParam },
    success: { status: 200, description: 'The request with the acknowledgement', body: requestSchema },
    errors: ['invalid_request', 'not_found'],
  },
  downloadExport: {
    method: 'GET',
    path: '/v1/requests/{requestId}/download',
    summary: 'Redirect to a freshly presigned URL of one export volume',
    params: { requestId: requestIdParam },
    query: downloadQuery,
    success: {
      status: 303,
      description: 'See the presigned S3 URL (expires after DSR_DOWNLOAD_URL_TTL_SECONDS, default 900)',
      headers: { Location: { description: 'The presigned URL', required: true } },
    },
    errors: ['invalid_request', 'not_found', 'not_ready', 'gone'],
  },
  checkSuppression: {
    method: 'POST',
    path: '/v1/checks/suppression',
    summary: 'Which emails and phones are suppressed (erased or objected to direct marketing); for marketing imports',
    description: `At most ${MAX_SUPPRESSION_CHECK_CONTACTS} emails and phones together. Compared as keyed hashes: the caller never holds the hash key, and nothing is written.`,
    body: suppressionCheckBody,
    success: { status: 200, description: 'One answer per contact point, emails first, in the order sent', body: suppressionCheckResultSchema },
    errors: ['invalid_request', 'invalid_json', 'payload_too_large', 'unsupported_media_type'],
  },
  checkProcessing: {
    method: 'GET',
    path: '/v1/checks/processing',
    summary: 'Whether a customer\'s data may be used for a purpose (marketing, smart-creation tracking)',
    description: 'Refused for an erased customer (suppressed), under a restriction (Art. 18) of the purpose, or after an objection (Art. 21). Answered from keyed hashes: an erased customer is refused too.',
    query: processingCheckQuery,
    success: { status: 200, description: 'allowed, or refused with the reason', body: processingCheckResultSchema },
    errors: ['invalid_request'],
  },
  getOpenApi: {
    method: 'GET',
    path: '/v1/openapi.json',
    summary: 'This document (OpenAPI 3.0), to generate a client from',
    success: { status: 200, description: 'The OpenAPI document', body: openApiDocumentSchema },
    errors: [],
  },
} as const satisfies Record<string, ApiOperation>;

/** An operation id. */
export type OperationId = keyof typeof API_OPERATIONS;
