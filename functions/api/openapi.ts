import { z } from 'zod';
import { API_OPERATIONS, API_SCHEMAS, COMMON_ERROR_CODES, ERROR_CODES, type ApiOperation, type ErrorCode } from '../core/api-contract';

/**
 * The OpenAPI 3.0 document of the request API, generated from the contract (`functions/core/api-contract.ts`):
 * its named schemas become `components/schemas`, its operations the `paths`, each operation's error
 * codes its error responses. `npm run openapi` writes it to `docs/openapi.yaml`; `GET /v1/openapi.json`
 * serves it.
 */

/** A JSON Schema / OpenAPI object as generated. */
type JsonObject = Record<string, unknown>;

const DESCRIPTION = `Data-subject requests (GDPR Art. 15/20 export, Art. 17 erasure) for the brands albelli, bonusprint,
fotoknudsen, onskefoto and resnap. In AWS every route uses IAM (SigV4, service \`execute-api\`) authorization;
locally (\`npm start\`) send \`Authorization: Bearer <token>\` with the token from \`<data-dir>/endpoints.json\`.
Every status change is also POSTed to the request's \`callbackUrl\` (body: a \`Request\` without
\`customerId\`/\`callbackUrl\`) with the header \`X-DSR-Signature: sha256=<hex HMAC-SHA256 of the raw
body>\`, retried with exponential backoff.

Every error, whether the handler or API Gateway answers it, is an \`Error\` whose \`code\` is one of
\`ErrorCode\` (each code has one HTTP status, listed there and in \`x-error-statuses\`).

Generated from \`functions/core/api-contract.ts\` by \`npm run openapi\`; do not edit \`docs/openapi.yaml\` by hand.
`;

/** A JSON schema of the contract in OpenAPI 3.0 form, without the generator's `$schema`/`$id`. */
function openApiSchema(schema: z.ZodType): JsonObject {
  const { $schema: _schema, $id: _id, ...rest } = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }) as JsonObject;
  return rest;
}

/** The named schemas, referencing each other by `#/components/schemas/<id>`. */
function componentSchemas(): Record<string, JsonObject> {
  const { schemas } = z.toJSONSchema(API_SCHEMAS, { target: 'openapi-3.0', io: 'input', uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _schema, $id: _id, ...rest } = schema as JsonObject;
      return [id, rest];
    }),
  );
}

/** `$ref` to the named schema of a registered zod schema, or the schema inline. */
function schemaOrRef(schema: z.ZodType): JsonObject {
  const id = API_SCHEMAS.get(schema)?.id;
  return id ? { $ref: `#/components/schemas/${id}` } : openApiSchema(schema);
}

/** One OpenAPI parameter (its description moved from the schema to the parameter). */
function parameter(name: string, location: 'path' | 'query', schema: z.ZodType): JsonObject {
  const { description, ...json } = openApiSchema(schema);
  const required = location === 'path' || !schema.safeParse(undefined).success;
  return { name, in: location, ...(required ? { required: true } : {}), ...(description ? { description } : {}), schema: json };
}

const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };

/** The error responses of an operation: one per status, naming its codes. */
function errorResponses(codes: readonly ErrorCode[]): Record<string, JsonObject> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes, ...COMMON_ERROR_CODES]) {
    const list = byStatus.get(ERROR_CODES[code].status) ?? [];
    if (!list.includes(code)) list.push(code);
    byStatus.set(ERROR_CODES[code].status, list);
  }
  return Object.fromEntries(
    [...byStatus.entries()]
      .sort(([left], [right]) => left - right)
      .map(([status, list]) => [String(status), { description: list.map((code) => `\`${code}\`: ${ERROR_CODES[code].description}`).join('; '), content: errorContent }]),
  );
}

/** The OpenAPI operation object of one contract operation. */
function operationObject(operationId: string, operation: ApiOperation): JsonObject {
  const parameters = [
    ...Object.entries(operation.params ?? {}).map(([name, schema]) => parameter(name, 'path', schema)),
    ...Object.entries(operation.query?.shape ?? {}).map(([name, schema]) => parameter(name, 'query', schema as z.ZodType)),
  ];
  const { success } = operation;
  const headers = success.headers
    ? Object.fromEntries(Object.entries(success.headers).map(([name, header]) => [name, { description: header.description, ...(header.required ? { required: true } : {}), schema: { type: 'string' } }]))
    : undefined;
  return {
    operationId,
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(operation.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOrRef(operation.body) } } } } : {}),
    responses: {
      [String(success.status)]: {
        description: success.description,
        ...(headers ? { headers } : {}),
        ...(success.body ? { content: { 'application/json': { schema: schemaOrRef(success.body) } } } : {}),
      },
      ...errorResponses(operation.errors),
    },
  };
}

/** Builds the OpenAPI document from the contract. */
export function buildOpenApiDocument(): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const [operationId, operation] of Object.entries(API_OPERATIONS) as [string, ApiOperation][]) {
    paths[operation.path] = { ...paths[operation.path], [operation.method.toLowerCase()]: operationObject(operationId, operation) };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'DSR pipeline request API', version: '1.0.0', description: DESCRIPTION },
    servers: [{ url: 'http://127.0.0.1:3000', description: 'local (`npm start`); in AWS the stack output `ApiUrl` (stage `prod`)' }],
    security: [{ sigv4: [] }, { bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS: IAM authorization, requests signed with SigV4 (service `execute-api`).',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
        bearer: { type: 'http', scheme: 'bearer', description: 'Local only (`npm start`): the token from `<data-dir>/endpoints.json`.' },
      },
      schemas: componentSchemas(),
    },
  };
}

let cached: JsonObject | undefined;

/** The document, built once per process (`GET /v1/openapi.json`). */
export function openApiDocument(): JsonObject {
  cached ??= buildOpenApiDocument();
  return cached;
}
