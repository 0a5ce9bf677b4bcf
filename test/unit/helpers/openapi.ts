import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

/** The OpenAPI document of the request API, parsed. */
export const OPENAPI = parse(readFileSync(new URL('../../../docs/openapi.yaml', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, { $ref?: string; content?: Record<string, { schema: unknown }> }> }>>;
  components: { responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
};

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
ajv.addSchema({ ...(OPENAPI as object), $id: 'openapi.json' });

/** The JSON schema the document declares for a response (`path` as written in the document). */
function responseSchemaRef(path: string, method: string, status: number): string | undefined {
  const operation = OPENAPI.paths[path]?.[method.toLowerCase()];
  if (!operation) throw new Error(`OpenAPI has no ${method} ${path}`);
  const response = operation.responses[String(status)];
  if (!response) throw new Error(`OpenAPI ${method} ${path} does not declare status ${status}`);
  if (response.$ref) {
    const name = response.$ref.split('/').pop()!;
    return OPENAPI.components.responses[name]?.content ? `openapi.json#/components/responses/${name}/content/application~1json/schema` : undefined;
  }
  const pointer = `/paths/${path.replaceAll('~', '~0').replaceAll('/', '~1')}/${method.toLowerCase()}/responses/${status}`;
  return response.content ? `openapi.json#${pointer}/content/application~1json/schema` : undefined;
}

/** Validates a response body against the document; returns the ajv errors text ('' when valid). */
export function validateResponse(path: string, method: string, status: number, body: unknown): string {
  const ref = responseSchemaRef(path, method, status);
  if (!ref) return body === '' || body === undefined ? '' : 'the document declares no body for this response';
  const validate = ajv.getSchema(ref);
  if (!validate) throw new Error(`No schema at ${ref}`);
  return validate(body) ? '' : ajv.errorsText(validate.errors);
}

/** Validates an error body (for responses outside the declared paths: unknown route, 405). */
export function validateErrorBody(body: unknown): string {
  const validate = ajv.getSchema('openapi.json#/components/schemas/Error')!;
  return validate(body) ? '' : ajv.errorsText(validate.errors);
}
