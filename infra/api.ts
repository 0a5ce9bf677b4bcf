import { Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BRANDS } from '../functions/core/brands';
import { CUSTOMER_ID_PATTERN } from '../functions/core/data-map';
import type { DsrSettings } from './settings';

/**
 * The request API (issue 3): a REST API with IAM (SigV4) authorization on every method, explicit
 * `/v1/requests` routes with request validation, and catch-all `ANY` methods so the handler answers
 * unknown routes (404) and wrong methods (405) itself. Throttled, access-logged, traced, no CORS.
 */

/** Properties of the API construct. */
export interface DsrApiProps {
  /** The function behind every route (the catalog's `http-api` function). */
  handler: lambda.IFunction;
  settings: DsrSettings;
}

/** Name of the deployed stage. */
export const API_STAGE = 'prod';

/** JSON schema of the `POST /v1/requests` body (the handler validates it again with zod). */
export const CREATE_REQUEST_SCHEMA: apigw.JsonSchema = {
  schema: apigw.JsonSchemaVersion.DRAFT4,
  title: 'CreateRequest',
  type: apigw.JsonSchemaType.OBJECT,
  required: ['type', 'customerId', 'brand'],
  properties: {
    type: { type: apigw.JsonSchemaType.STRING, enum: ['export', 'erasure'] },
    customerId: { type: apigw.JsonSchemaType.STRING, pattern: CUSTOMER_ID_PATTERN.source },
    brand: { type: apigw.JsonSchemaType.STRING, enum: [...BRANDS] },
    requestId: { type: apigw.JsonSchemaType.STRING, pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' },
    verifiedBy: { type: apigw.JsonSchemaType.STRING, minLength: 1 },
    callbackUrl: { type: apigw.JsonSchemaType.STRING, pattern: '^https://' },
  },
};

/** Validation failures answered by API Gateway use the API's error shape `{ error: { code, message, details } }`. */
const VALIDATION_ERROR_TEMPLATE =
  '{"error":{"code":"invalid_request","message":$context.error.messageString,"details":"$context.error.validationErrorString"}}';

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
    for (const type of [apigw.ResponseType.BAD_REQUEST_BODY, apigw.ResponseType.BAD_REQUEST_PARAMETERS]) {
      this.api.addGatewayResponse(`Gateway${type.responseType}`, {
        type,
        statusCode: '400',
        templates: { 'application/json': VALIDATION_ERROR_TEMPLATE },
      });
    }

    const integration = new apigw.LambdaIntegration(props.handler, { allowTestInvoke: false });
    const bodyValidator = this.api.addRequestValidator('BodyValidator', { validateRequestBody: true, validateRequestParameters: true });
    const paramsValidator = this.api.addRequestValidator('ParamsValidator', { validateRequestParameters: true });
    const createModel = this.api.addModel('CreateRequestModel', { contentType: 'application/json', modelName: 'CreateRequest', schema: CREATE_REQUEST_SCHEMA });

    const requests = this.api.root.addResource('v1').addResource('requests');
    requests.addMethod('POST', integration, { requestValidator: bodyValidator, requestModels: { 'application/json': createModel } });
    requests.addMethod('GET', integration, {
      requestValidator: paramsValidator,
      requestParameters: { 'method.request.querystring.customerId': false, 'method.request.querystring.status': false },
    });
    const request = requests.addResource('{requestId}');
    const requestPath = { 'method.request.path.requestId': true };
    request.addMethod('GET', integration, { requestValidator: paramsValidator, requestParameters: requestPath });
    request.addMethod('DELETE', integration, { requestValidator: paramsValidator, requestParameters: requestPath });
    const download = request.addResource('download');
    download.addMethod('GET', integration, {
      requestValidator: paramsValidator,
      requestParameters: { ...requestPath, 'method.request.querystring.volume': false },
    });
    // Wrong methods on known routes (405) and unknown routes (404) reach the handler instead of a gateway 403.
    for (const resource of [requests, request, download]) resource.addMethod('ANY', integration);
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
