import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { exportConfig } from '../../functions/core/export/config';
import { entryOverhead, packVolumes, planExport, planVolumes, volumeOneReserve, type ExportPlan } from '../../functions/core/export/plan';

const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);

function file(path: string, size: number) {
  return { path, size };
}

beforeEach(() => {
  s3Mock.reset();
});

describe('planExport', () => {
  const config = exportConfig({ DSR_COLLECT_FUNCTIONS: JSON.stringify(Object.fromEntries(['customer-profile', 'orders', 'uploaded-photos', 'photo-library', 'contact-history', 'call-recordings', 'marketing', 'smart-creation'].map((id) => [id, `fn-${id}`]))) });

  it('lists every business store with its collector, and no customer id (it never enters the workflow state)', () => {
    const plan = planExport(config, { requestId: 'r1' });

    expect(plan.stores.map((task) => task.store)).toEqual(['customer-profile', 'orders', 'uploaded-photos', 'photo-library', 'contact-history', 'call-recordings', 'marketing', 'smart-creation']);
    expect(plan.stores[0]).toEqual({ requestId: 'r1', store: 'customer-profile', functionName: 'fn-customer-profile' });
  });

  it('fails with ConfigurationError when a collector is not configured', () => {
    const attempt = () => planExport(exportConfig({ DSR_COLLECT_FUNCTIONS: '{}' }), { requestId: 'r1' });

    expect(attempt).toThrow(expect.objectContaining({ name: 'ConfigurationError' }));
    expect(attempt).toThrow('DSR_COLLECT_FUNCTIONS has no collector for store "customer-profile"');
  });
});

describe('packVolumes', () => {
  it('fills volumes in order without exceeding the size and keeps the reserve in volume 1', () => {
    const overhead = entryOverhead('f/a');
    const files = [file('f/a', 400), file('f/b', 400), file('f/c', 400), file('f/d', 100)];

    const volumes = packVolumes(files, 900 + 2 * overhead, 200);

    expect(volumes.map((volume) => volume.map((item) => item.path))).toEqual([['f/a'], ['f/b', 'f/c'], ['f/d']]);
  });

  it('gives a file larger than a volume a volume of its own and never drops it', () => {
    const volumes = packVolumes([file('f/small', 10), file('f/huge', 5000), file('f/next', 10)], 1000, 0);

    expect(volumes.map((volume) => volume.map((item) => item.path))).toEqual([['f/small'], ['f/huge'], ['f/next']]);
  });

  it('always has volume 1, even with no files', () => {
    expect(packVolumes([], 1000, 500)).toEqual([[]]);
  });

  it('fills a volume exactly to its size, and starts a new one a byte later', () => {
    const need = 100 + entryOverhead('f/a');

    const exact = packVolumes([file('f/a', 100), file('f/b', 100)], 2 * need, 0);
    const over = packVolumes([file('f/a', 100), file('f/b', 100)], 2 * need - 1, 0);

    expect(exact.map((volume) => volume.length)).toEqual([2]);
    expect(over.map((volume) => volume.length)).toEqual([1, 1]);
  });

  it('puts a first file larger than a volume into volume 1 when there is no reserve', () => {
    expect(packVolumes([file('f/huge', 5000), file('f/next', 10)], 1000, 0).map((volume) => volume.map((item) => item.path))).toEqual([['f/huge'], ['f/next']]);
  });
});

describe('size estimates', () => {
  it('counts 256 bytes per entry plus three times its path in UTF-8', () => {
    expect([entryOverhead('a.jpg'), entryOverhead('é'), entryOverhead('')]).toEqual([271, 262, 256]);
  });

  it('reserves four times the record bytes plus 64 KiB in volume 1', () => {
    expect([volumeOneReserve([]), volumeOneReserve([{ bytes: 10 }, { bytes: 5 }])]).toEqual([65_536, 65_596]);
  });
});

describe('planVolumes', () => {
  it('names files by their sanitised key name, de-duplicates in key order, splits volumes and stages the plan', async () => {
    const listing = [
      { key: 'customers/c1/u2/beach.jpg', size: 600 },
      { key: 'customers/c1/u1/..Beach.jpg', size: 600 },
    ];
    s3Mock.on(GetObjectCommand, { Key: 'staging/r1/uploaded-photos.jsonl' }).callsFake(() => ({
      Body: Readable.from([Buffer.from(listing.map((line) => JSON.stringify(line)).join('\n') + '\n')]),
    }));
    s3Mock.on(PutObjectCommand).resolves({});
    const config = { ...exportConfig({}), volumeBytes: volumeOneReserve([{ bytes: 300 }]) + 600 + entryOverhead('files/uploaded-photos/Beach.jpg') };

    const result = await planVolumes(
      { s3, config, requestedAt: async (requestId) => (requestId === 'r1' ? '2025-06-01T10:00:00.000Z' : 'wrong request'), env: {} },
      {
        requestId: 'r1',
        brand: 'albelli',
        collected: [
          { store: 'uploaded-photos', items: 2, bytes: 1200, stagingKey: 'staging/r1/uploaded-photos.jsonl' },
          { store: 'orders', items: 3, bytes: 300, stagingKey: 'staging/r1/orders.jsonl' },
        ],
      },
    );

    const put = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    const plan = JSON.parse(String(put.Body)) as ExportPlan;
    expect(put.Key).toBe('staging/r1/plan.json');
    expect(result).toEqual({ volumeCount: 2, laterVolumes: [2] });
    expect(plan.generatedAt).toBe('2025-06-01T10:00:00.000Z');
    expect(Object.keys(plan.stores)).toEqual(['orders', 'uploaded-photos']);
    expect(plan.tables).toEqual([{ store: 'orders', stagingKey: 'staging/r1/orders.jsonl', items: 3 }]);
    expect(plan.volumes.map((volume) => volume.files.map((item) => [item.key, item.path, item.stored]))).toEqual([
      [['customers/c1/u1/..Beach.jpg', 'files/uploaded-photos/Beach.jpg', true]],
      [['customers/c1/u2/beach.jpg', 'files/uploaded-photos/beach (2).jpg', true]],
    ]);
    expect(plan.locale).toBeUndefined();
  });

  it('puts a photo-library file in the folder of its album, from its key', async () => {
    // Arrange
    s3Mock.on(GetObjectCommand, { Key: 'staging/r1/photo-library.jsonl' }).callsFake(() => ({
      Body: Readable.from([Buffer.from(`${JSON.stringify({ key: 'albelli/c1/al-0001/f-000001.jpg', size: 5 })}\n`)]),
    }));
    s3Mock.on(PutObjectCommand).resolves({});

    // Act
    await planVolumes(
      { s3, config: exportConfig({}), requestedAt: async () => '2025-06-01T10:00:00.000Z', env: {} },
      { requestId: 'r1', brand: 'albelli', collected: [{ store: 'photo-library', items: 1, bytes: 5, stagingKey: 'staging/r1/photo-library.jsonl' }] },
    );

    // Assert
    const plan = JSON.parse(String(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Body)) as ExportPlan;
    expect(plan.volumes[0]!.files.map((file) => file.path)).toEqual(['files/photo-library/al-0001/f-000001.jpg']);
  });

  it('carries the locale the request asked for into the plan', async () => {
    // Arrange
    s3Mock.on(PutObjectCommand).resolves({});
    const deps = { s3, config: exportConfig({}), requestedAt: async () => '2025-06-01T10:00:00.000Z', requestedLocale: async (requestId: string) => (requestId === 'r1' ? 'fr-BE' : undefined), env: {} };

    // Act
    await planVolumes(deps, { requestId: 'r1', brand: 'albelli', collected: [{ store: 'orders', items: 1, bytes: 10, stagingKey: 'staging/r1/orders.jsonl' }] });

    // Assert
    const plan = JSON.parse(String(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Body)) as ExportPlan;
    expect(plan.locale).toBe('fr-BE');
  });


  it('orders stores as the data map does, counts every store, and keeps a file at the top of the photo library out of any album', async () => {
    // Arrange
    s3Mock.on(GetObjectCommand, { Key: 'staging/r1/photo-library.jsonl' }).callsFake(() => ({ Body: Readable.from([Buffer.from(`${JSON.stringify({ key: 'albelli/c1.jpg', size: 5 })}\n`)]) }));
    s3Mock.on(PutObjectCommand).resolves({});
    const deps = { s3, config: exportConfig({}), requestedAt: async () => '2025-06-01T10:00:00.000Z', requestedLocale: async () => undefined, env: {} };

    // Act
    const result = await planVolumes(deps, {
      requestId: 'r1',
      brand: 'resnap',
      collected: [
        { store: 'photo-library', items: 1, bytes: 5, stagingKey: 'staging/r1/photo-library.jsonl' },
        { store: 'orders', items: 2, bytes: 10, stagingKey: 'staging/r1/orders.jsonl' },
        { store: 'customer-profile', items: 1, bytes: 3, stagingKey: 'staging/r1/customer-profile.jsonl' },
      ],
    });

    // Assert
    const put = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    const plan = JSON.parse(String(put.Body)) as ExportPlan;
    expect(result).toEqual({ volumeCount: 1, laterVolumes: [] });
    expect(put.Key).toBe('staging/r1/plan.json');
    expect(plan).toEqual({
      requestId: 'r1',
      brand: 'resnap',
      generatedAt: '2025-06-01T10:00:00.000Z',
      tables: [
        { store: 'customer-profile', stagingKey: 'staging/r1/customer-profile.jsonl', items: 1 },
        { store: 'orders', stagingKey: 'staging/r1/orders.jsonl', items: 2 },
      ],
      stores: { 'customer-profile': { items: 1, bytes: 3 }, orders: { items: 2, bytes: 10 }, 'photo-library': { items: 1, bytes: 5 } },
      volumes: [{ volume: 1, fileName: 'volume-1.zip', manifest: 'manifest.json', files: [{ store: 'photo-library', key: 'albelli/c1.jpg', size: 5, path: 'files/photo-library/c1.jpg', stored: true }] }],
    });
  });

  it('files photo-library photos in key order under the album that is their parent folder, "album" when its name sanitises to nothing', async () => {
    // Arrange
    const listing = [
      { key: 'albelli/c1/2025/summer/c.jpg', size: 1 },
      { key: 'albelli/c1/.../b.jpg', size: 1 },
      { key: 'albelli/c1/al-1/a.jpg', size: 1 },
      { key: 'albelli/c1/al-1/d.jpg', size: 1 },
    ];
    s3Mock.on(GetObjectCommand, { Key: 'staging/r1/photo-library.jsonl' }).callsFake(() => ({ Body: Readable.from([Buffer.from(listing.map((line) => JSON.stringify(line)).join('\n') + '\n')]) }));
    s3Mock.on(PutObjectCommand).resolves({});

    // Act
    await planVolumes(
      { s3, config: exportConfig({}), requestedAt: async () => '2025-06-01T10:00:00.000Z', env: {} },
      { requestId: 'r1', brand: 'albelli', collected: [{ store: 'photo-library', items: 4, bytes: 4, stagingKey: 'staging/r1/photo-library.jsonl' }] },
    );

    // Assert
    const plan = JSON.parse(String(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Body)) as ExportPlan;
    expect(plan.volumes[0]!.files.map((file) => [file.key, file.path])).toEqual([
      ['albelli/c1/.../b.jpg', 'files/photo-library/album/b.jpg'],
      ['albelli/c1/2025/summer/c.jpg', 'files/photo-library/summer/c.jpg'],
      ['albelli/c1/al-1/a.jpg', 'files/photo-library/al-1/a.jpg'],
      ['albelli/c1/al-1/d.jpg', 'files/photo-library/al-1/d.jpg'],
    ]);
  });
});
