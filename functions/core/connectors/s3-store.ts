import { GetBucketVersioningCommand, GetObjectCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { customerKeyPrefixes, resourceName, type StoreDefinition } from '../data-map';
import { storeError } from '../errors';

/** One object of a customer as listed (no bytes, no metadata). */
export interface ListedObject {
  key: string;
  size: number;
  etag?: string;
  lastModified?: string;
}

/** The bucket and every key prefix that can hold a customer's files in an S3 store (all brands). */
export function customerObjectLocation(
  store: StoreDefinition,
  customerId: string,
  env: NodeJS.ProcessEnv = process.env,
): { bucket: string; prefixes: string[] } {
  const locator = store.locator;
  if (store.kind !== 's3-bucket' || !locator || locator.by !== 'key-prefix') {
    throw new Error(`Store "${store.id}" is not an S3 store with a key-prefix locator`);
  }
  return { bucket: resourceName(store, env), prefixes: customerKeyPrefixes(locator, customerId) };
}

/**
 * Yields every object under each of a customer's prefixes, page by page (continuation tokens). A
 * prefix ends at a `/`, so customer `c1` never lists `c12/...`. Store errors are wrapped naming the store.
 */
export async function* listCustomerObjects(
  s3: S3Client,
  store: StoreDefinition,
  customerId: string,
  options: { pageSize?: number; env?: NodeJS.ProcessEnv } = {},
): AsyncGenerator<ListedObject[]> {
  const { bucket, prefixes } = customerObjectLocation(store, customerId, options.env);
  for (const prefix of prefixes) yield* listPrefixObjects(s3, store.id, bucket, prefix, options.pageSize);
}

/** Yields every object under one prefix of a bucket, page by page; store errors name the store. */
export async function* listPrefixObjects(s3: S3Client, storeId: string, bucket: string, prefix: string, pageSize?: number): AsyncGenerator<ListedObject[]> {
  let continuationToken: string | undefined;
  do {
    let page;
    try {
      page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: continuationToken, MaxKeys: pageSize }),
      );
    } catch (error) {
      throw storeError(storeId, error);
    }
    const objects = (page.Contents ?? [])
      .filter((object) => object.Key !== undefined && object.Key.startsWith(prefix))
      .map((object) => ({
        key: object.Key!,
        size: object.Size ?? 0,
        etag: object.ETag,
        lastModified: object.LastModified?.toISOString(),
      }));
    if (objects.length) yield objects;
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken);
}

/**
 * True when the bucket keeps versions (`Enabled` or `Suspended`: versions written while enabled stay).
 * A bucket that was never versioned answers without a status; so does the local S3, which has no
 * versioning, and one that does not implement the call (`NotImplemented`) is treated the same way.
 */
export async function isVersioned(s3: S3Client, storeId: string, bucket: string): Promise<boolean> {
  try {
    const response = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    return response.Status === 'Enabled' || response.Status === 'Suspended';
  } catch (error) {
    if (error instanceof Error && error.name === 'NotImplemented') return false;
    throw storeError(storeId, error);
  }
}

/** What a versioned bucket still holds under one listing page of a customer's prefixes. */
export interface VersionPage {
  /** Object versions, current or not. */
  versions: number;
  deleteMarkers: number;
}

/** Yields, page by page, the count of object versions and delete markers under one prefix of a bucket. */
export async function* listPrefixVersions(s3: S3Client, storeId: string, bucket: string, prefix: string): AsyncGenerator<VersionPage> {
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    let page;
    try {
      page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    } catch (error) {
      throw storeError(storeId, error);
    }
    const versions = (page.Versions ?? []).filter((version) => version.Key?.startsWith(prefix)).length;
    const deleteMarkers = (page.DeleteMarkers ?? []).filter((marker) => marker.Key?.startsWith(prefix)).length;
    if (versions || deleteMarkers) yield { versions, deleteMarkers };
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker !== undefined);
}

/**
 * How many copies are left under the prefixes of a bucket, for verification: every object, or in a
 * versioned bucket every object version and delete marker (an old version is a copy).
 */
export async function countLeftUnder(s3: S3Client, storeId: string, bucket: string, prefixes: readonly string[]): Promise<number> {
  const versioned = await isVersioned(s3, storeId, bucket);
  let left = 0;
  for (const prefix of prefixes) {
    if (versioned) {
      for await (const page of listPrefixVersions(s3, storeId, bucket, prefix)) left += page.versions + page.deleteMarkers;
    } else {
      for await (const page of listPrefixObjects(s3, storeId, bucket, prefix)) left += page.length;
    }
  }
  return left;
}

/** A small JSON object stored in a bucket, or undefined when there is none; other errors name the store. */
export async function readOptionalJson<T>(s3: S3Client, storeId: string, bucket: string, key: string): Promise<T | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await response.Body!.transformToString()) as T;
  } catch (error) {
    if (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound')) return undefined;
    throw storeError(storeId, error);
  }
}

/**
 * Writes a JSON document once (`If-None-Match: *`) and returns it; when another writer stored one at the
 * key first, returns the stored document instead. Other errors name the store.
 */
export async function writeJsonOnce<T>(s3: S3Client, storeId: string, bucket: string, key: string, document: T): Promise<T> {
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(document, null, 2), ContentType: 'application/json', IfNoneMatch: '*' }));
    return document;
  } catch (error) {
    if (error instanceof Error && (error.name === 'PreconditionFailed' || error.name === 'ConditionalRequestConflict')) {
      const written = await readOptionalJson<T>(s3, storeId, bucket, key);
      if (written !== undefined) return written;
    }
    throw storeError(storeId, error);
  }
}
