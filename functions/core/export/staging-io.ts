import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { storeError } from '../errors';

/** Opens an object as a byte stream; errors are wrapped naming the store. */
export async function openObject(s3: S3Client, storeId: string, bucket: string, key: string): Promise<Readable> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return object.Body as Readable;
  } catch (error) {
    throw storeError(storeId, error);
  }
}

/** Yields the parsed lines of a JSON Lines object, one at a time (never the whole object in memory). */
export async function* readJsonLines<T>(s3: S3Client, bucket: string, key: string): AsyncGenerator<T> {
  const body = await openObject(s3, 'exports', bucket, key);
  const lines = createInterface({ input: body, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.length > 0) yield JSON.parse(line) as T;
  }
}

/** Reads a small JSON object (e.g. the volume plan). */
export async function readJson<T>(s3: S3Client, bucket: string, key: string): Promise<T> {
  const body = await openObject(s3, 'exports', bucket, key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}

/** Writes a small JSON object. */
export async function writeJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }));
  } catch (error) {
    throw storeError('exports', error);
  }
}
