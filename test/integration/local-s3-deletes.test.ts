import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulators, type Emulators } from '../../local/emulators';

/**
 * The embedded S3 deletes an object without listing its folder (s3rver read the whole folder before
 * removing an emptied one, once per deleted key): the object is gone, its neighbours stay, and the
 * folders a delete empties are removed from the deepest up, as s3rver's own clean-up does.
 */

const BUCKET = 'delete-test';
let dataDir: string;
let emulators: Emulators;
let s3: S3Client;

/** The keys the bucket lists. */
async function listed(prefix = ''): Promise<string[]> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (page.Contents ?? []).map((object) => object.Key!).sort();
}

/** The entries of a folder of the bucket on disk (undefined once it is gone). */
async function onDisk(...folders: string[]): Promise<string[] | undefined> {
  const path = join(dataDir, 's3', BUCKET, ...folders);
  return existsSync(path) ? (await readdir(path)).sort() : undefined;
}

async function put(...keys: string[]): Promise<void> {
  for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-s3-deletes-'));
  emulators = await startEmulators(dataDir, { dynamodb: 0, s3: 0 });
  s3 = new S3Client({ endpoint: emulators.s3Endpoint, forcePathStyle: true, region: 'eu-west-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  s3.destroy();
  await emulators.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('embedded S3 deletes', () => {
  it('removes one object, keeps its neighbours, and removes each folder the delete emptied', async () => {
    // Arrange
    await put('a/b/one.jpg', 'a/b/two.jpg', 'a/three.jpg', 'top.jpg');

    // Act: the first delete leaves a/b non-empty, the second empties it, the third empties a
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'a/b/one.jpg' }));
    const afterFirst = { keys: await listed(), folder: await onDisk('a', 'b') };
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'a/b/two.jpg' }));
    const afterSecond = { keys: await listed(), inner: await onDisk('a', 'b'), outer: await onDisk('a') };
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'a/three.jpg' }));

    // Assert
    expect(afterFirst.keys).toEqual(['a/b/two.jpg', 'a/three.jpg', 'top.jpg']);
    expect(afterFirst.folder?.some((entry) => entry.startsWith('two.jpg'))).toBe(true);
    expect(afterSecond.keys).toEqual(['a/three.jpg', 'top.jpg']);
    expect(afterSecond.inner).toBeUndefined();
    expect(afterSecond.outer?.every((entry) => entry.startsWith('three.jpg'))).toBe(true);
    expect(await listed()).toEqual(['top.jpg']);
    expect(await onDisk('a')).toBeUndefined();
    expect(await onDisk()).toBeDefined();
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'top.jpg' }));
  });

  it('deletes a thousand keys of one folder in one DeleteObjects, leaves another customer\'s folder, and removes the emptied one', async () => {
    // Arrange
    const keys = Array.from({ length: 1000 }, (_, index) => `uploads/customer-1/photo ${String(index).padStart(4, '0')}+é.jpg`);
    await Promise.all(Array.from({ length: 10 }, (_, lane) => put(...keys.filter((_key, index) => index % 10 === lane))));
    await put('uploads/customer-2/kept.jpg');

    // Act
    const result = await s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys.map((Key) => ({ Key })) } }));

    // Assert
    expect(result.Errors ?? []).toEqual([]);
    expect(result.Deleted).toHaveLength(1000);
    expect(await listed('uploads/')).toEqual(['uploads/customer-2/kept.jpg']);
    expect(await onDisk('uploads', 'customer-1')).toBeUndefined();
    expect(await onDisk('uploads', 'customer-2')).toBeDefined();
  });

  it('answers a delete of a key that does not exist as S3 does, changing nothing', async () => {
    // Arrange
    await put('kept/one.jpg');

    // Act
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'kept/missing.jpg' }));
    const batch = await s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'gone/never.jpg' }] } }));

    // Assert
    expect(batch.Errors ?? []).toEqual([]);
    expect(await listed('kept/')).toEqual(['kept/one.jpg']);
  });
});
