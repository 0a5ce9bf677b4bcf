import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LOG_RETENTION_DAYS, DATA_MAP, type StoreDefinition } from '../../functions/core/data-map';
import { buildStack, logicalId, type Built } from './helpers';

/** The stores of the data map in the template: keys, indexes, encryption, backups, TLS, lifecycle, object lock, imports. */

const TABLE_STORES = DATA_MAP.filter((store) => store.kind === 'dynamodb-table');
const BUCKET_STORES = DATA_MAP.filter((store) => store.kind === 's3-bucket');
const BUSINESS_FILE_BUCKETS = BUCKET_STORES.filter((store) => store.owner === 'business' && store.holdsFiles);

/** The synthesized properties of a store's created table or bucket. */
function propertiesOf(built: Built, store: StoreDefinition): Record<string, any> {
  const resource = built.stack.stores.get(store.id);
  const construct = resource.kind === 'table' ? resource.table : resource.bucket;
  return built.template.toJSON().Resources[logicalId(built.stack, construct)].Properties;
}

describe('created stores', () => {
  let built: Built;
  beforeAll(() => {
    built = buildStack();
  });

  it.each(TABLE_STORES.map((store) => [store.id, store] as const))('table %s has the data-map keys, indexes and TTL', (_id, store) => {
    // Act
    const properties = propertiesOf(built, store);

    // Assert
    const schema = store.table!;
    expect(properties.KeySchema).toEqual([
      { AttributeName: schema.partitionKey, KeyType: 'HASH' },
      ...(schema.sortKey ? [{ AttributeName: schema.sortKey, KeyType: 'RANGE' }] : []),
    ]);
    const indexes = (properties.GlobalSecondaryIndexes ?? []).map((index: any) => ({
      name: index.IndexName,
      keys: index.KeySchema.map((key: any) => key.AttributeName),
      projection: index.Projection.ProjectionType,
    }));
    expect(indexes).toEqual(
      (schema.indexes ?? []).map((index) => ({ name: index.name, keys: [index.partitionKey, ...(index.sortKey ? [index.sortKey] : [])], projection: 'ALL' })),
    );
    expect(properties.TimeToLiveSpecification?.AttributeName).toBe(schema.timeToLiveAttribute);
  });

  it.each(TABLE_STORES.map((store) => [store.id, store] as const))('table %s is on-demand, PITR, KMS-encrypted and protected', (_id, store) => {
    // Act
    const properties = propertiesOf(built, store);

    // Assert
    expect(properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(properties.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [logicalId(built.stack, built.stack.stores.key), 'Arn'] } });
    expect(properties.DeletionProtectionEnabled).toBe(true);
    const resource = built.template.toJSON().Resources[logicalId(built.stack, (built.stack.stores.get(store.id) as { table: any }).table)];
    expect(resource.DeletionPolicy).toBe('Retain');
  });

  it.each(BUCKET_STORES.map((store) => [store.id, store] as const))('bucket %s is KMS-encrypted, private, logged and TLS-only', (_id, store) => {
    // Act
    const properties = propertiesOf(built, store);

    // Assert
    expect(properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'aws:kms',
      KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(built.stack, built.stack.stores.key), 'Arn'] },
    });
    expect(properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logicalId(built.stack, built.stack.stores.accessLogBucket) },
      LogFilePrefix: `${store.id}/`,
    });
    const bucketId = logicalId(built.stack, (built.stack.stores.get(store.id) as { bucket: any }).bucket);
    built.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it.each(BUCKET_STORES.map((store) => [store.id, store] as const))('bucket %s is versioned exactly when it holds customer files or proofs', (_id, store) => {
    // Act
    const properties = propertiesOf(built, store);

    // Assert
    const versioned = store.holdsFiles || store.id === 'audit';
    expect(properties.VersioningConfiguration?.Status).toBe(versioned ? 'Enabled' : undefined);
  });

  it('expires export archives after 7 days, staging after 1 day, and old versions and uploads', () => {
    // Act
    const rules = propertiesOf(built, DATA_MAP.find((store) => store.id === 'exports')!).LifecycleConfiguration.Rules;

    // Assert
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'exports/', ExpirationInDays: 7, Status: 'Enabled' }),
        expect.objectContaining({ Prefix: 'staging/', ExpirationInDays: 1, Status: 'Enabled' }),
        expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 1 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
      ]),
    );
  });

  it.each(BUSINESS_FILE_BUCKETS.map((store) => [store.id, store] as const))('bucket %s expires noncurrent versions after 30 days', (_id, store) => {
    // Act
    const properties = propertiesOf(built, store);

    // Assert
    expect(properties.VersioningConfiguration.Status).toBe('Enabled');
    expect(properties.LifecycleConfiguration.Rules).toEqual([{ Id: 'expire-noncurrent-versions', NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }]);
  });

  it('locks erasure certificates in governance mode for the default retention', () => {
    // Act
    const properties = propertiesOf(built, DATA_MAP.find((store) => store.id === 'audit')!);

    // Assert
    expect(properties.ObjectLockEnabled).toBe(true);
    expect(properties.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 2557 } },
    });
  });

  it('encrypts with a customer-managed key that rotates', () => {
    // Assert
    built.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
});

describe('settings from context', () => {
  it('takes lifecycle and object-lock periods from context', () => {
    // Arrange / Act
    const built = buildStack({}, { exportsExpiryDays: '3', stagingExpiryDays: 2, auditRetentionDays: '30' });

    // Assert
    const exportsRules = propertiesOf(built, DATA_MAP.find((store) => store.id === 'exports')!).LifecycleConfiguration.Rules;
    expect(exportsRules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'exports/', ExpirationInDays: 3 }),
        expect.objectContaining({ Prefix: 'staging/', ExpirationInDays: 2 }),
      ]),
    );
    expect(propertiesOf(built, DATA_MAP.find((store) => store.id === 'audit')!).ObjectLockConfiguration.Rule.DefaultRetention.Days).toBe(30);
  });

  it('takes the noncurrent-version and access-log retention from context', () => {
    // Arrange / Act
    const built = buildStack({}, { noncurrentVersionExpirationDays: '10', accessLogRetentionDays: 14 });

    // Assert
    for (const store of BUSINESS_FILE_BUCKETS) {
      expect(propertiesOf(built, store).LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration).toEqual({ NoncurrentDays: 10 });
    }
    const logBucket = built.template.toJSON().Resources[logicalId(built.stack, built.stack.stores.accessLogBucket)].Properties;
    expect(logBucket.LifecycleConfiguration.Rules).toEqual([{ Id: 'expire-access-logs', ExpirationInDays: 14, Status: 'Enabled' }]);
  });

  it('puts no noncurrent-version rule on imported buckets (documented in docs/operations.md instead)', () => {
    // Arrange / Act
    const built = buildStack({}, { importExisting: 'true' });

    // Assert
    const rules = Object.values(built.template.findResources('AWS::S3::Bucket')).flatMap((bucket: any) => bucket.Properties.LifecycleConfiguration?.Rules ?? []);
    expect(rules.map((rule: any) => rule.Id)).not.toContain('expire-noncurrent-versions');
  });
});

describe('imported stores', () => {
  it('imports the named business stores instead of creating them, and names them in the environment', () => {
    // Arrange
    const importStores = { orders: 'prod-orders', 'contact-history': 'prod-contacts', 'uploaded-photos': { name: 'prod-photos', kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/abc' } };

    // Act
    const built = buildStack({}, { importStores: JSON.stringify(importStores) });

    // Assert
    built.template.resourceCountIs('AWS::DynamoDB::Table', TABLE_STORES.length - 2);
    built.template.resourceCountIs('AWS::S3::Bucket', BUCKET_STORES.length - 1 + 1 /* access logs */);
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DSR_TABLE_ORDERS: 'prod-orders', DSR_TABLE_CONTACT_HISTORY: 'prod-contacts', DSR_BUCKET_UPLOADED_PHOTOS: 'prod-photos' }) },
    });
  });

  it('grants on an imported table and on its index ARNs, and on the imported key', () => {
    // Act
    const built = buildStack({}, { importStores: { 'contact-history': 'prod-contacts', 'uploaded-photos': { name: 'prod-photos', kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/abc' } } });

    // Assert
    const policies = JSON.stringify(built.template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(':table/prod-contacts"');
    expect(policies).toContain(':table/prod-contacts/index/byCustomer"');
    expect(policies).toContain('arn:aws:kms:eu-west-1:111122223333:key/abc');
    expect(policies).toContain(':::prod-photos/*"');
  });

  it('importExisting imports every business store under its resourceName and creates only pipeline stores', () => {
    // Act
    const built = buildStack({}, { importExisting: 'true' });

    // Assert
    const pipelineTables = TABLE_STORES.filter((store) => store.owner === 'pipeline').length;
    const pipelineBuckets = BUCKET_STORES.filter((store) => store.owner === 'pipeline').length;
    built.template.resourceCountIs('AWS::DynamoDB::Table', pipelineTables);
    built.template.resourceCountIs('AWS::S3::Bucket', pipelineBuckets + 1);
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DSR_TABLE_CUSTOMER_PROFILE: 'dsr-customer-profile', DSR_BUCKET_CALL_RECORDINGS: 'dsr-call-recordings' }) },
    });
  });

  it('refuses to import a pipeline store or an unknown store', () => {
    // Act / Assert
    expect(() => buildStack({}, { importStores: { 'request-ledger': 'x' } })).toThrow(/pipeline store/);
    expect(() => buildStack({}, { importStores: { nowhere: 'x' } })).toThrow(/unknown store/);
  });
});

describe('access logs', () => {
  it('expires server access logs after the retention the data map states (90 days)', () => {
    // Act
    const built = buildStack();

    // Assert
    const logBucket = built.template.toJSON().Resources[logicalId(built.stack, built.stack.stores.accessLogBucket)].Properties;
    expect(ACCESS_LOG_RETENTION_DAYS).toBe(90);
    expect(logBucket.LifecycleConfiguration.Rules).toEqual([{ Id: 'expire-access-logs', ExpirationInDays: ACCESS_LOG_RETENTION_DAYS, Status: 'Enabled' }]);
  });

  it('lets only the S3 logging service write the access-log bucket, by bucket policy instead of ACLs', () => {
    // Act
    const built = buildStack();

    // Assert
    const logBucket = logicalId(built.stack, built.stack.stores.accessLogBucket);
    expect(built.template.toJSON().Resources[logBucket].Properties.AccessControl).toBeUndefined();
    built.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logBucket },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' })]),
      },
    });
  });
});
