import { GetBucketVersioningCommand, GetObjectCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  countLeftUnder,
  customerObjectLocation,
  isVersioned,
  listCustomerObjects,
  listPrefixObjects,
  listPrefixVersions,
  readOptionalJson,
  writeJsonOnce,
} from '../../functions/core/connectors/s3-store';
import { getStore } from '../../functions/core/data-map';
import { StoreFailed, StoreUnavailable } from '../../functions/core/errors';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);

async function collect<T>(pages: AsyncGenerator<T[] | { items: T[] }>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...(Array.isArray(page) ? page : page.items));
  return all;
}

beforeEach(() => {
  s3Mock.reset();
});

describe('listCustomerObjects', () => {
  it('lists the customer prefix with a trailing delimiter and follows continuation tokens', async () => {
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({ Contents: [{ Key: 'customers/c1/a.jpg', Size: 3 }], IsTruncated: true, NextContinuationToken: 't1' })
      .resolvesOnce({ Contents: [{ Key: 'customers/c1/b.jpg', Size: 4 }], IsTruncated: false });

    const objects = await collect(listCustomerObjects(s3, getStore('uploaded-photos'), 'c1', { env }));

    expect(objects.map((object) => [object.key, object.size])).toEqual([
      ['customers/c1/a.jpg', 3],
      ['customers/c1/b.jpg', 4],
    ]);
    const calls = s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input);
    expect(calls.map((input) => [input.Prefix, input.ContinuationToken])).toEqual([
      ['customers/c1/', undefined],
      ['customers/c1/', 't1'],
    ]);
  });

  it('lists the photo library under every brand prefix', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'onskefoto/c1/' }).resolves({ Contents: [{ Key: 'onskefoto/c1/a/1.jpg', Size: 1 }] });

    const pages = await collect(listCustomerObjects(s3, getStore('photo-library'), 'c1', { env }));

    expect(s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.Prefix)).toEqual(['albelli/c1/', 'bonusprint/c1/', 'fotoknudsen/c1/', 'onskefoto/c1/', 'resnap/c1/']);
    expect(pages.flat().map((object) => object.key)).toEqual(['onskefoto/c1/a/1.jpg']);
  });

  it('wraps a missing bucket as StoreFailed', async () => {
    s3Mock.on(ListObjectsV2Command).rejects(Object.assign(new Error('no bucket'), { name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } }));

    await expect(collect(listCustomerObjects(s3, getStore('call-recordings'), 'c1', { env }))).rejects.toThrow(StoreFailed);
  });
});

const awsError = (name: string, httpStatusCode = 400) => Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode } });

async function pagesOf<T>(pages: AsyncGenerator<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(page);
  return all;
}

describe('customerObjectLocation', () => {
  it('names the bucket from the environment and every prefix of the customer', () => {
    const location = customerObjectLocation(getStore('uploaded-photos'), 'c1', { DSR_BUCKET_UPLOADED_PHOTOS: 'acme-uploads' });

    expect(location).toEqual({ bucket: 'acme-uploads', prefixes: ['customers/c1/'] });
  });

  it('refuses a table located by key prefix and a bucket located by partition key', () => {
    const tableWithPrefix = { ...getStore('marketing'), locator: getStore('uploaded-photos').locator };
    const bucketWithPartition = { ...getStore('uploaded-photos'), locator: getStore('marketing').locator };

    expect(() => customerObjectLocation(tableWithPrefix, 'c1', env)).toThrow('Store "marketing" is not an S3 store with a key-prefix locator');
    expect(() => customerObjectLocation(bucketWithPartition, 'c1', env)).toThrow('Store "uploaded-photos" is not an S3 store with a key-prefix locator');
  });

  it.each(['orders', 'exports'])('refuses %s, which is not an S3 store with a key-prefix locator', (id) => {
    expect(() => customerObjectLocation(getStore(id), 'c1', env)).toThrow(`Store "${id}" is not an S3 store with a key-prefix locator`);
  });
});

describe('listPrefixObjects', () => {
  it('lists with the page size, keeps only keys under the prefix and describes each object', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: 'customers/c1/a.jpg', Size: 3, ETag: '"e1"', LastModified: new Date('2026-01-02T03:04:05.000Z') },
        { Key: 'customers/c12/b.jpg', Size: 4 },
        { Size: 5 },
        { Key: 'customers/c1/empty' },
      ],
    });

    const pages = await pagesOf(listPrefixObjects(s3, 'uploaded-photos', 'bucket', 'customers/c1/', 10));

    expect(pages).toEqual([
      [
        { key: 'customers/c1/a.jpg', size: 3, etag: '"e1"', lastModified: '2026-01-02T03:04:05.000Z' },
        { key: 'customers/c1/empty', size: 0, etag: undefined, lastModified: undefined },
      ],
    ]);
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toEqual({ Bucket: 'bucket', Prefix: 'customers/c1/', MaxKeys: 10 });
  });

  it('yields no empty page and stops at a page that is not truncated, whatever token it carries', async () => {
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({ IsTruncated: true, NextContinuationToken: 't1' })
      .resolvesOnce({ Contents: [{ Key: 'p/a', Size: 1 }], IsTruncated: false, NextContinuationToken: 't2' })
      .resolves({ Contents: [{ Key: 'p/never', Size: 1 }] });

    const pages = await pagesOf(listPrefixObjects(s3, 'uploaded-photos', 'bucket', 'p/'));

    expect(pages.map((page) => page.map((object) => object.key))).toEqual([['p/a']]);
    expect(s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.ContinuationToken)).toEqual([undefined, 't1']);
  });

  it('wraps a throttled listing as StoreUnavailable naming the store', async () => {
    s3Mock.on(ListObjectsV2Command).rejects(awsError('SlowDown', 503));

    await expect(pagesOf(listPrefixObjects(s3, 'call-recordings', 'bucket', 'p/'))).rejects.toThrow(StoreUnavailable);
    await expect(pagesOf(listPrefixObjects(s3, 'call-recordings', 'bucket', 'p/'))).rejects.toThrow('Store "call-recordings" is unavailable: SlowDown: SlowDown happened');
  });
});

describe('isVersioned', () => {
  it.each([
    ['Enabled', true],
    ['Suspended', true],
    [undefined, false],
  ] as const)('a bucket whose versioning status is %s → %s', async (status, versioned) => {
    s3Mock.on(GetBucketVersioningCommand, { Bucket: 'bucket' }).resolves({ Status: status });

    await expect(isVersioned(s3, 'audit', 'bucket')).resolves.toBe(versioned);
  });

  it('treats a backend without the call (NotImplemented) as unversioned and wraps any other error naming the store', async () => {
    s3Mock.on(GetBucketVersioningCommand).rejectsOnce(awsError('NotImplemented', 501)).rejects(awsError('AccessDenied', 403));

    await expect(isVersioned(s3, 'audit', 'bucket')).resolves.toBe(false);
    await expect(isVersioned(s3, 'audit', 'bucket')).rejects.toThrow('Store "audit" failed: AccessDenied: AccessDenied happened');
  });
});

describe('listPrefixVersions', () => {
  it('counts versions and delete markers under the prefix, page by page, following both markers', async () => {
    s3Mock
      .on(ListObjectVersionsCommand)
      .resolvesOnce({
        Versions: [{ Key: 'p/a' }, { Key: 'p/b' }, { Key: 'q/c' }, {}],
        DeleteMarkers: [{ Key: 'p/a' }, { Key: 'q/a' }, {}],
        IsTruncated: true,
        NextKeyMarker: 'p/b',
        NextVersionIdMarker: 'v2',
      })
      .resolvesOnce({ IsTruncated: true, NextKeyMarker: 'p/c', NextVersionIdMarker: 'v3' })
      .resolvesOnce({ DeleteMarkers: [{ Key: 'p/c' }], IsTruncated: false, NextKeyMarker: 'p/d', NextVersionIdMarker: 'v4' })
      .resolves({ Versions: [{ Key: 'p/never' }] });

    const pages = await pagesOf(listPrefixVersions(s3, 'audit', 'bucket', 'p/'));

    expect(pages).toEqual([
      { versions: 2, deleteMarkers: 1 },
      { versions: 0, deleteMarkers: 1 },
    ]);
    expect(s3Mock.commandCalls(ListObjectVersionsCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'bucket', Prefix: 'p/' },
      { Bucket: 'bucket', Prefix: 'p/', KeyMarker: 'p/b', VersionIdMarker: 'v2' },
      { Bucket: 'bucket', Prefix: 'p/', KeyMarker: 'p/c', VersionIdMarker: 'v3' },
    ]);
  });

  it('yields a page of versions only', async () => {
    s3Mock.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: 'p/a' }] });

    await expect(pagesOf(listPrefixVersions(s3, 'audit', 'bucket', 'p/'))).resolves.toEqual([{ versions: 1, deleteMarkers: 0 }]);
  });

  it('wraps a failing listing naming the store', async () => {
    s3Mock.on(ListObjectVersionsCommand).rejects(awsError('AccessDenied', 403));

    await expect(pagesOf(listPrefixVersions(s3, 'audit', 'bucket', 'p/'))).rejects.toThrow('Store "audit" failed: AccessDenied: AccessDenied happened');
  });
});

describe('countLeftUnder', () => {
  it('counts the objects under every prefix of an unversioned bucket', async () => {
    s3Mock.on(GetBucketVersioningCommand).resolves({});
    s3Mock.on(ListObjectsV2Command, { Prefix: 'a/' }).resolves({ Contents: [{ Key: 'a/1' }, { Key: 'a/2' }] });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'b/' }).resolves({ Contents: [{ Key: 'b/1' }] });

    await expect(countLeftUnder(s3, 'uploaded-photos', 'bucket', ['a/', 'b/'])).resolves.toBe(3);
    expect(s3Mock.commandCalls(ListObjectVersionsCommand)).toHaveLength(0);
  });

  it('counts every version and delete marker under every prefix of a versioned bucket', async () => {
    s3Mock.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3Mock.on(ListObjectVersionsCommand, { Prefix: 'a/' }).resolves({ Versions: [{ Key: 'a/1' }, { Key: 'a/1' }], DeleteMarkers: [{ Key: 'a/1' }] });
    s3Mock.on(ListObjectVersionsCommand, { Prefix: 'b/' }).resolves({ DeleteMarkers: [{ Key: 'b/1' }] });

    await expect(countLeftUnder(s3, 'uploaded-photos', 'bucket', ['a/', 'b/'])).resolves.toBe(4);
    expect(s3Mock.commandCalls(ListObjectsV2Command)).toHaveLength(0);
  });
});

describe('readOptionalJson', () => {
  it('parses the stored object', async () => {
    s3Mock.on(GetObjectCommand, { Bucket: 'bucket', Key: 'x.json' }).resolves({ Body: { transformToString: async () => '{"count":2}' } } as never);

    await expect(readOptionalJson(s3, 'audit', 'bucket', 'x.json')).resolves.toEqual({ count: 2 });
  });

  it.each(['NoSuchKey', 'NotFound'])('answers undefined for %s', async (name) => {
    s3Mock.on(GetObjectCommand).rejects(awsError(name, 404));

    await expect(readOptionalJson(s3, 'audit', 'bucket', 'x.json')).resolves.toBeUndefined();
  });

  it('wraps any other error naming the store', async () => {
    s3Mock.on(GetObjectCommand).rejects(awsError('AccessDenied', 403));

    await expect(readOptionalJson(s3, 'audit', 'bucket', 'x.json')).rejects.toThrow('Store "audit" failed: AccessDenied: AccessDenied happened');
  });
});

describe('writeJsonOnce', () => {
  it('puts the document as JSON only if no object exists at the key, and answers it', async () => {
    s3Mock.on(PutObjectCommand).resolves({});

    await expect(writeJsonOnce(s3, 'audit', 'bucket', 'c.json', { a: 1 })).resolves.toEqual({ a: 1 });
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'bucket',
      Key: 'c.json',
      Body: JSON.stringify({ a: 1 }, null, 2),
      ContentType: 'application/json',
      IfNoneMatch: '*',
    });
  });

  it.each(['PreconditionFailed', 'ConditionalRequestConflict'])('answers the stored document when another writer got there first (%s)', async (name) => {
    s3Mock.on(PutObjectCommand).rejects(awsError(name, 412));
    s3Mock.on(GetObjectCommand, { Key: 'c.json' }).resolves({ Body: { transformToString: async () => '{"a":0}' } } as never);

    await expect(writeJsonOnce(s3, 'audit', 'bucket', 'c.json', { a: 1 })).resolves.toEqual({ a: 0 });
  });

  it('names the store when the write is refused, or when the first writer\'s document cannot be found', async () => {
    s3Mock.on(PutObjectCommand).rejectsOnce(awsError('AccessDenied', 403)).rejects(awsError('PreconditionFailed', 412));
    s3Mock.on(GetObjectCommand).rejects(awsError('NoSuchKey', 404));

    await expect(writeJsonOnce(s3, 'audit', 'bucket', 'c.json', {})).rejects.toThrow(new StoreFailed('Store "audit" failed: AccessDenied: AccessDenied happened'));
    await expect(writeJsonOnce(s3, 'audit', 'bucket', 'c.json', {})).rejects.toThrow('Store "audit" failed: PreconditionFailed');
  });
});
