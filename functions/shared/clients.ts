import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * AWS clients built only from standard SDK configuration (AWS_REGION, credentials chain,
 * AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>), so the same code runs against AWS, LocalStack or
 * the embedded local services. `DSR_S3_FORCE_PATH_STYLE=true` selects path-style S3 addressing for
 * endpoints without virtual-host DNS.
 */

/** SDK options shared by every client: adaptive retries for throttling. */
const COMMON = { maxAttempts: 5, retryMode: 'adaptive' } as const;

let s3: S3Client | undefined;
let dynamo: DynamoDBClient | undefined;
let doc: DynamoDBDocumentClient | undefined;
let sfn: SFNClient | undefined;
let events: EventBridgeClient | undefined;
let cloudwatch: CloudWatchClient | undefined;

/** The shared S3 client (reused across warm invocations). */
export function s3Client(): S3Client {
  s3 ??= new S3Client({ ...COMMON, forcePathStyle: process.env.DSR_S3_FORCE_PATH_STYLE === 'true' });
  return s3;
}

/** The shared low-level DynamoDB client. */
export function dynamoClient(): DynamoDBClient {
  dynamo ??= new DynamoDBClient(COMMON);
  return dynamo;
}

/** The shared DynamoDB document client (native JS values, undefined attributes dropped). */
export function documentClient(): DynamoDBDocumentClient {
  doc ??= DynamoDBDocumentClient.from(dynamoClient(), { marshallOptions: { removeUndefinedValues: true } });
  return doc;
}

/** The shared Step Functions client. */
export function sfnClient(): SFNClient {
  sfn ??= new SFNClient(COMMON);
  return sfn;
}

/** The shared EventBridge client. */
export function eventBridgeClient(): EventBridgeClient {
  events ??= new EventBridgeClient(COMMON);
  return events;
}

/** The shared CloudWatch client. */
export function cloudWatchClient(): CloudWatchClient {
  cloudwatch ??= new CloudWatchClient(COMMON);
  return cloudwatch;
}
