import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, GetObjectCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidStatusTransition } from '../../functions/core/errors';
import { guardWrites } from '../../functions/core/export/write-guard';

const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);

beforeEach(() => {
  s3Mock.reset();
  s3Mock.onAnyCommand().resolves({});
});

describe('guardWrites', () => {
  it('sends the writes of a request still in progress, asking before each committing write only', async () => {
    // Arrange
    const asked: string[] = [];
    const guarded = guardWrites(s3, 'r1', async () => {
      asked.push('asked');
      return true;
    });

    // Act
    await guarded.send(new PutObjectCommand({ Bucket: 'b', Key: 'staging/r1/a.json', Body: '{}' }));
    await guarded.send(new UploadPartCommand({ Bucket: 'b', Key: 'exports/r1/v1.zip', UploadId: 'u', PartNumber: 1, Body: 'x' }));
    await guarded.send(new CompleteMultipartUploadCommand({ Bucket: 'b', Key: 'exports/r1/v1.zip', UploadId: 'u' }));
    await guarded.send(new GetObjectCommand({ Bucket: 'b', Key: 'staging/r1/a.json' }));

    // Assert
    expect(asked).toHaveLength(2);
    expect(s3Mock.calls()).toHaveLength(4);
  });

  it('answers with what the bucket answered, and still lets reads, part uploads and the abort of a refused upload through once cancelled', async () => {
    // Arrange
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"e1"' });
    s3Mock.on(UploadPartCommand).resolves({ ETag: '"p1"' });
    const running = guardWrites(s3, 'r1', async () => true);
    const cancelled = guardWrites(s3, 'r1', async () => false);

    // Act
    const put = await running.send(new PutObjectCommand({ Bucket: 'b', Key: 'staging/r1/a.json', Body: '{}' }));
    const part = await cancelled.send(new UploadPartCommand({ Bucket: 'b', Key: 'exports/r1/v1.zip', UploadId: 'u', PartNumber: 1, Body: 'x' }));
    await cancelled.send(new GetObjectCommand({ Bucket: 'b', Key: 'staging/r1/a.json' }));
    await cancelled.send(new AbortMultipartUploadCommand({ Bucket: 'b', Key: 'exports/r1/v1.zip', UploadId: 'u' }));

    // Assert
    expect(put).toMatchObject({ ETag: '"e1"' });
    expect(part).toMatchObject({ ETag: '"p1"' });
    expect(s3Mock.calls().map((call) => call.args[0].constructor.name)).toEqual(['PutObjectCommand', 'UploadPartCommand', 'GetObjectCommand', 'AbortMultipartUploadCommand']);
  });

  it.each([
    ['PutObject', new PutObjectCommand({ Bucket: 'b', Key: 'staging/r1/a.json', Body: '{}' })],
    ['CompleteMultipartUpload', new CompleteMultipartUploadCommand({ Bucket: 'b', Key: 'exports/r1/v1.zip', UploadId: 'u' })],
  ])('refuses a %s once the request is no longer in progress, and sends nothing', async (_name, command) => {
    // Arrange
    const guarded = guardWrites(s3, 'r1', async () => false);

    // Act
    const attempt = guarded.send(command as PutObjectCommand);

    // Assert
    await expect(attempt).rejects.toThrow(new InvalidStatusTransition('Request r1 is no longer in progress (cancelled); nothing more is written for it'));
    expect(s3Mock.calls()).toHaveLength(0);
  });
});
