import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import type { MiddlewareStack } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { signChecksummedPayloadsUnhashed } from '../../functions/shared/s3-payload-signing';

interface SentRequest {
  headers: Record<string, string>;
}

/** An S3 client whose requests, signed, end in a recorder instead of the network (an empty 200 each). */
function recordingClient(options: { requestChecksumCalculation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED'; endpoint?: string } = {}): { client: S3Client; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const client = new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    endpoint: 'https://s3.eu-west-1.amazonaws.com',
    forcePathStyle: true,
    maxAttempts: 1,
    ...options,
    requestHandler: {
      handle: async (request: SentRequest) => {
        sent.push({ headers: { ...request.headers } });
        return { response: { statusCode: 200, headers: {}, body: Readable.from([]) } };
      },
    },
  });
  signChecksummedPayloadsUnhashed(client.middlewareStack as MiddlewareStack<object, object>);
  return { client, sent };
}

/** The header names the request's SigV4 signature covers. */
function signedHeaders(request: SentRequest): string[] {
  return /SignedHeaders=([^,]+)/.exec(request.headers.authorization ?? '')![1]!.split(';');
}

describe('signChecksummedPayloadsUnhashed', () => {
  it('signs an upload that carries a checksum with UNSIGNED-PAYLOAD, the checksum itself signed', async () => {
    // Arrange
    const { client, sent } = recordingClient();

    // Act
    await client.send(new PutObjectCommand({ Bucket: 'exports', Key: 'a.zip', Body: Buffer.from('archive bytes') }));
    await client.send(new UploadPartCommand({ Bucket: 'exports', Key: 'a.zip', UploadId: 'u1', PartNumber: 1, Body: Buffer.from('part bytes') }));

    // Assert
    for (const request of sent) {
      expect(request.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
      expect(request.headers['x-amz-checksum-crc32']).toMatch(/^[A-Za-z0-9+/]{6}==$/);
      expect(signedHeaders(request)).toEqual(expect.arrayContaining(['x-amz-checksum-crc32', 'x-amz-content-sha256']));
    }
    expect(sent).toHaveLength(2);
  });

  it('signs the checksummed uploads of the embedded local S3, on loopback, the same way', async () => {
    // Arrange
    const { client, sent } = recordingClient({ endpoint: 'http://127.0.0.1:4569' });

    // Act
    await client.send(new PutObjectCommand({ Bucket: 'exports', Key: 'a.zip', Body: Buffer.from('archive bytes') }));

    // Assert
    expect(sent[0]!.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
  });

  it('still hashes an upload over plain HTTP to another host, where the signature is its only guard', async () => {
    // Arrange
    const { client, sent } = recordingClient({ endpoint: 'http://s3.example.internal' });
    const body = Buffer.from('archive bytes');

    // Act
    await client.send(new PutObjectCommand({ Bucket: 'exports', Key: 'a.zip', Body: body }));

    // Assert
    expect(sent[0]!.headers['x-amz-checksum-crc32']).toBeDefined();
    expect(sent[0]!.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('still hashes a body that has no checksum header', async () => {
    // Arrange
    const { client, sent } = recordingClient({ requestChecksumCalculation: 'WHEN_REQUIRED' });
    const body = Buffer.from('not checksummed');

    // Act
    await client.send(new PutObjectCommand({ Bucket: 'exports', Key: 'b.json', Body: body }));

    // Assert
    expect(Object.keys(sent[0]!.headers).some((name) => name.startsWith('x-amz-checksum-'))).toBe(false);
    expect(sent[0]!.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('leaves a request without a body as the SDK signs it, though it asks for checksums back', async () => {
    // Arrange
    const { client, sent } = recordingClient();

    // Act
    await client.send(new GetObjectCommand({ Bucket: 'exports', Key: 'a.zip' }));

    // Assert
    expect(sent[0]!.headers['x-amz-checksum-mode']).toBe('ENABLED');
    expect(sent[0]!.headers['x-amz-content-sha256']).toBe(createHash('sha256').update('').digest('hex'));
  });
});
