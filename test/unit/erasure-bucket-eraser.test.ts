import { DeleteObjectsCommand, GetBucketVersioningCommand, ListObjectsV2Command, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { getStore } from '../../functions/core/data-map';
import { DELETE_OBJECTS_LIMIT, deleteObjects, eraseBucket, erasePrefixes } from '../../functions/core/erasure/bucket-eraser';
import type { RetryPolicy } from '../../functions/core/erasure/config';
import type { RecordedEntry, StoreProgressLog } from '../../functions/core/erasure/progress';
import { StoreFailed, StoreUnavailable } from '../../functions/core/errors';
import { restoredAfterEach } from './helpers/replacements';

/**
 * The S3 eraser on its own, with a progress log that only remembers what it was given. Entry ids are
 * known answers (`printf 'erasure-entry:<bucket>\0<key>\0<versionId>' | openssl dgst -sha256 -hmac "$KEY"`,
 * first 32 hex digits).
 */

const KEY = 'kat-hash-key-0123456789abcdef0123';
const env = { DSR_HASH_KEY: KEY };
const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const s3Mock = mockClient(s3);
const replacements = restoredAfterEach();

let sleeps: number[];
let recorded: RecordedEntry[][];
const retry: RetryPolicy = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100, sleep: async (ms: number) => void sleeps.push(ms) };
const progress = {
  record: async (entries: readonly RecordedEntry[]) => void recorded.push([...entries]),
} as unknown as StoreProgressLog;
const deps = { s3, retry, progress, concurrency: 2, env };

/** The hash key in the process environment, as a function given no `env` reads it. */
function processHashKey(): void {
  replacements.setEnv('DSR_HASH_KEY', KEY);
}

const objects = (count: number) => Array.from({ length: count }, (_, i) => ({ Key: `customers/cust-0001/${i}.jpg` }));
const deletedKeys = () => s3Mock.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete!.Objects!.map((object) => `${object.Key}@${object.VersionId ?? ''}`));

beforeEach(() => {
  s3Mock.reset();
  sleeps = [];
  recorded = [];
  s3Mock.on(DeleteObjectsCommand).resolves({});
  s3Mock.on(GetBucketVersioningCommand).resolves({});
  // Jitter fixed at one half, so each backoff delay is known.
  const random = Math.random;
  replacements.replace(
    () => {
      Math.random = () => 0.5;
    },
    () => {
      Math.random = random;
    },
  );
});

describe('deleteObjects', () => {
  it('deletes quietly in batches of at most 1,000 keys', async () => {
    // Act
    await deleteObjects(s3, 'uploaded-photos', 'bucket', objects(2500), retry);

    // Assert
    const calls = s3Mock.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input);
    expect(DELETE_OBJECTS_LIMIT).toBe(1000);
    expect(calls.map((input) => [input.Bucket, input.Delete!.Quiet, input.Delete!.Objects!.length])).toEqual([
      ['bucket', true, 1000],
      ['bucket', true, 1000],
      ['bucket', true, 500],
    ]);
    expect(calls[1]!.Delete!.Objects![0]).toEqual({ Key: 'customers/cust-0001/1000.jpg' });
  });

  it('sends again only the keys (and versions) that failed transiently, after a growing backoff', async () => {
    // Arrange
    const targets = [
      { Key: 'p/a', VersionId: 'v1' },
      { Key: 'p/a', VersionId: 'v2' },
      { Key: 'p/b' },
    ];
    s3Mock
      .on(DeleteObjectsCommand)
      .resolvesOnce({ Errors: [{ Key: 'p/a', VersionId: 'v1', Code: 'SlowDown' }, { Key: 'p/b', Code: 'InternalError' }] })
      .resolvesOnce({ Errors: [{ Key: 'p/b', Code: 'ServiceUnavailable' }] })
      .resolves({});

    // Act
    await deleteObjects(s3, 'uploaded-photos', 'bucket', targets, retry);

    // Assert
    expect(deletedKeys()).toEqual([['p/a@v1', 'p/a@v2', 'p/b@'], ['p/a@v1', 'p/b@'], ['p/b@']]);
    expect(sleeps).toEqual([5, 10]);
  });

  it.each(['RequestTimeout', 'OperationAborted'])('retries a key failing with %s', async (code) => {
    // Arrange
    s3Mock.on(DeleteObjectsCommand).resolvesOnce({ Errors: [{ Key: 'p/a', Code: code }] }).resolves({});

    // Act
    await deleteObjects(s3, 'uploaded-photos', 'bucket', [{ Key: 'p/a' }], retry);

    // Assert
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(2);
  });

  it('fails with StoreFailed naming the store and each distinct refused code (never the keys)', async () => {
    // Arrange
    s3Mock.on(DeleteObjectsCommand).resolves({
      Errors: [
        { Key: 'p/secret-a', Code: 'AccessDenied' },
        { Key: 'p/secret-b', Code: 'AccessDenied' },
        { Key: 'p/secret-c' },
        { Key: 'p/secret-d', Code: 'SlowDown' },
      ],
    });

    // Act
    const outcome = deleteObjects(s3, 'uploaded-photos', 'bucket', objects(4), retry);

    // Assert
    await expect(outcome).rejects.toThrow(StoreFailed);
    await expect(outcome).rejects.toThrow(/^Store "uploaded-photos": 3 objects could not be deleted \(AccessDenied, unknown\)$/);
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(1);
  });

  it('fails with StoreUnavailable when keys still fail transiently after maxAttempts', async () => {
    // Arrange
    s3Mock.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'p/a', Code: 'SlowDown' }, { Key: 'p/b', Code: 'SlowDown' }] });

    // Act
    const outcome = deleteObjects(s3, 'uploaded-photos', 'bucket', [{ Key: 'p/a' }, { Key: 'p/b' }], retry);

    // Assert
    await expect(outcome).rejects.toThrow(StoreUnavailable);
    await expect(outcome).rejects.toThrow('Store "uploaded-photos": 2 objects still failing after 3 attempts');
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(3);
    expect(sleeps).toEqual([5, 10]);
  });

  it('wraps a refused call naming the store', async () => {
    // Arrange
    s3Mock.on(DeleteObjectsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));

    // Act
    const outcome = deleteObjects(s3, 'uploaded-photos', 'bucket', [{ Key: 'p/a' }], retry);

    // Assert
    await expect(outcome).rejects.toThrow('Store "uploaded-photos" failed: AccessDenied: denied');
  });
});

describe('erasePrefixes', () => {
  it('in a versioned bucket erases every version and delete marker under the prefix, recording each first', async () => {
    // Arrange
    s3Mock.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3Mock
      .on(ListObjectVersionsCommand)
      .resolvesOnce({
        Versions: [
          { Key: 'customers/cust-0001/a.jpg', VersionId: 'v-1', IsLatest: true, Size: 7 },
          { Key: 'customers/cust-0001/a.jpg', VersionId: 'v-0', IsLatest: false },
          { Key: 'customers/cust-00011/a.jpg', VersionId: 'x', IsLatest: true, Size: 9 },
          { VersionId: 'no-key' },
        ],
        DeleteMarkers: [
          { Key: 'customers/cust-0001/a.jpg', VersionId: 'm-1' },
          { Key: 'customers/cust-00011/b.jpg', VersionId: 'y' },
          { VersionId: 'no-key' },
        ],
        IsTruncated: true,
      })
      .resolves({});

    // Act
    const counts = await erasePrefixes(deps, 'uploaded-photos', 'dsr-uploaded-photos', ['customers/cust-0001/']);

    // Assert
    expect(recorded).toEqual([
      [
        { id: 'ef055b5d54edace735317294fb50847b', deleted: 1, retained: 0, versionsDeleted: 1, bytes: 7 },
        { id: expect.stringMatching(/^[0-9a-f]{32}$/), deleted: 0, retained: 0, versionsDeleted: 1, bytes: 0 },
        { id: 'a8d01a8f214f2bcda8df5d045345f742', deleted: 0, retained: 0, versionsDeleted: 1, bytes: 0 },
      ],
    ]);
    expect(deletedKeys()).toEqual([['customers/cust-0001/a.jpg@v-1', 'customers/cust-0001/a.jpg@v-0', 'customers/cust-0001/a.jpg@m-1']]);
    expect(counts).toEqual({ deleted: 1, retained: 0, versionsDeleted: 3, bytes: 7 });
    expect(s3Mock.commandCalls(ListObjectVersionsCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'dsr-uploaded-photos', Prefix: 'customers/cust-0001/' },
      { Bucket: 'dsr-uploaded-photos', Prefix: 'customers/cust-0001/' },
    ]);
    expect(s3Mock.commandCalls(ListObjectsV2Command)).toHaveLength(0);
  });

  it('in an unversioned bucket records each object (keyed id, size) and deletes it', async () => {
    // Arrange
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'customers/cust-0001/a.jpg', Size: 7 }, { Key: 'customers/cust-0001/b.jpg' }, {}] });
    processHashKey();

    // Act: without env, the entry ids are keyed with the process environment's hash key
    const counts = await erasePrefixes({ s3, retry, progress, concurrency: 2 }, 'uploaded-photos', 'dsr-uploaded-photos', ['customers/cust-0001/']);

    // Assert
    expect(recorded[0]![0]).toEqual({ id: 'a6653f54966b8039941ef69ffc4220db', deleted: 1, retained: 0, versionsDeleted: 0, bytes: 7 });
    expect(recorded[0]![1]).toMatchObject({ deleted: 1, bytes: 0 });
    expect(counts).toEqual({ deleted: 2, retained: 0, versionsDeleted: 0, bytes: 7 });
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toEqual({ Bucket: 'dsr-uploaded-photos', Prefix: 'customers/cust-0001/' });
  });

  it('goes on after a truncated page with nothing under the prefix, and stops at the last page', async () => {
    // Arrange: a backend that lists past the prefix
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({ Contents: [{ Key: 'customers/cust-00011/a.jpg' }], IsTruncated: true })
      .resolvesOnce({ Contents: [{ Key: 'customers/cust-00012/a.jpg' }], IsTruncated: true })
      .resolvesOnce({ Contents: [], IsTruncated: false });

    // Act
    const counts = await erasePrefixes({ ...deps, concurrency: 1 }, 'uploaded-photos', 'dsr-uploaded-photos', ['customers/cust-0001/']);

    // Assert
    expect(s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.StartAfter)).toEqual([undefined, 'customers/cust-00011/a.jpg', 'customers/cust-00012/a.jpg']);
    expect(counts).toEqual({ deleted: 0, retained: 0, versionsDeleted: 0, bytes: 0 });
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  it('stops at a truncated page that names no last key', async () => {
    // Arrange
    s3Mock.on(ListObjectsV2Command).resolves({ IsTruncated: true });

    // Act
    const counts = await erasePrefixes(deps, 'uploaded-photos', 'dsr-uploaded-photos', ['customers/cust-0001/']);

    // Assert
    expect(counts.deleted).toBe(0);
    expect(s3Mock.commandCalls(ListObjectsV2Command)).toHaveLength(1);
  });

  it('wraps a failing listing naming the store', async () => {
    // Arrange
    s3Mock.on(ListObjectsV2Command).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));

    // Act
    const outcome = erasePrefixes(deps, 'uploaded-photos', 'dsr-uploaded-photos', ['customers/cust-0001/']);

    // Assert
    await expect(outcome).rejects.toThrow('Store "uploaded-photos" failed: AccessDenied: denied');
  });
});

describe('eraseBucket', () => {
  it('erases under every brand prefix of a brand-partitioned store, in the bucket named in the environment, and sums the counts', async () => {
    // Arrange
    s3Mock.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({ Contents: [{ Key: `${input.Prefix}a.jpg`, Size: 2 }] }));

    // Act
    const counts = await eraseBucket({ ...deps, env: { ...env, DSR_BUCKET_PHOTO_LIBRARY: 'acme-library' } }, getStore('photo-library'), 'cust-0001');

    // Assert
    const listings = s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input);
    expect(listings.map((input) => `${input.Bucket}/${input.Prefix}`)).toEqual([
      'acme-library/albelli/cust-0001/',
      'acme-library/bonusprint/cust-0001/',
      'acme-library/fotoknudsen/cust-0001/',
      'acme-library/onskefoto/cust-0001/',
      'acme-library/resnap/cust-0001/',
    ]);
    expect(counts).toEqual({ deleted: 5, retained: 0, versionsDeleted: 0, bytes: 10 });
  });
});
