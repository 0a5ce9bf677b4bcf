import { Tracer } from '@aws-lambda-powertools/tracer';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * AWS clients built only from standard SDK configuration (AWS_REGION, credentials chain,
 * AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>), so the same code runs against AWS, LocalStack or
 * the embedded local services. `DSR_S3_FORCE_PATH_STYLE=true` selects path-style S3 addressing for
 * endpoints without virtual-host DNS. Every client is traced with Powertools Tracer (X-Ray subsegments
 * per call; tracing is active in the stack). Off outside Lambda and with `POWERTOOLS_TRACE_ENABLED=false`,
 * which the local runtime sets.
 */

/** SDK options shared by every client: adaptive retries for throttling. */
const COMMON = { maxAttempts: 5, retryMode: 'adaptive' } as const;

/** The tracer of every client (service name from `POWERTOOLS_SERVICE_NAME`). */
const tracer = new Tracer();

let s3: S3Client | undefined;
let dynamo: DynamoDBClient | undefined;
let doc: DynamoDBDocumentClient | undefined;
let sfn: SFNClient | undefined;
let events: EventBridgeClient | undefined;
let cloudwatch: CloudWatchClient | undefined;
let secretsManager: SecretsManagerClient | undefined;

/** The shared S3 client (reused across warm invocations). */
export function s3Client(): S3Client {
  s3 ??= tracer.captureAWSv3Client(new S3Client({ ...COMMON, forcePathStyle: process.env.DSR_S3_FORCE_PATH_STYLE === 'true' }));
  return s3;
}

/** The shared low-level DynamoDB client. */
export function dynamoClient(): DynamoDBClient {
  dynamo ??= tracer.captureAWSv3Client(new DynamoDBClient(COMMON));
  return dynamo;
}

/** The shared DynamoDB document client (native JS values, undefined attributes dropped). */
export function documentClient(): DynamoDBDocumentClient {
  doc ??= DynamoDBDocumentClient.from(dynamoClient(), { marshallOptions: { removeUndefinedValues: true } });
  return doc;
}

/** The shared Step Functions client. */
export function sfnClient(): SFNClient {
  sfn ??= tracer.captureAWSv3Client(new SFNClient(COMMON));
  return sfn;
}

/** The shared EventBridge client. */
export function eventBridgeClient(): EventBridgeClient {
  events ??= tracer.captureAWSv3Client(new EventBridgeClient(COMMON));
  return events;
}

/** The shared CloudWatch client. */
export function cloudWatchClient(): CloudWatchClient {
  cloudwatch ??= tracer.captureAWSv3Client(new CloudWatchClient(COMMON));
  return cloudwatch;
}

/** The shared Secrets Manager client (cold-start secret reads). */
export function secretsManagerClient(): SecretsManagerClient {
  secretsManager ??= tracer.captureAWSv3Client(new SecretsManagerClient(COMMON));
  return secretsManager;
}
