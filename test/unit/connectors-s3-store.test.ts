import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { listCustomerObjects } from '../../functions/core/connectors/s3-store';
import { getStore } from '../../functions/core/data-map';
import { StoreFailed } from '../../functions/core/errors';

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
