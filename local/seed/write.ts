import { Readable } from 'node:stream';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';
import { getStore, resourceName, type CustomerStoreId } from '../../functions/core/data-map';

/** Writing seed records and files into the stores named by the data map. */

/** The clients the seeders write with. */
export interface SeedClients {
  s3: S3Client;
  doc: DynamoDBDocumentClient;
}

/** One item for a DynamoDB store. */
export interface SeedItem {
  store: CustomerStoreId;
  item: Record<string, unknown>;
}

/** One file for an S3 store; `body` is a buffer or a factory of chunks (streamed, any size). */
export interface SeedObject {
  store: CustomerStoreId;
  key: string;
  contentType: string;
  metadata: Record<string, string>;
  body: Buffer | (() => Iterable<Buffer>);
}

/** How many writes run at once. */
export const SEED_CONCURRENCY = 8;

/** Multipart part size for streamed files (the S3 minimum, so large test files stay small in memory). */
const PART_SIZE = 5 * 1024 * 1024;

/** Runs `task` over `items`, at most `concurrency` at a time. */
export async function forEachLimited<T>(items: Iterable<T>, concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  await Readable.from(items)
    .map(async (item: T) => task(item), { concurrency })
    .toArray();
}

/** Puts every item into its store's table. */
export async function putItems(doc: DynamoDBDocumentClient, items: Iterable<SeedItem>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await forEachLimited(items, SEED_CONCURRENCY, async ({ store, item }) => {
    await doc.send(new PutCommand({ TableName: resourceName(getStore(store), env), Item: item }));
  });
}

/** Puts one file into its store's bucket; chunked bodies go through a multipart upload. */
export async function putObject(s3: S3Client, object: SeedObject, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const params = {
    Bucket: resourceName(getStore(object.store), env),
    Key: object.key,
    ContentType: object.contentType,
    Metadata: object.metadata,
  };
  if (Buffer.isBuffer(object.body)) {
    await s3.send(new PutObjectCommand({ ...params, Body: object.body }));
    return;
  }
  await new Upload({ client: s3, params: { ...params, Body: Readable.from(object.body()) }, partSize: PART_SIZE, queueSize: 2 }).done();
}

/** Puts every file into its store's bucket, `concurrency` at a time. */
export async function putObjects(
  s3: S3Client,
  objects: Iterable<SeedObject>,
  env: NodeJS.ProcessEnv = process.env,
  concurrency = SEED_CONCURRENCY,
): Promise<void> {
  await forEachLimited(objects, concurrency, (object) => putObject(s3, object, env));
}
