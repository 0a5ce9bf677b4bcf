import { LOCAL_ACCOUNT_ID } from './lambda-runtime';

/**
 * What IAM evaluates for one AWS SDK call: the action, the resource ARN and the request context keys
 * the pipeline's policies use, as AWS derives them from the request (S3 bucket/object ARNs from
 * Bucket/Key, DynamoDB table/index ARNs from TableName/IndexName and each table of a batch, Step
 * Functions machine/execution ARNs, the EventBridge bus of each entry, Secrets Manager secret ARNs).
 */

/** One authorisation request of a call (a batch call makes one per table or object). */
export interface IamRequest {
  action: string;
  resource: string;
  /** Request context keys, e.g. `s3:prefix` of a listing. */
  context?: Record<string, string>;
}

/** The SDK clients the local runtime authorises, by their `clientName`. */
export type AuthorisedClient = 'S3Client' | 'DynamoDBClient' | 'SFNClient' | 'EventBridgeClient' | 'CloudWatchClient' | 'SecretsManagerClient';

/** A call the mapping does not know: the local runtime fails it rather than let it through unchecked. */
export class UnmappedAwsCall extends Error {
  constructor(clientName: string, commandName: string) {
    super(`Local IAM has no action mapping for ${clientName} ${commandName}: add it to local/iam-requests.ts`);
    this.name = 'UnmappedAwsCall';
  }
}

type Input = Record<string, unknown>;

const S3_OBJECT_ACTIONS: Record<string, string> = {
  GetObject: 's3:GetObject',
  HeadObject: 's3:GetObject',
  PutObject: 's3:PutObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  ListParts: 's3:ListMultipartUploadParts',
  DeleteObject: 's3:DeleteObject',
};

const S3_BUCKET_ACTIONS: Record<string, string> = {
  ListObjectsV2: 's3:ListBucket',
  ListObjects: 's3:ListBucket',
  HeadBucket: 's3:ListBucket',
  ListObjectVersions: 's3:ListBucketVersions',
  GetBucketVersioning: 's3:GetBucketVersioning',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
};

const DYNAMODB_ACTIONS: Record<string, string> = {
  GetItem: 'dynamodb:GetItem',
  PutItem: 'dynamodb:PutItem',
  UpdateItem: 'dynamodb:UpdateItem',
  DeleteItem: 'dynamodb:DeleteItem',
  Query: 'dynamodb:Query',
  Scan: 'dynamodb:Scan',
  DescribeTable: 'dynamodb:DescribeTable',
  BatchGetItem: 'dynamodb:BatchGetItem',
  BatchWriteItem: 'dynamodb:BatchWriteItem',
};

/** Transaction item kinds and the action each needs on its table. */
const TRANSACT_ACTIONS: Record<string, string> = {
  Get: 'dynamodb:GetItem',
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/** Document-client command names (`GetCommand`) and low-level ones (`GetItemCommand`) to the operation. */
function operationOf(commandName: string): string {
  const name = commandName.replace(/Command$/, '');
  const documentNames: Record<string, string> = { Get: 'GetItem', Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', BatchGet: 'BatchGetItem', BatchWrite: 'BatchWriteItem', TransactGet: 'TransactGetItems', TransactWrite: 'TransactWriteItems' };
  return documentNames[name] ?? name;
}

/** The IAM requests of one SDK call. */
export function iamRequestsOf(clientName: string, commandName: string, input: Input, region: string): IamRequest[] {
  const operation = operationOf(commandName);
  const unmapped = (): never => {
    throw new UnmappedAwsCall(clientName, commandName);
  };
  switch (clientName as AuthorisedClient) {
    case 'S3Client':
      return s3Requests(operation, input) ?? unmapped();
    case 'DynamoDBClient':
      return dynamoRequests(operation, input, region) ?? unmapped();
    case 'SFNClient':
      return sfnRequests(operation, input) ?? unmapped();
    case 'EventBridgeClient':
      if (operation !== 'PutEvents') return unmapped();
      return [...new Set(((input.Entries as Input[] | undefined) ?? []).map((entry) => busArn(entry.EventBusName, region)))].map((resource) => ({ action: 'events:PutEvents', resource }));
    case 'CloudWatchClient':
      return operation === 'PutMetricData' ? [{ action: 'cloudwatch:PutMetricData', resource: '*' }] : unmapped();
    case 'SecretsManagerClient':
      return operation === 'GetSecretValue' || operation === 'DescribeSecret'
        ? [{ action: `secretsmanager:${operation}`, resource: secretArn(String(input.SecretId), region) }]
        : unmapped();
    default:
      return unmapped();
  }
}

function s3Requests(operation: string, input: Input): IamRequest[] | undefined {
  const bucket = `arn:aws:s3:::${String(input.Bucket)}`;
  const versioned = input.VersionId !== undefined;
  if (operation === 'GetObject' || operation === 'HeadObject') {
    return [{ action: versioned ? 's3:GetObjectVersion' : 's3:GetObject', resource: `${bucket}/${String(input.Key)}` }];
  }
  if (operation === 'DeleteObject') return [{ action: versioned ? 's3:DeleteObjectVersion' : 's3:DeleteObject', resource: `${bucket}/${String(input.Key)}` }];
  if (operation === 'DeleteObjects') {
    const objects = ((input.Delete as { Objects?: Input[] } | undefined)?.Objects ?? []);
    return objects.map((object) => ({ action: object.VersionId === undefined ? 's3:DeleteObject' : 's3:DeleteObjectVersion', resource: `${bucket}/${String(object.Key)}` }));
  }
  if (operation === 'CopyObject') {
    return [
      { action: 's3:PutObject', resource: `${bucket}/${String(input.Key)}` },
      { action: 's3:GetObject', resource: `arn:aws:s3:::${decodeURIComponent(String(input.CopySource)).replace(/^\//, '').replace(/\?versionId=.*$/, '')}` },
    ];
  }
  const objectAction = S3_OBJECT_ACTIONS[operation];
  if (objectAction) return [{ action: objectAction, resource: `${bucket}/${String(input.Key)}` }];
  const bucketAction = S3_BUCKET_ACTIONS[operation];
  if (!bucketAction) return undefined;
  // s3:prefix is in the request context only when the listing names a prefix (AWS leaves it out otherwise).
  const listing = operation.startsWith('List') && operation !== 'ListMultipartUploads';
  return [{ action: bucketAction, resource: bucket, ...(listing && typeof input.Prefix === 'string' ? { context: { 's3:prefix': input.Prefix } } : {}) }];
}

function tableArn(table: unknown, region: string): string {
  const name = String(table);
  return name.startsWith('arn:') ? name : `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT_ID}:table/${name}`;
}

function dynamoRequests(operation: string, input: Input, region: string): IamRequest[] | undefined {
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    return Object.keys((input.RequestItems as Input | undefined) ?? {}).map((table) => ({ action: `dynamodb:${operation}`, resource: tableArn(table, region) }));
  }
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    return ((input.TransactItems as Input[] | undefined) ?? []).flatMap((item) =>
      Object.entries(item).map(([kind, request]) => ({ action: TRANSACT_ACTIONS[kind] ?? `dynamodb:${kind}`, resource: tableArn((request as Input).TableName, region) })),
    );
  }
  const action = DYNAMODB_ACTIONS[operation];
  if (!action) return undefined;
  const table = tableArn(input.TableName, region);
  return [{ action, resource: typeof input.IndexName === 'string' ? `${table}/index/${input.IndexName}` : table }];
}

function sfnRequests(operation: string, input: Input): IamRequest[] | undefined {
  switch (operation) {
    case 'StartExecution':
    case 'StartSyncExecution':
    case 'ListExecutions':
    case 'DescribeStateMachine':
      return [{ action: `states:${operation}`, resource: String(input.stateMachineArn) }];
    case 'DescribeExecution':
    case 'GetExecutionHistory':
    case 'StopExecution':
      return [{ action: `states:${operation}`, resource: String(input.executionArn) }];
    default:
      return undefined;
  }
}

/** The ARN of an event bus given by name or ARN (`default` when unset). */
function busArn(bus: unknown, region: string): string {
  const name = typeof bus === 'string' && bus.length > 0 ? bus : 'default';
  return name.startsWith('arn:') ? name : `arn:aws:events:${region}:${LOCAL_ACCOUNT_ID}:event-bus/${name}`;
}

/** The ARN of a secret given by ARN or name. */
function secretArn(secretId: string, region: string): string {
  return secretId.startsWith('arn:') ? secretId : `arn:aws:secretsmanager:${region}:${LOCAL_ACCOUNT_ID}:secret:${secretId}`;
}
