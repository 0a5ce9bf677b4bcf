import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_OPERATIONS, createRequestBody, extendRequestBody, listRequestsQuery } from '../../functions/core/api-contract';
import { gatewayModelSchema } from '../../infra/api';
import { OPENAPI, validateErrorBody } from '../unit/helpers/openapi';
import { renderGatewayTemplate } from './gateway-template';
import { buildStack, logicalId, type Built } from './helpers';

/** The logical id of the gateway model with the given name. */
function logicalIdOfModel(built: Built, name: string): string {
  const [id] = Object.entries(built.template.findResources('AWS::ApiGateway::Model')).find(([, model]) => model.Properties.Name === name) ?? [];
  if (!id) throw new Error(`No model ${name}`);
  return id;
}

/** Values that break a JSON string when substituted unescaped. */
const HOSTILE = ['say "hi"', 'back\\slash \\', 'line\nbreak\r\ttab', "it's 'quoted'", 'unicode é ✓ 😀 \u2028 \u0000', '"}]}, {"x":"', '$context.error.message'];

/** The error codes and their statuses as the OpenAPI document lists them. */
const DOCUMENT_CODES = (OPENAPI as unknown as { components: { schemas: { ErrorCode: { enum: string[]; 'x-error-statuses': Record<string, number> } } } }).components.schemas.ErrorCode;

/** The request API (IAM auth, validation, throttling, access logs, no CORS) and the alarms. */

describe('request API', () => {
  let built: Built;
  beforeAll(() => {
    built = buildStack();
  });

  it('authorizes every method with IAM (SigV4) and answers no CORS preflight', () => {
    // Act
    const methods = Object.values(built.template.findResources('AWS::ApiGateway::Method'));

    // Assert
    expect(methods.length).toBeGreaterThanOrEqual(6);
    for (const method of methods) expect(method.Properties.AuthorizationType).toBe('AWS_IAM');
    expect(methods.map((method) => method.Properties.HttpMethod)).not.toContain('OPTIONS');
  });

  it('routes /v1/requests, /v1/requests/{requestId} and its download to the http-api function', () => {
    // Act
    const paths = Object.values(built.template.findResources('AWS::ApiGateway::Resource')).map((resource) => resource.Properties.PathPart);
    const integrations = JSON.stringify(Object.values(built.template.findResources('AWS::ApiGateway::Method')).map((method) => method.Properties.Integration));

    // Assert
    expect(paths).toEqual(expect.arrayContaining(['v1', 'requests', '{requestId}', 'download', '{proxy+}']));
    expect(integrations).toContain(logicalId(built.stack, built.stack.functions.get('api')));
  });

  it('validates the POST body against the model generated from the contract, and the path and query parameters', () => {
    // Arrange
    const expected = gatewayModelSchema(createRequestBody);

    // Act
    const models = Object.values(built.template.findResources('AWS::ApiGateway::Model'));

    // Assert
    expect(models.map((model) => model.Properties.Name)).toEqual(expect.arrayContaining(['CreateRequest', 'ExtendRequest', 'DenyRequest']));
    expect(models.find((model) => model.Properties.Name === 'CreateRequest')!.Properties.Schema).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(models.find((model) => model.Properties.Name === 'ExtendRequest')!.Properties.Schema).toEqual(JSON.parse(JSON.stringify(gatewayModelSchema(extendRequestBody))));
    built.template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestValidatorId: Match.anyValue(),
      RequestModels: { 'application/json': { Ref: logicalIdOfModel(built, 'CreateRequest') } },
    });
    built.template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'DELETE',
      RequestValidatorId: Match.anyValue(),
      RequestParameters: { 'method.request.path.requestId': true },
    });
    built.template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      RequestParameters: Object.fromEntries(Object.keys(listRequestsQuery.shape).map((name) => [`method.request.querystring.${name}`, false])),
    });
  });

  it('has a method for every operation of the contract, GET /v1/openapi.json included', () => {
    // Arrange
    const resources = built.template.findResources('AWS::ApiGateway::Resource');
    const pathOf = (id: string): string => {
      const resource = resources[id];
      if (!resource) return '';
      const parent = resource.Properties.ParentId as { Ref?: string };
      return `${parent.Ref ? pathOf(parent.Ref) : ''}/${resource.Properties.PathPart}`;
    };

    // Act
    const methods = Object.values(built.template.findResources('AWS::ApiGateway::Method'))
      .filter((method) => method.Properties.HttpMethod !== 'ANY')
      .map((method) => `${method.Properties.HttpMethod} ${pathOf((method.Properties.ResourceId as { Ref: string }).Ref)}`);

    // Assert
    expect(methods.sort()).toEqual(Object.values(API_OPERATIONS).map((operation) => `${operation.method} ${operation.path}`).sort());
  });

  it('answers every response type of API Gateway itself with a documented error code and that code\'s status', () => {
    // Arrange
    const types = Object.values(apigw.ResponseType).filter((value): value is apigw.ResponseType => value instanceof apigw.ResponseType);

    // Act
    const responses = Object.values(built.template.findResources('AWS::ApiGateway::GatewayResponse')).map((response) => response.Properties);

    // Assert
    expect(responses.map((response) => response.ResponseType).sort()).toEqual(types.map((type) => type.responseType).sort());
    for (const response of responses) {
      const { code } = JSON.parse(renderGatewayTemplate(response.ResponseTemplates['application/json'], { 'error.message': 'm' })).error;
      expect(DOCUMENT_CODES.enum, response.ResponseType).toContain(code);
      expect(response.StatusCode, response.ResponseType).toBe(String(DOCUMENT_CODES['x-error-statuses'][code]));
    }
  });

  it.each(HOSTILE)('renders every gateway response as a documented error body whatever the message: %j', (hostile) => {
    // Arrange
    const context = { 'error.message': hostile, 'error.validationErrorString': hostile, 'error.responseType': hostile, requestId: hostile };
    const responses = Object.values(built.template.findResources('AWS::ApiGateway::GatewayResponse')).map((response) => response.Properties);

    // Act
    const bodies = responses.map((response) => ({ type: response.ResponseType as string, body: JSON.parse(renderGatewayTemplate(response.ResponseTemplates['application/json'], context)) }));

    // Assert
    for (const { type, body } of bodies) {
      expect(validateErrorBody(body), type).toBe('');
      expect(body.error.message, type).toBe(hostile);
    }
    expect(bodies.find(({ type }) => type === 'BAD_REQUEST_BODY')!.body.error.details).toEqual([{ field: 'body', message: expect.stringContaining('/v1/openapi.json') }]);
  });

  it('the template test catches a raw $context value inside a JSON string (the former validation template)', () => {
    // Arrange
    const former = '{"error":{"code":"invalid_request","message":$context.error.messageString,"details":"$context.error.validationErrorString"}}';

    // Act
    const render = () => JSON.parse(renderGatewayTemplate(former, { 'error.message': 'Invalid request body', 'error.validationErrorString': 'object has missing required properties (["brand"])' }));

    // Assert
    expect(render).toThrow(SyntaxError);
  });

  it('throttles the stage, writes access logs and never logs bodies', () => {
    // Assert
    built.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40, DataTraceEnabled: false, LoggingLevel: 'ERROR' })],
    });
  });

  it('takes throttling from the settings', () => {
    // Act
    const throttled = buildStack({ settings: { apiThrottleRateLimit: 5, apiThrottleBurstLimit: 10 } });

    // Assert
    throttled.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 })],
    });
  });
});

describe('alarms', () => {
  it('alarms on open requests near or past their deadline', () => {
    // Act
    const built = buildStack();

    // Assert
    for (const metricName of ['OverdueRequests', 'DueSoonRequests']) {
      built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'DSR',
        MetricName: metricName,
        Dimensions: [{ Name: 'service', Value: 'dsr' }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Period: 86400,
      });
    }
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsFailed', Namespace: 'AWS/States' });
  });

  it('notifies the configured SNS topic from every alarm', () => {
    // Act
    const built = buildStack({ settings: { alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:ops' } });

    // Assert
    const alarms = Object.values(built.template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:111122223333:ops']);
  });
});
