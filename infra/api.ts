import { Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { z } from 'zod';
import { API_OPERATIONS, API_SCHEMAS, ERROR_CODES, type ApiOperation, type ErrorCode } from '../functions/core/api-contract';
import type { DsrSettings } from './settings';

/**
 * The request API (issue 3): a REST API with IAM (SigV4) authorization on every method, one method per
 * operation of the contract (`functions/core/api-contract.ts`) with its path and query parameters and
 * body model generated from it, and catch-all `ANY` methods so the handler answers unknown routes (404)
 * and wrong methods (405) itself. Every answer API Gateway produces itself has the contract's error
 * body. Throttled, access-logged, traced, no CORS. `GET /v1/openapi.json` is IAM-authorized like every
 * other route: its callers (portal backend developers, ops) hold AWS credentials anyway.
 */

/** Properties of the API construct. */
export interface DsrApiProps {
  /** The function behind every route (the catalog's `http-api` function). */
  handler: lambda.IFunction;
  settings: DsrSettings;
}

/** Name of the deployed stage. */
export const API_STAGE = 'prod';

/** The JSON Schema draft 4 keywords API Gateway's request validation understands; the generator's others are dropped. */
const DRAFT4_KEYWORDS = new Set([
  '$schema', 'title', 'description', 'default', 'enum', 'type', 'format', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum',
  'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'items', 'additionalItems', 'maxItems', 'minItems', 'uniqueItems',
  'maxProperties', 'minProperties', 'required', 'properties', 'patternProperties', 'additionalProperties', 'dependencies',
  'allOf', 'anyOf', 'oneOf', 'not', 'definitions',
]);

/** The formats draft 4 defines; others (zod's `uuid`) are dropped, the `pattern` beside them still applies. */
const DRAFT4_FORMATS = new Set(['date-time', 'email', 'hostname', 'ipv4', 'ipv6', 'uri']);

/** Keywords whose value maps names to schemas (the names are not keywords). */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', 'dependencies']);

function toDraft4(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toDraft4);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([key, keyword]) => {
    if (!DRAFT4_KEYWORDS.has(key)) return false;
    return key !== 'format' || DRAFT4_FORMATS.has(keyword as string);
  });
  return Object.fromEntries(
    entries.map(([key, keyword]) => {
      if (key === 'enum' || key === 'required' || key === 'default') return [key, keyword];
      if (SCHEMA_MAPS.has(key)) return [key, Object.fromEntries(Object.entries(keyword as Record<string, unknown>).map(([name, schema]) => [name, toDraft4(schema)]))];
      return [key, toDraft4(keyword)];
    }),
  );
}

/** The API Gateway model schema (JSON Schema draft 4, inline) of a contract body schema. */
export function gatewayModelSchema(schema: z.ZodType): apigw.JsonSchema {
  const title = API_SCHEMAS.get(schema)?.id;
  const generated = z.toJSONSchema(schema, { target: 'draft-4', io: 'input' });
  return { ...(toDraft4(generated) as apigw.JsonSchema), ...(title ? { title } : {}) };
}

/** A gateway response type's name (`BAD_REQUEST_BODY`, `THROTTLED`, …). */
export type GatewayResponseName = Exclude<
  { [Name in keyof typeof apigw.ResponseType]: (typeof apigw.ResponseType)[Name] extends apigw.ResponseType ? Name : never }[keyof typeof apigw.ResponseType],
  'prototype'
>;

/** The contract error code of every response API Gateway produces itself (its status is the code's). */
export const GATEWAY_ERROR_CODES: Record<GatewayResponseName, ErrorCode> = {
  BAD_REQUEST_BODY: 'invalid_request',
  BAD_REQUEST_PARAMETERS: 'invalid_request',
  DEFAULT_4XX: 'invalid_request',
  MISSING_AUTHENTICATION_TOKEN: 'unauthorized',
  UNAUTHORIZED: 'unauthorized',
  INVALID_SIGNATURE: 'forbidden',
  EXPIRED_TOKEN: 'forbidden',
  ACCESS_DENIED: 'forbidden',
  INVALID_API_KEY: 'forbidden',
  WAF_FILTERED: 'forbidden',
  RESOURCE_NOT_FOUND: 'route_not_found',
  REQUEST_TOO_LARGE: 'payload_too_large',
  UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
  THROTTLED: 'throttled',
  QUOTA_EXCEEDED: 'throttled',
  INTEGRATION_FAILURE: 'integration_failure',
  INTEGRATION_TIMEOUT: 'integration_timeout',
  DEFAULT_5XX: 'internal_error',
  API_CONFIGURATION_ERROR: 'internal_error',
  AUTHORIZER_FAILURE: 'internal_error',
  AUTHORIZER_CONFIGURATION_ERROR: 'internal_error',
};

/**
 * The body template of a gateway response. Gateway response templates are not VTL (simple `$context`
 * substitution only, no `$util.escapeJavaScript`), so the only value placed in them is
 * `$context.error.messageString`, which API Gateway substitutes already quoted and escaped as a JSON
 * string. `$context.error.validationErrorString` is raw text with quotes in it and is left out; the
 * handler names the invalid fields when it validates the same schema.
 */
export function gatewayResponseTemplate(name: GatewayResponseName): string {
  const code = GATEWAY_ERROR_CODES[name];
  const details =
    name === 'BAD_REQUEST_BODY'
      ? ',"details":[{"field":"body","message":"does not match the request body schema of the operation (GET /v1/openapi.json)"}]'
      : '';
  return `{"error":{"code":"${code}","message":$context.error.messageString${details}}}`;
}

/** The REST API in front of the request handler. */
export class DsrApi extends Construct {
  readonly api: apigw.RestApi;

  constructor(scope: Construct, id: string, props: DsrApiProps) {
    super(scope, id);
    const { settings } = props;
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: settings.logRetentionDays });
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: `${settings.prefix}-requests`,
      description: 'Data-subject requests (export, erasure): /v1/requests',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      cloudWatchRole: true,
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      deployOptions: {
        stageName: API_STAGE,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        throttlingRateLimit: settings.apiThrottleRateLimit,
        throttlingBurstLimit: settings.apiThrottleBurstLimit,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Request/response bodies carry customer ids: never logged.
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
      },
    });
    for (const name of Object.keys(GATEWAY_ERROR_CODES) as GatewayResponseName[]) {
      this.api.addGatewayResponse(`Gateway${name}`, {
        type: apigw.ResponseType[name],
        statusCode: String(ERROR_CODES[GATEWAY_ERROR_CODES[name]].status),
        templates: { 'application/json': gatewayResponseTemplate(name) },
      });
    }

    const integration = new apigw.LambdaIntegration(props.handler, { allowTestInvoke: false });
    const bodyValidator = this.api.addRequestValidator('BodyValidator', { validateRequestBody: true, validateRequestParameters: true });
    const paramsValidator = this.api.addRequestValidator('ParamsValidator', { validateRequestParameters: true });
    const models = new Map<z.ZodType, apigw.Model>();
    const modelOf = (schema: z.ZodType): apigw.Model => {
      const modelName = API_SCHEMAS.get(schema)?.id;
      if (!modelName) throw new Error('A request body schema of the contract needs an id in API_SCHEMAS (it names the gateway model)');
      const model = models.get(schema) ?? this.api.addModel(`${modelName}Model`, { contentType: 'application/json', modelName, schema: gatewayModelSchema(schema) });
      models.set(schema, model);
      return model;
    };

    const resources = new Set<apigw.IResource>();
    for (const operation of Object.values(API_OPERATIONS) as ApiOperation[]) {
      const resource = this.api.root.resourceForPath(operation.path);
      resources.add(resource);
      const requestParameters = {
        ...Object.fromEntries(Object.keys(operation.params ?? {}).map((name) => [`method.request.path.${name}`, true])),
        ...Object.fromEntries(Object.keys(operation.query?.shape ?? {}).map((name) => [`method.request.querystring.${name}`, false])),
      };
      resource.addMethod(operation.method, integration, {
        requestValidator: operation.body ? bodyValidator : paramsValidator,
        ...(Object.keys(requestParameters).length ? { requestParameters } : {}),
        ...(operation.body ? { requestModels: { 'application/json': modelOf(operation.body) } } : {}),
      });
    }
    // Wrong methods on known routes (405) and unknown routes (404) reach the handler instead of a gateway 403.
    for (const resource of resources) resource.addMethod('ANY', integration);
    this.api.root.addProxy({ defaultIntegration: integration, anyMethod: true });

    Validations.of(this.api).acknowledge(
        {
          id: 'AwsSolutions-COG4',
          reason: 'Callers are the portal backend and ops tools with AWS credentials: every method uses IAM (SigV4) authorization instead of Cognito.',
        },
        {
          id: 'AwsSolutions-APIG3',
          reason: 'IAM-authorized regional API reached only by signed callers; stage throttling limits abuse. Attach a WAF web ACL in the account if the company policy requires one.',
        },
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
          reason: 'The account-level API Gateway CloudWatch role uses the AWS managed AmazonAPIGatewayPushToCloudWatchLogs policy, as API Gateway requires.',
        },
    );
  }
}
