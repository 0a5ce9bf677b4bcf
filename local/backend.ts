import { DescribeTimeToLiveCommand, UpdateTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '../functions/core/errors';
import { DATA_MAP, isVersionedBucket, resourceName, type StoreDefinition } from '../functions/core/data-map';
import { SECRET_VARIABLES } from '../functions/shared/secrets';
import type { Emulators } from './emulators';
import type { LocalIamPolicies } from './iam-policies';

/**
 * An AWS-compatible backend (LocalStack, moto, …) holding the stores instead of the embedded emulators:
 * `npm start -- --endpoint-url URL`, `AWS_ENDPOINT_URL`, or the per-service `AWS_ENDPOINT_URL_S3`,
 * `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_SECRETS_MANAGER`. Step Functions, EventBridge and the
 * Lambda runtime stay the local runtime's own. On the backend the data map's tables and buckets are
 * created (versioning and TTL as in the stack, where the backend implements them) and, when it has
 * Secrets Manager, the two secrets, which the functions then read at cold start as in AWS.
 */

/** Where the backend's services answer, and with which credentials it is called. */
export interface Backend {
  s3: string;
  dynamodb: string;
  /** Secrets Manager endpoint; absent when only S3 and DynamoDB endpoints are configured. */
  secretsManager?: string;
  /** True when `AWS_ENDPOINT_URL_SECRETS_MANAGER` names it: then it must answer, else a backend without it is tolerated. */
  secretsManagerRequired: boolean;
  /** The one URL of every service (`--endpoint-url` or `AWS_ENDPOINT_URL`), also for the services the functions reach directly (CloudWatch). */
  endpointUrl?: string;
  credentials: BackendCredentials;
}

/** Credentials sent to the backend. */
export interface BackendCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Credentials used when the environment names none: LocalStack's defaults (account 000000000000; moto accepts any). */
export const DEFAULT_BACKEND_CREDENTIALS: BackendCredentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** The Secrets Manager secret created on the backend for each secret variable. */
export const BACKEND_SECRET_NAMES: Record<(typeof SECRET_VARIABLES)[number]['env'], string> = {
  DSR_HASH_KEY: 'dsr-local/hash-key',
  DSR_CALLBACK_SECRET: 'dsr-local/callback-secret',
};

/**
 * The backend configured by the `--endpoint-url` option and the environment, or undefined for the
 * embedded emulators. Per service, the option wins over `AWS_ENDPOINT_URL_<SERVICE>`, which wins over
 * `AWS_ENDPOINT_URL` (the AWS CLI's order). Throws `ConfigurationError` for a malformed URL or when S3
 * or DynamoDB would be left without an endpoint.
 */
export function resolveBackend(endpointUrl: string | undefined, env: NodeJS.ProcessEnv): Backend | undefined {
  const global = endpointUrl ? checkedUrl(endpointUrl, '--endpoint-url') : optionalUrl(env, 'AWS_ENDPOINT_URL');
  const perService = (variable: string): string | undefined => (endpointUrl ? global : (optionalUrl(env, variable) ?? global));
  const s3 = perService('AWS_ENDPOINT_URL_S3');
  const dynamodb = perService('AWS_ENDPOINT_URL_DYNAMODB');
  const secretsManager = perService('AWS_ENDPOINT_URL_SECRETS_MANAGER');
  if (!s3 && !dynamodb && !secretsManager) return undefined;
  if (!s3 || !dynamodb) {
    throw new ConfigurationError(`An AWS-compatible backend needs an S3 and a DynamoDB endpoint: set ${s3 ? 'AWS_ENDPOINT_URL_DYNAMODB' : 'AWS_ENDPOINT_URL_S3'} or AWS_ENDPOINT_URL, or pass --endpoint-url`);
  }
  const secretsManagerRequired = !endpointUrl && optionalUrl(env, 'AWS_ENDPOINT_URL_SECRETS_MANAGER') !== undefined;
  return { s3, dynamodb, secretsManager, secretsManagerRequired, endpointUrl: global, credentials: credentialsFrom(env) };
}

function optionalUrl(env: NodeJS.ProcessEnv, variable: string): string | undefined {
  const value = env[variable];
  return value ? checkedUrl(value, variable) : undefined;
}

function checkedUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(`${source} must be an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigurationError(`${source} must be an http(s) URL, got "${value}"`);
  return value.replace(/\/+$/, '');
}

/** The standard environment credentials, or LocalStack's defaults when none are set. */
function credentialsFrom(env: NodeJS.ProcessEnv): BackendCredentials {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  if (!accessKeyId && !secretAccessKey) return DEFAULT_BACKEND_CREDENTIALS;
  if (!accessKeyId || !secretAccessKey) throw new ConfigurationError('Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (then test/test)');
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

/** The port of an endpoint URL. */
function portOf(endpoint: string): number {
  const url = new URL(endpoint);
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}

/**
 * Error names of a backend that lacks an operation: dynalite's, LocalStack's and moto's; s3rver takes
 * PutBucketVersioning for a second CreateBucket and answers BucketAlreadyExists.
 */
const NOT_IMPLEMENTED = new Set(['NotImplemented', 'NotImplementedException', 'UnknownOperationException', 'BucketAlreadyExists']);

function isNotImplemented(error: unknown): boolean {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return NOT_IMPLEMENTED.has(name ?? '') || $metadata?.httpStatusCode === 501;
}

/**
 * Turns on what the stack sets on the stores besides their keys: versioning of the buckets that have it
 * (`isVersionedBucket`) and the tables' TTL attribute. A backend that does not implement one of them
 * (s3rver, dynalite) gets a logged note, not a failure.
 */
export async function configureStoreFeatures(
  clients: { dynamo: DynamoDBClient; s3: S3Client },
  log: (message: string, detail?: Record<string, unknown>) => void,
  stores: readonly StoreDefinition[] = DATA_MAP,
): Promise<void> {
  for (const store of stores) {
    const name = resourceName(store);
    try {
      if (isVersionedBucket(store)) {
        await clients.s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
      }
      const attribute = store.kind === 'dynamodb-table' ? store.table?.timeToLiveAttribute : undefined;
      if (attribute) {
        const { TimeToLiveDescription } = await clients.dynamo.send(new DescribeTimeToLiveCommand({ TableName: name }));
        const enabled = ['ENABLED', 'ENABLING'].includes(TimeToLiveDescription?.TimeToLiveStatus ?? '') && TimeToLiveDescription?.AttributeName === attribute;
        if (!enabled) await clients.dynamo.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: attribute, Enabled: true } }));
      }
    } catch (error) {
      if (!isNotImplemented(error)) throw error;
      log('backend does not implement a store setting of the stack', { store: store.id, errorName: (error as Error).name });
    }
  }
}

/** The secrets as they are on the backend: each secret variable's ARN and value. */
export interface BackendSecrets {
  /** Secret ARN by the variable naming it (`DSR_HASH_KEY_SECRET_ARN`). */
  arns: Record<string, string>;
  /** Secret value by secret variable (`DSR_HASH_KEY`). */
  values: Record<string, string>;
}

/**
 * Creates each secret on the backend's Secrets Manager with the given value unless it exists (then its
 * value there wins: it is the one the backend's data was hashed with). Undefined when the backend has
 * no Secrets Manager and none was required; then the secrets stay in the functions' environment.
 */
export async function provisionSecrets(
  backend: Backend,
  region: string,
  values: Record<string, string>,
  log: (message: string, detail?: Record<string, unknown>) => void,
): Promise<BackendSecrets | undefined> {
  if (!backend.secretsManager) return undefined;
  const client = new SecretsManagerClient({ region, endpoint: backend.secretsManager, credentials: backend.credentials, maxAttempts: 2 });
  try {
    try {
      await client.send(new ListSecretsCommand({ MaxResults: 1 }));
    } catch (error) {
      if (backend.secretsManagerRequired) throw error;
      log('backend has no Secrets Manager: the secrets stay in the functions environment', { errorName: (error as Error).name });
      return undefined;
    }
    const secrets: BackendSecrets = { arns: {}, values: {} };
    for (const variable of SECRET_VARIABLES) {
      const name = BACKEND_SECRET_NAMES[variable.env];
      const existing = await client.send(new GetSecretValueCommand({ SecretId: name })).catch((error: unknown) => {
        if ((error as Error).name === 'ResourceNotFoundException') return undefined;
        throw error;
      });
      const value = existing?.SecretString ?? values[variable.env];
      if (!value) throw new ConfigurationError(`Secret ${name} on the backend holds no string value`);
      const arn = existing?.ARN ?? (await client.send(new CreateSecretCommand({ Name: name, SecretString: value }))).ARN;
      if (!arn) throw new ConfigurationError(`The backend returned no ARN for secret ${name}`);
      secrets.arns[variable.secretArnEnv] = arn;
      secrets.values[variable.env] = value;
    }
    return secrets;
  } finally {
    client.destroy();
  }
}

/**
 * Turns the functions' environment to the backend: its credentials, its single endpoint URL for the services the
 * local runtime does not serve, and, with Secrets Manager, the secrets' ARNs instead of their values.
 */
export function applyBackendEnvironment(env: Record<string, string>, backend: Backend, secrets: BackendSecrets | undefined): void {
  env.AWS_ACCESS_KEY_ID = backend.credentials.accessKeyId;
  env.AWS_SECRET_ACCESS_KEY = backend.credentials.secretAccessKey;
  if (backend.credentials.sessionToken) env.AWS_SESSION_TOKEN = backend.credentials.sessionToken;
  if (backend.endpointUrl) env.AWS_ENDPOINT_URL = backend.endpointUrl;
  if (!secrets) return;
  for (const variable of SECRET_VARIABLES) delete env[variable.env];
  Object.assign(env, secrets.arns);
  if (backend.secretsManager) env.AWS_ENDPOINT_URL_SECRETS_MANAGER = backend.secretsManager;
}

/**
 * The stack's policies with each secret's synthesized local ARN replaced by its ARN on the backend
 * (Secrets Manager adds a random suffix), so local IAM grants the same roles the backend's secrets.
 */
export function withBackendSecretArns(policies: LocalIamPolicies, secrets: BackendSecrets | undefined): LocalIamPolicies {
  if (!secrets) return policies;
  const replacements = new Map(Object.entries(secrets.arns).flatMap(([variable, arn]) => (policies.secretArns[variable] ? [[policies.secretArns[variable]!, arn] as const] : [])));
  const replace = (value: unknown): unknown => {
    if (typeof value === 'string') return replacements.get(value) ?? value;
    if (Array.isArray(value)) return value.map(replace);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, replace(entry)]));
    return value;
  };
  return { ...policies, principals: replace(policies.principals) as LocalIamPolicies['principals'], secretArns: { ...policies.secretArns, ...secrets.arns } };
}

/** The backend's S3 and DynamoDB in place of the embedded emulators (nothing to start or stop). */
export function backendServices(backend: Backend): Emulators {
  return {
    dynamodbEndpoint: backend.dynamodb,
    s3Endpoint: backend.s3,
    ports: { dynamodb: portOf(backend.dynamodb), s3: portOf(backend.s3) },
    close: async () => undefined,
  };
}
