import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MiddlewareStack } from '@smithy/types';
import { signChecksummedPayloadsUnhashed } from './s3-payload-signing';
import { TRACE_SDK_CALLS_ENV } from './tracing';

/**
 * AWS clients built only from standard SDK configuration (AWS_REGION, credentials chain,
 * AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>), so the same code runs against AWS, LocalStack or
 * the embedded local services. `DSR_S3_FORCE_PATH_STYLE=true` selects path-style S3 addressing for
 * endpoints without virtual-host DNS. Every client is traced with Powertools Tracer (X-Ray subsegments
 * per call; tracing is active in the stack), except in a function whose catalog entry traces its
 * invocation only (`DSR_TRACE_SDK_CALLS=false`). Off outside Lambda and with
 * `POWERTOOLS_TRACE_ENABLED=false`, which the local runtime sets.
 */

/** SDK options shared by every client: adaptive retries for throttling. */
const COMMON = { maxAttempts: 5, retryMode: 'adaptive' } as const;

/**
 * The tracer of every client (service name from `POWERTOOLS_SERVICE_NAME`), or none where per-call
 * tracing is off. Importing the X-Ray SDK alone installs its async hooks (cls-hooked, with a destroy
 * hook), which then run for every promise and tick of the process; in the volume builder, whose
 * 10,000 GetObjects of small photos are as many subsegments, that was about a quarter of its CPU time
 * (docs/performance.md). So the SDK is imported only where calls are traced.
 */
const tracer = process.env[TRACE_SDK_CALLS_ENV] === 'false' ? undefined : new (await import('@aws-lambda-powertools/tracer')).Tracer();

/** A client traced per call (an X-Ray subsegment each), or the client itself where per-call tracing is off. */
function traced<T>(client: T): T {
  return tracer ? tracer.captureAWSv3Client(client) : client;
}

let s3: S3Client | undefined;
let dynamo: DynamoDBClient | undefined;
let doc: DynamoDBDocumentClient | undefined;
let sfn: SFNClient | undefined;
let events: EventBridgeClient | undefined;
let cloudwatch: CloudWatchClient | undefined;
let secretsManager: SecretsManagerClient | undefined;

/** The shared S3 client (reused across warm invocations). */
export function s3Client(): S3Client {
  if (!s3) {
    const client = new S3Client({ ...COMMON, forcePathStyle: process.env.DSR_S3_FORCE_PATH_STYLE === 'true' });
    signChecksummedPayloadsUnhashed(client.middlewareStack as MiddlewareStack<object, object>);
    s3 = traced(client);
  }
  return s3;
}

/** The shared low-level DynamoDB client. */
export function dynamoClient(): DynamoDBClient {
  dynamo ??= traced(new DynamoDBClient(COMMON));
  return dynamo;
}

/** The shared DynamoDB document client (native JS values, undefined attributes dropped). */
export function documentClient(): DynamoDBDocumentClient {
  doc ??= DynamoDBDocumentClient.from(dynamoClient(), { marshallOptions: { removeUndefinedValues: true } });
  return doc;
}

/** The shared Step Functions client. */
export function sfnClient(): SFNClient {
  sfn ??= traced(new SFNClient(COMMON));
  return sfn;
}

/** The shared EventBridge client. */
export function eventBridgeClient(): EventBridgeClient {
  events ??= traced(new EventBridgeClient(COMMON));
  return events;
}

/** The shared CloudWatch client. */
export function cloudWatchClient(): CloudWatchClient {
  cloudwatch ??= traced(new CloudWatchClient(COMMON));
  return cloudwatch;
}

/** The shared Secrets Manager client (cold-start secret reads). */
export function secretsManagerClient(): SecretsManagerClient {
  secretsManager ??= traced(new SecretsManagerClient(COMMON));
  return secretsManager;
}
