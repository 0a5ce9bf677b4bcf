import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { storeError } from '../errors';

/** Where and how to upload a stream. */
export interface StreamUploadTarget {
  bucket: string;
  key: string;
  contentType: string;
  partBytes: number;
  concurrency: number;
  /** Store id named in errors (e.g. `exports`). */
  storeId: string;
}

/**
 * Uploads a stream with a multipart upload (S3 makes the object visible only when the upload
 * completes, so a reader never sees a partial object). A failure of the source is rethrown as it is
 * (keeping its name, e.g. `StoreUnavailable` of the store being read); an S3 failure is wrapped
 * naming the target store.
 */
export async function uploadStream(s3: S3Client, target: StreamUploadTarget, body: Readable): Promise<void> {
  let sourceError: unknown;
  body.once('error', (error) => {
    sourceError ??= error;
  });
  const upload = new Upload({
    client: s3,
    params: { Bucket: target.bucket, Key: target.key, Body: body, ContentType: target.contentType },
    partSize: target.partBytes,
    queueSize: target.concurrency,
    leavePartsOnError: false,
  });
  try {
    await upload.done();
  } catch (error) {
    throw sourceError ?? storeError(target.storeId, error);
  }
  if (sourceError) throw sourceError;
}

/** A byte stream from an async generator of buffers (pull-based: it runs only as fast as it is read). */
export function bufferStream(source: AsyncIterable<Buffer>): Readable {
  return Readable.from(source, { objectMode: false });
}
