import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { pascalCase } from '../functions/catalog';
import { isVersionedBucket, resourceName, type StoreDefinition, type TableSchema } from '../functions/core/data-map';
import { RETENTION_PREFIX, RETENTION_WORK_EXPIRY_DAYS } from '../functions/core/retention/plan';
import { EXPORTS_PREFIX, STAGING_PREFIX, type DsrSettings, type ImportedStore } from './settings';

/**
 * The stores of the data map: one DynamoDB table per `dynamodb-table` store and one S3 bucket per
 * `s3-bucket` store, all encrypted with the stack's customer-managed KMS key, or imported by name when
 * the company already runs them.
 */

/** A store's table in the stack (created or imported). */
export interface TableStore {
  kind: 'table';
  store: StoreDefinition;
  table: dynamodb.ITable;
  /** Names of the global secondary indexes (grants reach each index ARN). */
  indexNames: string[];
  /** The key encrypting the table, when the stack knows it. */
  key?: kms.IKey;
  imported: boolean;
}

/** A store's bucket in the stack (created or imported). */
export interface BucketStore {
  kind: 'bucket';
  store: StoreDefinition;
  bucket: s3.IBucket;
  /** The key encrypting the bucket, when the stack knows it. */
  key?: kms.IKey;
  imported: boolean;
}

/** A table or bucket of the data map. */
export type StoreResource = TableStore | BucketStore;

/** Properties of the stores construct. */
export interface DsrStoresProps {
  dataMap: readonly StoreDefinition[];
  settings: DsrSettings;
}

/** Business stores to import, by store id, from `importStores` and `importExisting`; throws for pipeline or unknown ids. */
export function storesToImport(dataMap: readonly StoreDefinition[], settings: DsrSettings): Map<string, ImportedStore> {
  const imports = new Map<string, ImportedStore>();
  if (settings.importExisting) {
    for (const store of dataMap.filter((candidate) => candidate.owner === 'business')) imports.set(store.id, resourceName(store));
  }
  for (const [id, imported] of Object.entries(settings.importStores)) {
    const store = dataMap.find((candidate) => candidate.id === id);
    if (!store) throw new Error(`importStores names unknown store "${id}"`);
    if (store.owner !== 'business') throw new Error(`importStores: "${id}" is a pipeline store; the stack always creates it`);
    imports.set(id, imported);
  }
  return imports;
}

/** Every table and bucket of the data map, plus the KMS key and the access-log bucket. */
export class DsrStores extends Construct {
  /** Customer-managed key encrypting every created store. */
  readonly key: kms.Key;
  /** Bucket receiving the S3 server access logs of the created buckets. */
  readonly accessLogBucket: s3.Bucket;
  /** The store resources by store id. */
  readonly byId = new Map<string, StoreResource>();

  constructor(scope: Construct, id: string, props: DsrStoresProps) {
    super(scope, id);
    const { settings } = props;
    this.key = new kms.Key(this, 'DataKey', {
      description: 'Encrypts the DSR pipeline stores (customer data, ledger, exports, audit)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(settings.accessLogRetentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log target bucket itself; logging it into itself would loop.',
    });

    const imports = storesToImport(props.dataMap, settings);
    for (const store of props.dataMap) {
      const imported = imports.get(store.id);
      const resource = imported === undefined ? this.create(store, settings) : this.import(store, imported);
      this.byId.set(store.id, resource);
    }
  }

  /** The store resource with the given id; throws for an unknown id. */
  get(id: string): StoreResource {
    const resource = this.byId.get(id);
    if (!resource) throw new Error(`No store "${id}" in the stack`);
    return resource;
  }

  /** One environment variable per store (`resource.env`) holding its physical table or bucket name. */
  environment(): Record<string, string> {
    const environment: Record<string, string> = {};
    for (const resource of this.byId.values()) {
      environment[resource.store.resource.env] = resource.kind === 'table' ? resource.table.tableName : resource.bucket.bucketName;
    }
    return environment;
  }

  private create(store: StoreDefinition, settings: DsrSettings): StoreResource {
    const logicalId = pascalCase(store.id);
    if (store.kind === 'dynamodb-table') {
      const schema = tableSchema(store);
      const table = new dynamodb.Table(this, logicalId, {
        partitionKey: { name: schema.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: schema.sortKey ? { name: schema.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.key,
        timeToLiveAttribute: schema.timeToLiveAttribute,
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      for (const index of schema.indexes ?? []) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: index.sortKey ? { name: index.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
          projectionType: dynamodb.ProjectionType.ALL,
        });
      }
      return { kind: 'table', store, table, indexNames: (schema.indexes ?? []).map((index) => index.name), key: this.key, imported: false };
    }
    const bucket = new s3.Bucket(this, logicalId, {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: isVersionedBucket(store),
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: `${store.id}/`,
      removalPolicy: RemovalPolicy.RETAIN,
      ...bucketSpecifics(store, settings),
    });
    return { kind: 'bucket', store, bucket, key: this.key, imported: false };
  }

  private import(store: StoreDefinition, imported: ImportedStore): StoreResource {
    const name = typeof imported === 'string' ? imported : imported.name;
    const keyArn = typeof imported === 'string' ? undefined : imported.kmsKeyArn;
    const logicalId = pascalCase(store.id);
    const key = keyArn ? kms.Key.fromKeyArn(this, `${logicalId}Key`, keyArn) : undefined;
    if (store.kind === 'dynamodb-table') {
      const indexNames = (tableSchema(store).indexes ?? []).map((index) => index.name);
      const table = dynamodb.Table.fromTableAttributes(this, logicalId, { tableName: name, globalIndexes: indexNames, encryptionKey: key });
      return { kind: 'table', store, table, indexNames, key, imported: true };
    }
    const bucket = s3.Bucket.fromBucketAttributes(this, logicalId, { bucketName: name, encryptionKey: key });
    return { kind: 'bucket', store, bucket, key, imported: true };
  }
}

/** The key schema of a DynamoDB store; throws when the data map lacks it. */
function tableSchema(store: StoreDefinition): TableSchema {
  if (!store.table) throw new Error(`Store "${store.id}" is a DynamoDB table but has no key schema in the data map`);
  return store.table;
}

/**
 * Bucket settings that depend on the store's role: lifecycle of the exports bucket, object lock of the
 * audit bucket, expiry of noncurrent versions in the (versioned) business file buckets.
 */
function bucketSpecifics(store: StoreDefinition, settings: DsrSettings): Partial<s3.BucketProps> {
  if (store.owner === 'business' && store.holdsFiles) {
    return {
      lifecycleRules: [{ id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(settings.noncurrentVersionExpirationDays) }],
    };
  }
  if (store.id === 'exports') {
    return {
      lifecycleRules: [
        { id: 'expire-archives', prefix: EXPORTS_PREFIX, expiration: Duration.days(settings.exportsExpiryDays) },
        { id: 'expire-staging', prefix: STAGING_PREFIX, expiration: Duration.days(settings.stagingExpiryDays) },
        // The retention sweep's work files (run file with held customers' keyed hashes, expired-records files, Map results).
        { id: 'expire-retention-work-files', prefix: RETENTION_PREFIX, expiration: Duration.days(RETENTION_WORK_EXPIRY_DAYS) },
        {
          id: 'expire-noncurrent-and-incomplete',
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          expiredObjectDeleteMarker: true,
        },
      ],
    };
  }
  if (store.id === 'audit') {
    return {
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(settings.auditRetentionDays)),
    };
  }
  return {};
}
