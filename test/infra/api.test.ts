import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildStack, logicalId, type Built } from './helpers';

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

  it('validates the POST body against the create-request model and the path parameters', () => {
    // Assert
    built.template.hasResourceProperties('AWS::ApiGateway::Model', {
      Schema: Match.objectLike({ required: ['type', 'customerId', 'brand'], properties: Match.objectLike({ brand: { type: 'string', enum: ['albelli', 'bonusprint', 'fotoknudsen', 'onskefoto', 'resnap'] } }) }),
    });
    built.template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestValidatorId: Match.anyValue(),
      RequestModels: { 'application/json': Match.anyValue() },
    });
    built.template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'DELETE',
      RequestValidatorId: Match.anyValue(),
      RequestParameters: { 'method.request.path.requestId': true },
    });
    built.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: 'BAD_REQUEST_BODY', StatusCode: '400' });
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
