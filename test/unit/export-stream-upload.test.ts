import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { StoreFailed } from '../../functions/core/errors';
import { bufferStream, uploadStream, type StreamUploadTarget } from '../../functions/core/export/stream-upload';
import { inFlight } from './helpers/in-flight';

const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const s3Mock = mockClient(s3);
const MB = 1024 * 1024;
const target: StreamUploadTarget = { bucket: 'dsr-exports', key: 'exports/r1/volume-1.zip', contentType: 'application/zip', partBytes: 5 * MB, concurrency: 2, storeId: 'exports' };

async function* chunks(...buffers: Buffer[]): AsyncGenerator<Buffer> {
  for (const buffer of buffers) yield buffer;
}

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"e"' });
  s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
  s3Mock.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({ ETag: `"p${input.PartNumber}"` }));
  s3Mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"done"' });
  s3Mock.on(AbortMultipartUploadCommand).resolves({});
});

describe('uploadStream', () => {
  it('uploads a stream smaller than one part as one object with its content type', async () => {
    // Act
    await uploadStream(s3, target, bufferStream(chunks(Buffer.from('PK'), Buffer.from('zip'))));

    // Assert
    const put = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: 'dsr-exports', Key: 'exports/r1/volume-1.zip', ContentType: 'application/zip' });
    expect(Buffer.from(put.Body as Uint8Array).toString()).toBe('PKzip');
  });

  it('uploads a larger stream in parts of partBytes, at most `concurrency` parts in flight', async () => {
    // Arrange
    const parts = inFlight();
    s3Mock.on(UploadPartCommand).callsFake((input: { PartNumber: number; Body: Uint8Array }) => parts.run(`part ${input.PartNumber} ${input.Body.length}`, { ETag: `"p${input.PartNumber}"` }, 10));

    // Act
    await uploadStream(s3, { ...target, concurrency: 1 }, bufferStream(chunks(Buffer.alloc(6 * MB, 1), Buffer.alloc(5 * MB, 2))));

    // Assert
    expect(s3Mock.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input).toMatchObject({ Bucket: 'dsr-exports', Key: 'exports/r1/volume-1.zip', ContentType: 'application/zip' });
    expect(parts.state.events.filter((event) => event.startsWith('start'))).toEqual([`start part 1 ${5 * MB}`, `start part 2 ${5 * MB}`, `start part 3 ${MB}`]);
    expect(parts.state.max).toBe(1);
    expect(s3Mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(1);
  });

  it('rethrows a failing source as it is, not as an error of the target store', async () => {
    // Arrange
    const failure = new Error('the source store could not be read');
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('PK');
      throw failure;
    }

    // Act
    const outcome = uploadStream(s3, target, bufferStream(failing()));

    // Assert
    await expect(outcome).rejects.toBe(failure);
  });

  it('wraps a refused upload naming the target store', async () => {
    // Arrange
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));

    // Act
    const outcome = uploadStream(s3, target, bufferStream(chunks(Buffer.from('PK'))));

    // Assert
    await expect(outcome).rejects.toThrow(StoreFailed);
    await expect(outcome).rejects.toThrow('Store "exports" failed: AccessDenied: denied');
  });

  it('aborts the multipart upload when a part fails, leaving no parts behind', async () => {
    // Arrange
    s3Mock.on(UploadPartCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));

    // Act
    const outcome = uploadStream(s3, target, bufferStream(chunks(Buffer.alloc(6 * MB, 1))));

    // Assert
    await expect(outcome).rejects.toThrow('Store "exports" failed');
    expect(s3Mock.commandCalls(AbortMultipartUploadCommand).map((call) => call.args[0].input)).toMatchObject([{ Bucket: 'dsr-exports', Key: 'exports/r1/volume-1.zip', UploadId: 'u1' }]);
  });
});

describe('bufferStream', () => {
  it('is a byte stream of the buffers in order', async () => {
    // Act
    const stream = bufferStream(chunks(Buffer.from('ab'), Buffer.from('c')));
    const read: Buffer[] = [];
    for await (const chunk of stream) read.push(chunk as Buffer);

    // Assert
    expect(stream.readableObjectMode).toBe(false);
    expect(Buffer.concat(read).toString()).toBe('abc');
  });
});
