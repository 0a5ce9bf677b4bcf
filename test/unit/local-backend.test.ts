import { DescribeTimeToLiveCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { PutBucketVersioningCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { DATA_MAP, getStore, isVersionedBucket, type StoreDefinition } from '../../functions/core/data-map';
import { ConfigurationError } from '../../functions/core/errors';
import { configureStoreFeatures, DEFAULT_BACKEND_CREDENTIALS, resolveBackend, withBackendSecretArns } from '../../local/backend';
import type { LocalIamPolicies } from '../../local/iam-policies';

describe('resolveBackend', () => {
  it('uses the embedded emulators when neither the option nor any endpoint variable is set', () => {
    expect(resolveBackend(undefined, { AWS_ACCESS_KEY_ID: 'key', AWS_SECRET_ACCESS_KEY: 'secret' })).toBeUndefined();
  });

  it('sends every service to AWS_ENDPOINT_URL, with LocalStack credentials when the environment has none', () => {
    const backend = resolveBackend(undefined, { AWS_ENDPOINT_URL: 'http://localhost:4566/' });

    expect(backend).toEqual({
      s3: 'http://localhost:4566',
      dynamodb: 'http://localhost:4566',
      secretsManager: 'http://localhost:4566',
      secretsManagerRequired: false,
      endpointUrl: 'http://localhost:4566',
      credentials: DEFAULT_BACKEND_CREDENTIALS,
    });
  });

  it('lets a per-service variable win over AWS_ENDPOINT_URL, and requires the Secrets Manager it names', () => {
    const backend = resolveBackend(undefined, { AWS_ENDPOINT_URL: 'http://all:1', AWS_ENDPOINT_URL_S3: 'http://s3:2', AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://sm:3' });

    expect(backend).toMatchObject({ s3: 'http://s3:2', dynamodb: 'http://all:1', secretsManager: 'http://sm:3', secretsManagerRequired: true, endpointUrl: 'http://all:1' });
  });

  it('lets --endpoint-url win over every variable, as the AWS CLI does', () => {
    const backend = resolveBackend('http://cli:4', { AWS_ENDPOINT_URL: 'http://all:1', AWS_ENDPOINT_URL_S3: 'http://s3:2', AWS_ENDPOINT_URL_DYNAMODB: 'http://db:5', AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://sm:3' });

    expect(backend).toMatchObject({ s3: 'http://cli:4', dynamodb: 'http://cli:4', secretsManager: 'http://cli:4', secretsManagerRequired: false, endpointUrl: 'http://cli:4' });
  });

  it('has no Secrets Manager when only the S3 and DynamoDB endpoints are set, and takes the credentials from the environment', () => {
    const backend = resolveBackend(undefined, {
      AWS_ENDPOINT_URL_S3: 'http://s3:2',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://db:5',
      AWS_ACCESS_KEY_ID: 'key',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
    });

    expect(backend).toMatchObject({ secretsManager: undefined, endpointUrl: undefined, credentials: { accessKeyId: 'key', secretAccessKey: 'secret', sessionToken: 'token' } });
  });

  it('refuses a backend without a DynamoDB endpoint, a malformed URL and half a key pair, naming the setting', () => {
    expect(() => resolveBackend(undefined, { AWS_ENDPOINT_URL_S3: 'http://s3:2' })).toThrow(/AWS_ENDPOINT_URL_DYNAMODB/);
    expect(() => resolveBackend('localhost:4566', {})).toThrow(ConfigurationError);
    expect(() => resolveBackend('ftp://localhost:4566', {})).toThrow(/--endpoint-url must be an http\(s\) URL/);
    expect(() => resolveBackend(undefined, { AWS_ENDPOINT_URL: 'http://all:1', AWS_ACCESS_KEY_ID: 'key' })).toThrow(/AWS_SECRET_ACCESS_KEY/);
  });
});

describe('configureStoreFeatures', () => {
  const ledgerWithTtl: StoreDefinition = { ...getStore('request-ledger'), table: { ...getStore('request-ledger').table!, timeToLiveAttribute: 'expiresAt' } };

  it('enables versioning on exactly the buckets the stack versions and the TTL the data map declares', async () => {
    const s3 = mockClient(S3Client);
    const dynamo = mockClient(DynamoDBClient);
    dynamo.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });

    await configureStoreFeatures({ dynamo: new DynamoDBClient({}), s3: new S3Client({}) }, () => undefined, [...DATA_MAP.filter((store) => store.kind === 's3-bucket'), ledgerWithTtl]);

    const versioned = s3.commandCalls(PutBucketVersioningCommand).map((call) => call.args[0].input);
    expect(versioned.map((input) => input.Bucket).sort()).toEqual(DATA_MAP.filter(isVersionedBucket).map((store) => store.resource.defaultName).sort());
    expect(versioned.every((input) => input.VersioningConfiguration?.Status === 'Enabled')).toBe(true);
    expect(dynamo.commandCalls(UpdateTimeToLiveCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: ledgerWithTtl.resource.defaultName, TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } },
    ]);
    s3.restore();
    dynamo.restore();
  });

  it('notes a setting the backend does not implement and fails on any other error', async () => {
    const s3 = mockClient(S3Client);
    const notes: unknown[] = [];
    s3.on(PutBucketVersioningCommand).rejects(new S3ServiceException({ name: 'NotImplemented', $fault: 'server', $metadata: { httpStatusCode: 501 } }));
    const clients = { dynamo: new DynamoDBClient({}), s3: new S3Client({}) };

    await configureStoreFeatures(clients, (message, detail) => notes.push({ message, detail }), [getStore('audit')]);
    s3.on(PutBucketVersioningCommand).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } }));
    const denied = configureStoreFeatures(clients, () => undefined, [getStore('audit')]);

    expect(notes).toEqual([{ message: 'backend does not implement a store setting of the stack', detail: { store: 'audit', errorName: 'NotImplemented' } }]);
    await expect(denied).rejects.toMatchObject({ name: 'AccessDenied' });
    s3.restore();
  });
});

describe('withBackendSecretArns', () => {
  it('grants the backend secret ARN wherever the synthesized policies granted the local one', () => {
    const local = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:HashKeyEC50E6F3';
    const real = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:dsr-local/hash-key-a1b2c3';
    const policies: LocalIamPolicies = {
      principals: { 'function:dsr-api': [{ Statement: [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: local }] }] },
      roles: { 'function:dsr-api': 'ApiRole' },
      secretArns: { DSR_HASH_KEY_SECRET_ARN: local, DSR_CALLBACK_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:CallbackSecret' },
    };

    const mapped = withBackendSecretArns(policies, { arns: { DSR_HASH_KEY_SECRET_ARN: real }, values: {} });

    expect(mapped.principals['function:dsr-api']![0]!.Statement[0]!.Resource).toBe(real);
    expect(mapped.secretArns).toEqual({ ...policies.secretArns, DSR_HASH_KEY_SECRET_ARN: real });
  });
});
