import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { buildVolume, buildVolumeInput, buildVolumeOutput } from '../../functions/core/export/build-volume';
import { exportConfig } from '../../functions/core/export/config';
import { archiveKey, volumeFilesKey, volumeSummaryKey } from '../../functions/core/export/layout';
import type { ExportPlan } from '../../functions/core/export/plan';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
const deps = { s3, config: exportConfig({}), env };

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 7)]);
const WAV = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4000, 0)]);
const plan: ExportPlan = {
  requestId: 'r1',
  brand: 'albelli',
  generatedAt: '2025-06-01T10:00:00.000Z',
  tables: [{ store: 'orders', stagingKey: 'staging/r1/orders.jsonl', items: 2 }],
  stores: { orders: { items: 2, bytes: 100 }, 'uploaded-photos': { items: 1, bytes: JPEG.length }, 'call-recordings': { items: 1, bytes: WAV.length } },
  volumes: [
    {
      volume: 1,
      fileName: 'volume-1.zip',
      manifest: 'manifest.json',
      files: [
        { store: 'uploaded-photos', key: 'customers/c1/u1/a.jpg', size: JPEG.length, path: 'files/uploaded-photos/Strand Ærø.jpg', stored: true },
      ],
    },
    {
      volume: 2,
      fileName: 'volume-2.zip',
      manifest: 'manifest-volume-2.json',
      files: [
        { store: 'call-recordings', key: 'recordings/c1/call.wav', size: WAV.length, path: 'files/call-recordings/call.wav', stored: false },
      ],
    },
  ],
};
const ORDERS = [
  { customerId: 'c1', orderId: 'o1', shippingAddress: { city: 'Utrecht' }, note: 'a, "b"' },
  { customerId: 'c1', orderId: 'o2', lines: [{ sku: 'X' }] },
];
const objects: Record<string, Buffer> = {
  'staging/r1/plan.json': Buffer.from(JSON.stringify(plan)),
  'staging/r1/orders.jsonl': Buffer.from(ORDERS.map((order) => JSON.stringify(order)).join('\n') + '\n'),
  'customers/c1/u1/a.jpg': JPEG,
  [volumeFilesKey('r1', 2)]: Buffer.from(JSON.stringify({ volume: 2, files: { 'files/call-recordings/call.wav': { originalName: 'Gesprek Ærø.wav', contentType: 'audio/wav', metadata: { 'recorded-at': '2025-01-02T03:04:05.000Z' } } } })),
  'recordings/c1/call.wav': WAV,
};

interface Entry {
  name: string;
  method: number;
  utf8: boolean;
  date: Date;
  data: Buffer;
}

function unzip(zip: Buffer): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, decodeStrings: true }, (error, archive) => {
      if (error || !archive) return reject(error);
      const entries: Entry[] = [];
      archive.on('entry', (entry: yauzl.Entry) => {
        archive.openReadStream(entry, async (streamError, stream) => {
          if (streamError || !stream) return reject(streamError);
          const chunks: Buffer[] = [];
          for await (const chunk of stream) chunks.push(chunk as Buffer);
          entries.push({ name: entry.fileName, method: entry.compressionMethod, utf8: (entry.generalPurposeBitFlag & 0x800) !== 0, date: entry.getLastModDate({ forceDosFormat: true, timezone: 'UTC' }), data: Buffer.concat(chunks) });
          archive.readEntry();
        });
      });
      archive.on('end', () => resolve(entries));
      archive.on('error', reject);
      archive.readEntry();
    });
  });
}

function uploaded(key: string): Buffer {
  const put = s3Mock.commandCalls(PutObjectCommand).find((call) => call.args[0].input.Key === key)!;
  return Buffer.from(put.args[0].input.Body as Uint8Array);
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A GetObject body as the SDK gives it: a stream that can also be read whole as text. */
const body = (data: Buffer) => Object.assign(Readable.from([data]), { transformToString: async () => data.toString('utf8') });

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(GetObjectCommand).callsFake((input: { Key: string }) => ({ Body: body(objects[input.Key]!) }));
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"e"' });
});

/** The recording's GetObject answers with its content type and metadata (original name URI-encoded, as stored). */
function recordingWithMetadata(): void {
  s3Mock.on(GetObjectCommand, { Key: 'recordings/c1/call.wav' }).callsFake(() => ({
    Body: Readable.from([WAV]),
    ContentType: 'audio/wav',
    Metadata: { 'original-filename': encodeURIComponent('Gesprek Ærø.wav'), 'recorded-at': '2025-01-02T03:04:05.000Z' },
  }));
}

/** Serves `variant` as the request's plan, with `extra` objects beside the fixture's. */
function servePlan(variant: ExportPlan, extra: Record<string, Buffer> = {}): void {
  const served: Record<string, Buffer> = { ...objects, ...extra, 'staging/r1/plan.json': Buffer.from(JSON.stringify(variant)) };
  s3Mock.on(GetObjectCommand).callsFake((input: { Key: string }) => ({ Body: body(served[input.Key]!) }));
}

/** The keys written with PutObject, in order. */
const putKeys = () => s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key);

describe('buildVolume', () => {
  it('writes volume 1 in a fixed order with index, data as JSON and CSV, files and a manifest that hashes every entry', async () => {
    const summary = await buildVolume(deps, { requestId: 'r1', volume: 1 });

    const zip = uploaded(archiveKey('r1', 1, env.DSR_HASH_KEY));
    const entries = await unzip(zip);
    expect(entries.map((entry) => entry.name)).toEqual(['data/orders.json', 'data/orders.csv', 'data/uploaded-photos.json', 'data/call-recordings.json', 'files/uploaded-photos/Strand Ærø.jpg', 'index.html', 'manifest.json']);
    expect(summary).toEqual({ volume: 1, key: archiveKey('r1', 1, env.DSR_HASH_KEY), bytes: zip.length, sha256: sha256(zip), entries: 7 });
    expect(JSON.parse(uploaded(volumeSummaryKey('r1', 1)).toString('utf8'))).toEqual(summary);
    const manifest = JSON.parse(entries.at(-1)!.data.toString('utf8'));
    expect(manifest).toMatchObject({ format: 'dsr-export/1', requestId: 'r1', generatedAt: '2025-06-01T10:00:00.000Z', brand: 'albelli', volume: 1 });
    expect(manifest.volumes).toEqual([
      { volume: 1, fileName: 'volume-1.zip', manifest: 'manifest.json', files: 1 },
      { volume: 2, fileName: 'volume-2.zip', manifest: 'manifest-volume-2.json', files: 1 },
    ]);
    for (const entry of entries.slice(0, -1)) {
      expect(manifest.entries).toContainEqual(expect.objectContaining({ path: entry.name, size: entry.data.length, sha256: sha256(entry.data) }));
    }
    expect(manifest.entries.find((entry: { path: string }) => entry.path.endsWith('.jpg')).store).toBe('uploaded-photos');
    expect(JSON.parse(entries[0]!.data.toString('utf8'))).toEqual(ORDERS);
    expect(entries[1]!.data.toString('utf8')).toBe(
      'customerId,orderId,shippingAddress.city,note,lines\r\nc1,o1,Utrecht,"a, ""b""",\r\nc1,o2,,,"[{""sku"":""X""}]"\r\n',
    );
    expect(entries[4]!.data.equals(JPEG)).toBe(true);
    // Volume 1 writes its archive (as a ZIP) and its summary, and stages no file details of its own
    expect(putKeys()).toEqual([archiveKey('r1', 1, env.DSR_HASH_KEY), volumeSummaryKey('r1', 1)]);
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.ContentType).toBe('application/zip');
  });

  it('stores JPEG, deflates text, flags UTF-8 names and uses the fixed request date', async () => {
    await buildVolume(deps, { requestId: 'r1', volume: 1 });

    const entries = await unzip(uploaded(archiveKey('r1', 1, env.DSR_HASH_KEY)));
    const photo = entries.find((entry) => entry.name.endsWith('.jpg'))!;
    expect(photo.method).toBe(0);
    expect(photo.utf8).toBe(true);
    expect(entries.find((entry) => entry.name === 'index.html')!.method).toBe(8);
    expect(entries.filter((entry) => entry.method !== 8).map((entry) => entry.name)).toEqual(['files/uploaded-photos/Strand Ærø.jpg']);
    expect(entries.every((entry) => entry.date.toISOString() === '2025-06-01T10:00:00.000Z')).toBe(true);
  });

  it('names in the manifest the store each data file and file comes from, and none for the page', async () => {
    const entries = await unzip(uploaded((await buildVolume(deps, { requestId: 'r1', volume: 1 })).key));

    const manifest = JSON.parse(entries.at(-1)!.data.toString('utf8'));
    expect(manifest.entries.map((entry: { path: string; store?: string }) => [entry.path, entry.store ?? null])).toEqual([
      ['data/orders.json', 'orders'],
      ['data/orders.csv', 'orders'],
      ['data/uploaded-photos.json', 'uploaded-photos'],
      ['data/call-recordings.json', 'call-recordings'],
      ['files/uploaded-photos/Strand Ærø.jpg', 'uploaded-photos'],
      ['index.html', null],
    ]);
  });

  it('builds a later volume with its files (WAV deflated) and its own manifest part', async () => {
    await buildVolume(deps, { requestId: 'r1', volume: 2 });

    const entries = await unzip(uploaded(archiveKey('r1', 2, env.DSR_HASH_KEY)));
    expect(entries.map((entry) => entry.name)).toEqual(['files/call-recordings/call.wav', 'manifest-volume-2.json']);
    expect(entries[0]!.method).toBe(8);
    expect(JSON.parse(entries[1]!.data.toString('utf8')).entries).toEqual([{ path: 'files/call-recordings/call.wav', size: WAV.length, sha256: sha256(WAV), store: 'call-recordings' }]);
  });

  it('lists the original name, content type and metadata of each file in the manifest, from its one GetObject', async () => {
    recordingWithMetadata();

    const summary = await buildVolume(deps, { requestId: 'r1', volume: 2 });

    const entries = await unzip(uploaded(summary.key));
    expect(JSON.parse(entries[1]!.data.toString('utf8')).entries[0]).toEqual({
      path: 'files/call-recordings/call.wav',
      size: WAV.length,
      sha256: sha256(WAV),
      store: 'call-recordings',
      originalName: 'Gesprek Ærø.wav',
      contentType: 'audio/wav',
      metadata: { 'recorded-at': '2025-01-02T03:04:05.000Z' },
    });
    expect(s3Mock.commandCalls(GetObjectCommand).filter((call) => call.args[0].input.Key === 'recordings/c1/call.wav')).toHaveLength(1);
  });

  it("stages a later volume's file details (original name, content type, metadata) for volume 1's page", async () => {
    recordingWithMetadata();

    await buildVolume(deps, { requestId: 'r1', volume: 2 });

    expect(JSON.parse(uploaded(volumeFilesKey('r1', 2)).toString('utf8'))).toEqual({
      volume: 2,
      files: { 'files/call-recordings/call.wav': { originalName: 'Gesprek Ærø.wav', contentType: 'audio/wav', metadata: { 'recorded-at': '2025-01-02T03:04:05.000Z' } } },
    });
  });

  it("shows every file on volume 1's page by its original name and metadata: its own from their GetObjects, the later volumes' from their staged details", async () => {
    s3Mock.on(GetObjectCommand, { Key: 'customers/c1/u1/a.jpg' }).callsFake(() => ({
      Body: body(JPEG),
      ContentType: 'image/jpeg',
      Metadata: { 'original-filename': encodeURIComponent('Strand Ærø & zee.jpg'), 'uploaded-at': '2025-03-04T05:06:07.000Z' },
    }));

    const entries = await unzip(uploaded((await buildVolume(deps, { requestId: 'r1', volume: 1 })).key));

    const html = entries.find((entry) => entry.name === 'index.html')!.data.toString('utf8');
    expect(html).toContain('>Strand Ærø &amp; zee.jpg</a>');
    expect(html).toContain('alt="Strand Ærø &amp; zee.jpg"');
    expect(html).toContain('>Gesprek Ærø.wav</a>');
    expect(html).toMatch(/Geüpload: [^<]*2025/);
    expect(html).not.toContain('>call.wav</a>');
    const reads = s3Mock.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Key);
    expect(reads.filter((key) => key === 'customers/c1/u1/a.jpg')).toHaveLength(1);
    expect(reads).not.toContain('recordings/c1/call.wav');
  });

  it('fails volume 1 with ExportIncomplete naming a later volume whose file details are not staged, and uploads no archive', async () => {
    s3Mock.on(GetObjectCommand, { Key: volumeFilesKey('r1', 2) }).rejects(Object.assign(new Error('missing'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));

    const attempt = buildVolume(deps, { requestId: 'r1', volume: 1 });

    await expect(attempt).rejects.toMatchObject({ name: 'ExportIncomplete', message: 'Export r1: volume 2 has no staged file details' });
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('produces identical bytes when run again', async () => {
    const first = await buildVolume(deps, { requestId: 'r1', volume: 1 });
    const second = await buildVolume(deps, { requestId: 'r1', volume: 1 });

    expect(second.sha256).toBe(first.sha256);
  });

  it('writes the same entries whether its files were read into memory or streamed (a budget smaller than every file)', async () => {
    // Arrange
    const streamedDeps = { ...deps, config: { ...deps.config, fetchBudgetBytes: 1 } };

    // Act
    const buffered = await buildVolume(deps, { requestId: 'r1', volume: 1 });
    const bufferedEntries = await unzip(uploaded(buffered.key));
    s3Mock.resetHistory();
    const streamed = await buildVolume(streamedDeps, { requestId: 'r1', volume: 1 });
    const streamedEntries = await unzip(uploaded(streamed.key));

    // Assert: names, methods, dates, bytes and the manifest's hashes alike (the ZIP headers differ: an
    // entry from memory has its sizes in the local header, a streamed one in a data descriptor)
    expect(streamed.entries).toBe(buffered.entries);
    expect(streamedEntries).toEqual(bufferedEntries);
    expect(bufferedEntries.find((entry) => entry.name.endsWith('.jpg'))?.data.equals(JPEG)).toBe(true);
  });

  it('fetches no further ahead than the upload reads: files from memory wait for a slow upload as streamed ones do', async () => {
    // Arrange: 30 photos of 1 MiB (each read into memory: budget 4 MiB), parts of 5 MiB, one in flight
    const photo = randomBytes(1024 * 1024);
    const files = Array.from({ length: 30 }, (_, index) => ({ store: 'uploaded-photos', key: `customers/c1/u1/p${index}.jpg`, size: photo.length, path: `files/uploaded-photos/p${index}.jpg`, stored: true }));
    servePlan({ ...plan, volumes: [plan.volumes[0]!, { ...plan.volumes[1]!, files }] }, Object.fromEntries(files.map((file) => [file.key, photo])));
    let releaseParts!: () => void;
    const partsHeld = new Promise<void>((resolve) => (releaseParts = resolve));
    let fetchedWhileHeld: number | undefined;
    s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3Mock.on(UploadPartCommand).callsFake(async (input: { PartNumber: number }) => {
      if (input.PartNumber === 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        fetchedWhileHeld = s3Mock.commandCalls(GetObjectCommand).filter((call) => call.args[0].input.Key!.startsWith('customers/')).length;
        releaseParts();
      }
      await partsHeld;
      return { ETag: `"p${input.PartNumber}"` };
    });
    s3Mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"done"' });
    const slowUpload = { ...deps, config: { ...deps.config, partBytes: 5 * 1024 * 1024, uploadConcurrency: 1, fetchBudgetBytes: 4 * 1024 * 1024, fetchConcurrency: 4 } };

    // Act
    const summary = await buildVolume(slowUpload, { requestId: 'r1', volume: 2 });

    // Assert: while the first part was held, about a part, the upload's buffer and the budget were fetched, not all 30 files
    expect(summary.entries).toBe(31);
    expect(fetchedWhileHeld).toBeGreaterThan(4);
    expect(fetchedWhileHeld).toBeLessThan(20);
  });

  it('streams a volume larger than one part as a multipart upload of the same archive', async () => {
    const big = randomBytes(12 * 1024 * 1024);
    s3Mock.on(GetObjectCommand, { Key: 'recordings/c1/call.wav' }).callsFake(() => ({ Body: Readable.from([big.subarray(0, 6 * 1024 * 1024), big.subarray(6 * 1024 * 1024)]) }));
    s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3Mock.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({ ETag: `"p${input.PartNumber}"` }));
    s3Mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"done"' });

    const summary = await buildVolume({ ...deps, config: { ...deps.config, partBytes: 5 * 1024 * 1024 } }, { requestId: 'r1', volume: 2 });

    const parts = s3Mock
      .commandCalls(UploadPartCommand)
      .map((call) => call.args[0].input)
      .sort((a, b) => a.PartNumber! - b.PartNumber!)
      .map((input) => Buffer.from(input.Body as Uint8Array));
    const zip = Buffer.concat(parts);
    expect(parts.length).toBeGreaterThanOrEqual(2);
    expect(summary).toMatchObject({ bytes: zip.length, sha256: sha256(zip) });
    const entries = await unzip(zip);
    expect(entries[0]!.data.equals(big)).toBe(true);
    expect(s3Mock.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.Key).toBe(archiveKey('r1', 2, env.DSR_HASH_KEY));
  });

  it('fails naming the store when a source file cannot be read, with no unhandled rejection, and uploads nothing', async () => {
    s3Mock.on(GetObjectCommand, { Key: 'recordings/c1/call.wav' }).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);

    try {
      const attempt = buildVolume(deps, { requestId: 'r1', volume: 2 });

      await expect(attempt).rejects.toMatchObject({ name: 'StoreFailed', message: expect.stringContaining('call-recordings') });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    } finally {
      process.off('unhandledRejection', record);
    }
  });

  it('stops at once when a part of the archive cannot be uploaded: fails naming the exports store and reads no further files', async () => {
    const big = randomBytes(12 * 1024 * 1024);
    const small = Array.from({ length: 10 }, (_, index) => ({ store: 'call-recordings', key: `recordings/c1/s${index}.wav`, size: 10, path: `files/call-recordings/s${index}.wav`, stored: false }));
    const files = [{ store: 'call-recordings', key: 'recordings/c1/big.mp3', size: big.length, path: 'files/call-recordings/big.mp3', stored: true }, ...small];
    servePlan({ ...plan, volumes: [plan.volumes[0]!, { ...plan.volumes[1]!, files }] }, { 'recordings/c1/big.mp3': big, ...Object.fromEntries(small.map((file) => [file.key, Buffer.alloc(10, 1)])) });
    s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3Mock.on(UploadPartCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    s3Mock.on(AbortMultipartUploadCommand).resolves({});
    // Two requests and 25 bytes ahead: the big file streams, two small ones wait in memory
    const config = { ...deps.config, partBytes: 5 * 1024 * 1024, uploadConcurrency: 1, fetchConcurrency: 2, fetchBudgetBytes: 25 };

    const attempt = buildVolume({ ...deps, config }, { requestId: 'r1', volume: 2 });

    await expect(attempt).rejects.toMatchObject({ name: 'StoreFailed', message: 'Store "exports" failed: AccessDenied: denied' });
    const reads = s3Mock.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Key);
    expect(reads.filter((key) => key!.startsWith('recordings/'))).toEqual(['recordings/c1/big.mp3', 'recordings/c1/s0.wav', 'recordings/c1/s1.wav']);
    expect(putKeys()).toEqual([]);
  });

  it('fails volume 1 naming the store when a staged table vanishes while its entry is written (a cancelled export), with no uncaught error and nothing uploaded', async () => {
    const staged = objects['staging/r1/orders.jsonl']!;
    s3Mock
      .on(GetObjectCommand, { Key: 'staging/r1/orders.jsonl' })
      .resolvesOnce({ Body: body(staged) as never })
      .rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);

    try {
      const attempt = buildVolume(deps, { requestId: 'r1', volume: 1 });

      await expect(attempt).rejects.toMatchObject({ name: 'StoreFailed', message: expect.stringContaining('"exports"') });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(uncaught).toEqual([]);
      expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
      // The photo fetched ahead is let go: its request's signal is aborted
      const photo = s3Mock.commandCalls(GetObjectCommand).find((call) => call.args[0].input.Key === 'customers/c1/u1/a.jpg')!;
      expect((photo.args as unknown[])[1]).toMatchObject({ abortSignal: expect.objectContaining({ aborted: true }) });
    } finally {
      process.off('uncaughtException', record);
    }
  });

  it('refuses a volume the plan does not have, naming it', async () => {
    await expect(buildVolume(deps, { requestId: 'r1', volume: 9 })).rejects.toThrow('Export r1 has no volume 9');
  });

  it('writes records one per line as a JSON array, lists file stores with path, volume and size, and counts the stores in volume 1 only', async () => {
    const first = await unzip(uploaded(archiveKey('r1', (await buildVolume(deps, { requestId: 'r1', volume: 1 })).volume, env.DSR_HASH_KEY)));
    s3Mock.resetHistory();
    const second = await unzip(uploaded((await buildVolume(deps, { requestId: 'r1', volume: 2 })).key));

    expect(first.find((entry) => entry.name === 'data/orders.json')!.data.toString('utf8')).toBe(`[\n${ORDERS.map((order) => JSON.stringify(order)).join(',\n')}\n]\n`);
    expect(JSON.parse(first.find((entry) => entry.name === 'data/call-recordings.json')!.data.toString('utf8'))).toEqual([{ path: 'files/call-recordings/call.wav', volume: 2, size: WAV.length }]);
    expect(JSON.parse(first.at(-1)!.data.toString('utf8')).stores).toEqual(plan.stores);
    expect(JSON.parse(second.at(-1)!.data.toString('utf8'))).not.toHaveProperty('stores');
  });

  it('writes an empty JSON array and only the header for a store whose staged records are empty', async () => {
    const empty = { ...plan, tables: [{ store: 'orders', stagingKey: 'staging/r1/empty.jsonl', items: 0 }] };
    s3Mock.on(GetObjectCommand).callsFake((input: { Key: string }) => ({ Body: body(input.Key === 'staging/r1/plan.json' ? Buffer.from(JSON.stringify(empty)) : input.Key === 'staging/r1/empty.jsonl' ? Buffer.alloc(0) : objects[input.Key]!) }));

    const entries = await unzip(uploaded((await buildVolume(deps, { requestId: 'r1', volume: 1 })).key));

    expect(entries.find((entry) => entry.name === 'data/orders.json')!.data.toString('utf8')).toBe('[]\n');
    expect(entries.find((entry) => entry.name === 'data/orders.csv')!.data.toString('utf8')).toBe('\r\n');
  });

  it('stores a file the plan marks stored whatever its name, and one whose content type shows it is compressed although the plan says deflate', async () => {
    const NOTES = Buffer.from('notes '.repeat(200));
    const CLIP = Buffer.alloc(3000, 3);
    const files = [
      plan.volumes[1]!.files[0]!,
      { store: 'call-recordings', key: 'recordings/c1/notes.txt', size: NOTES.length, path: 'files/call-recordings/notes.txt', stored: true },
      { store: 'call-recordings', key: 'recordings/c1/clip', size: CLIP.length, path: 'files/call-recordings/clip', stored: false },
    ];
    servePlan({ ...plan, volumes: [plan.volumes[0]!, { ...plan.volumes[1]!, files }] }, { 'recordings/c1/notes.txt': NOTES });
    s3Mock.on(GetObjectCommand, { Key: 'recordings/c1/clip' }).callsFake(() => ({ Body: Readable.from([CLIP]), ContentType: 'audio/mpeg' }));

    const entries = await unzip(uploaded((await buildVolume(deps, { requestId: 'r1', volume: 2 })).key));

    expect(entries.map((entry) => [entry.name, entry.method])).toEqual([
      ['files/call-recordings/call.wav', 8],
      ['files/call-recordings/notes.txt', 0],
      ['files/call-recordings/clip', 0],
      ['manifest-volume-2.json', 8],
    ]);
    expect(entries[2]!.data.equals(CLIP)).toBe(true);
  });

  it('leaves an empty original name and an empty content type out of the manifest and the staged details', async () => {
    s3Mock.on(GetObjectCommand, { Key: 'recordings/c1/call.wav' }).callsFake(() => ({ Body: Readable.from([WAV]), ContentType: '', Metadata: { 'original-filename': '' } }));

    const entries = await unzip(uploaded((await buildVolume(deps, { requestId: 'r1', volume: 2 })).key));

    expect(JSON.parse(entries[1]!.data.toString('utf8')).entries).toEqual([{ path: 'files/call-recordings/call.wav', size: WAV.length, sha256: sha256(WAV), store: 'call-recordings' }]);
    expect(JSON.parse(uploaded(volumeFilesKey('r1', 2)).toString('utf8'))).toEqual({ volume: 2, files: { 'files/call-recordings/call.wav': {} } });
  });

  it('fails naming the exports store when the archive cannot be uploaded, with no unhandled rejection and no summary staged', async () => {
    s3Mock.on(PutObjectCommand, { Key: archiveKey('r1', 2, env.DSR_HASH_KEY) }).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);

    try {
      const attempt = buildVolume(deps, { requestId: 'r1', volume: 2 });

      await expect(attempt).rejects.toMatchObject({ name: 'StoreFailed', message: 'Store "exports" failed: AccessDenied: denied' });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      expect(putKeys()).toEqual([archiveKey('r1', 2, env.DSR_HASH_KEY)]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });

  it("fails volume 1 naming the store when one of its files cannot be read while its data files are written, with no unhandled rejection and nothing uploaded", async () => {
    s3Mock.on(GetObjectCommand, { Key: 'customers/c1/u1/a.jpg' }).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);

    try {
      const attempt = buildVolume(deps, { requestId: 'r1', volume: 1 });

      await expect(attempt).rejects.toMatchObject({ name: 'StoreFailed', message: 'Store "uploaded-photos" failed: AccessDenied: denied' });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      expect(putKeys()).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });

  it("reads the staged details of every later volume for volume 1's page, at most 16 at a time", async () => {
    const later = Array.from({ length: 20 }, (_, index) => index + 2);
    const many: ExportPlan = {
      ...plan,
      volumes: [
        plan.volumes[0]!,
        ...later.map((volume) => ({
          volume,
          fileName: `volume-${volume}.zip`,
          manifest: `manifest-volume-${volume}.json`,
          files: [{ store: 'call-recordings', key: `recordings/c1/call-${volume}.wav`, size: WAV.length, path: `files/call-recordings/call-${volume}.wav`, stored: false }],
        })),
      ],
    };
    const staged = Object.fromEntries(
      later.map((volume) => [volumeFilesKey('r1', volume), Buffer.from(JSON.stringify({ volume, files: { [`files/call-recordings/call-${volume}.wav`]: { originalName: `Gesprek ${volume}.wav` } } }))]),
    );
    servePlan(many, staged);
    const reads = { active: 0, max: 0 };
    for (const [key, data] of Object.entries(staged)) {
      s3Mock.on(GetObjectCommand, { Key: key }).callsFake(async () => {
        reads.active += 1;
        reads.max = Math.max(reads.max, reads.active);
        await new Promise((resolve) => setTimeout(resolve, 20));
        reads.active -= 1;
        return { Body: body(data) };
      });
    }

    const entries = await unzip(uploaded((await buildVolume(deps, { requestId: 'r1', volume: 1 })).key));

    const html = entries.find((entry) => entry.name === 'index.html')!.data.toString('utf8');
    expect(later.filter((volume) => !html.includes(`>Gesprek ${volume}.wav</a>`))).toEqual([]);
    expect(reads.max).toBe(16);
  });

  it('writes no data file for a store the plan counts that has neither staged records nor files', async () => {
    servePlan({ ...plan, stores: { 'customer-profile': { items: 0, bytes: 0 }, ...plan.stores } });

    const entries = await unzip(uploaded((await buildVolume(deps, { requestId: 'r1', volume: 1 })).key));

    expect(entries.map((entry) => entry.name)).toEqual(['data/orders.json', 'data/orders.csv', 'data/uploaded-photos.json', 'data/call-recordings.json', 'files/uploaded-photos/Strand Ærø.jpg', 'index.html', 'manifest.json']);
  });

  it('builds the only volume of a one-volume export, reading no staged file details', async () => {
    servePlan({ ...plan, stores: { orders: plan.stores.orders!, 'uploaded-photos': plan.stores['uploaded-photos']! }, volumes: [plan.volumes[0]!] });

    const entries = await unzip(uploaded((await buildVolume(deps, { requestId: 'r1', volume: 1 })).key));

    expect(entries.map((entry) => entry.name)).toEqual(['data/orders.json', 'data/orders.csv', 'data/uploaded-photos.json', 'files/uploaded-photos/Strand Ærø.jpg', 'index.html', 'manifest.json']);
    expect(s3Mock.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Key)).not.toContain(volumeFilesKey('r1', 2));
  });

  it("fails volume 1 naming the exports store when a later volume's staged details cannot be read", async () => {
    s3Mock.on(GetObjectCommand, { Key: volumeFilesKey('r1', 2) }).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));

    const attempt = buildVolume(deps, { requestId: 'r1', volume: 1 });

    await expect(attempt).rejects.toMatchObject({ name: 'StoreFailed', message: 'Store "exports" failed: AccessDenied: denied' });
    expect(putKeys()).toEqual([]);
  });

  it("shows each table's records on volume 1's page under their top-level columns", async () => {
    const entries = await unzip(uploaded((await buildVolume(deps, { requestId: 'r1', volume: 1 })).key));

    const html = entries.find((entry) => entry.name === 'index.html')!.data.toString('utf8');
    expect(html).toContain('>o1</td>');
    expect(html).toContain('>o2</td>');
  });

  it("fails with the archiver's error when an entry cannot be added, rather than hang or throw it uncaught", async () => {
    const files = [{ ...plan.volumes[1]!.files[0]!, path: '' }];
    servePlan({ ...plan, volumes: [plan.volumes[0]!, { ...plan.volumes[1]!, files }] });
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);

    try {
      const attempt = buildVolume(deps, { requestId: 'r1', volume: 2 });

      await expect(attempt).rejects.toMatchObject({ code: 'ENTRYNAMEREQUIRED' });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(uncaught).toEqual([]);
      expect(putKeys()).toEqual([]);
    } finally {
      process.off('uncaughtException', record);
    }
  });
});

describe('buildVolumeInput and buildVolumeOutput', () => {
  it('take a request id and a whole positive volume number, and refuse any other volume', () => {
    const volumes = [1, 2, 0, -1, 1.5];

    const input = volumes.map((volume) => buildVolumeInput.safeParse({ requestId: 'r1', volume }).success);
    const output = volumes.map((volume) => buildVolumeOutput.safeParse({ volume }).success);

    expect(input).toEqual([true, true, false, false, false]);
    expect(output).toEqual([true, true, false, false, false]);
  });
});
