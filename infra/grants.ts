import * as iam from 'aws-cdk-lib/aws-iam';
import type { StoreGrant } from '../functions/catalog';
import type { StoreResource } from './stores';

/**
 * Least-privilege IAM statements for one catalog store grant: exactly the actions the access level
 * needs on exactly that table (and its indexes) or bucket (and key prefix), plus the KMS use of the
 * store's key.
 */

type Level = 'read' | 'write' | 'delete' | 'describe';

/** The access levels a grant expands to (`read-write` is all three). */
export function accessLevels(access: StoreGrant['access']): Level[] {
  return access === 'read-write' ? ['read', 'write', 'delete'] : [access];
}

/** DynamoDB actions on the table per level; BatchWriteItem can delete, so it is a delete action only. */
export const TABLE_ACTIONS: Record<Level, string[]> = {
  read: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:BatchGetItem'],
  write: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
  delete: ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
  describe: ['dynamodb:DescribeTable'],
};

/** DynamoDB actions on the table's indexes (reads only). */
export const INDEX_ACTIONS = ['dynamodb:Query', 'dynamodb:Scan'];

/** S3 actions on the objects (under the key prefix) per level. */
export const OBJECT_ACTIONS: Record<Level, string[]> = {
  read: ['s3:GetObject'],
  write: ['s3:PutObject', 's3:AbortMultipartUpload'],
  delete: ['s3:DeleteObject'],
  describe: [],
};

/** S3 actions on the bucket itself (listing, restricted by `s3:prefix` when the grant has a key prefix; `describe`: whether it keeps versions). */
export const BUCKET_ACTIONS: Record<Level, string[]> = {
  read: ['s3:ListBucket'],
  write: [],
  delete: [],
  describe: ['s3:GetBucketVersioning'],
};

/** Bucket actions whose requests carry no `s3:prefix`: a prefix condition would deny them, so they are granted unconditioned. */
export const UNPREFIXED_BUCKET_ACTIONS = ['s3:GetBucketVersioning'];

/** S3 actions on the bucket for a grant with `versions` (a versioned bucket's verifier or eraser). */
export const VERSION_ACTIONS = ['s3:ListBucketVersions', 's3:GetBucketVersioning'];

/** S3 actions on the objects of a delete grant with `versions`: old versions and delete markers go too. */
export const VERSION_DELETE_ACTIONS = ['s3:DeleteObjectVersion'];

/** KMS actions on the store's key per level and store kind (DynamoDB decrypts for deletes too). */
function kmsActions(level: Level, kind: StoreResource['kind']): string[] {
  if (level === 'describe') return [];
  if (level === 'read') return ['kms:Decrypt', 'kms:DescribeKey'];
  if (level === 'write') return ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'];
  return kind === 'table' ? ['kms:Decrypt', 'kms:DescribeKey'] : [];
}

const union = (lists: string[][]): string[] => [...new Set(lists.flat())].sort();

/** The statements that give a role `grant` on `resource`. */
export function storeStatements(resource: StoreResource, grant: Pick<StoreGrant, 'access' | 'keyPrefix' | 'versions'>): iam.PolicyStatement[] {
  const levels = accessLevels(grant.access);
  const statements: iam.PolicyStatement[] = [];
  if (resource.kind === 'table') {
    statements.push(new iam.PolicyStatement({ actions: union(levels.map((level) => TABLE_ACTIONS[level])), resources: [resource.table.tableArn] }));
    if (levels.includes('read') && resource.indexNames.length > 0) {
      statements.push(
        new iam.PolicyStatement({
          actions: INDEX_ACTIONS,
          resources: resource.indexNames.map((name) => `${resource.table.tableArn}/index/${name}`),
        }),
      );
    }
  } else {
    const prefix = grant.keyPrefix ?? '';
    const objectActions = union([...levels.map((level) => OBJECT_ACTIONS[level]), grant.versions && levels.includes('delete') ? VERSION_DELETE_ACTIONS : []]);
    if (objectActions.length > 0) statements.push(new iam.PolicyStatement({ actions: objectActions, resources: [resource.bucket.arnForObjects(`${prefix}*`)] }));
    const bucketActions = union([...levels.map((level) => BUCKET_ACTIONS[level]), grant.versions ? VERSION_ACTIONS : []]);
    const listActions = bucketActions.filter((action) => !UNPREFIXED_BUCKET_ACTIONS.includes(action));
    const stateActions = bucketActions.filter((action) => UNPREFIXED_BUCKET_ACTIONS.includes(action));
    if (listActions.length > 0) {
      statements.push(
        new iam.PolicyStatement({
          actions: listActions,
          resources: [resource.bucket.bucketArn],
          conditions: prefix ? { StringLike: { 's3:prefix': [`${prefix}*`] } } : undefined,
        }),
      );
    }
    if (stateActions.length > 0) statements.push(new iam.PolicyStatement({ actions: stateActions, resources: [resource.bucket.bucketArn] }));
  }
  const keyActions = union(levels.map((level) => kmsActions(level, resource.kind)));
  if (resource.key && keyActions.length > 0) {
    statements.push(new iam.PolicyStatement({ actions: keyActions, resources: [resource.key.keyArn] }));
  }
  return statements;
}
