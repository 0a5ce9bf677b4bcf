import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Brand } from '../brands';
import { customerKeyPrefix, resourceName, type StoreDefinition } from '../data-map';
import { storeError } from '../errors';

/** One object of a customer as listed (no bytes, no metadata). */
export interface ListedObject {
  key: string;
  size: number;
  etag?: string;
  lastModified?: string;
}

/** The bucket and key prefix that hold a customer's files in an S3 store. */
export function customerObjectLocation(
  store: StoreDefinition,
  customerId: string,
  brand: Brand,
  env: NodeJS.ProcessEnv = process.env,
): { bucket: string; prefix: string } {
  const locator = store.locator;
  if (store.kind !== 's3-bucket' || !locator || locator.by !== 'key-prefix') {
    throw new Error(`Store "${store.id}" is not an S3 store with a key-prefix locator`);
  }
  return { bucket: resourceName(store, env), prefix: customerKeyPrefix(locator, customerId, brand) };
}

/**
 * Yields every object under a customer's prefix, page by page (continuation tokens). The prefix ends
 * at a `/`, so customer `c1` never lists `c12/...`. Store errors are wrapped naming the store.
 */
export async function* listCustomerObjects(
  s3: S3Client,
  store: StoreDefinition,
  customerId: string,
  brand: Brand,
  options: { pageSize?: number; env?: NodeJS.ProcessEnv } = {},
): AsyncGenerator<ListedObject[]> {
  const { bucket, prefix } = customerObjectLocation(store, customerId, brand, options.env);
  let continuationToken: string | undefined;
  do {
    let page;
    try {
      page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: continuationToken, MaxKeys: options.pageSize }),
      );
    } catch (error) {
      throw storeError(store.id, error);
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
