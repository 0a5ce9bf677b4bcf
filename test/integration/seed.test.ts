import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import jpeg from 'jpeg-js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CUSTOMER_STORES, getStore, resourceName } from '../../functions/core/data-map';
import { main } from '../../cli/dsr';
import { startLocalAws, type LocalAws } from '../../local/runtime';
import { DEMO_CUSTOMERS, DEMO_EMPTY_CUSTOMER, seedDemoData } from '../../local/seed/demo';
import { orderSchema } from '../../local/seed/records';
import { seedSyntheticCustomer } from '../../local/seed/synthetic';

/** Seeding against the embedded local AWS, read back through the real SDK clients. */

interface Clients {
  s3: S3Client;
  doc: DynamoDBDocumentClient;
}

function clientsFor(aws: LocalAws): Clients {
  const common = { region: aws.region, credentials: aws.credentials };
  return {
    s3: new S3Client({ ...common, endpoint: aws.endpoints.s3, forcePathStyle: true }),
    doc: DynamoDBDocumentClient.from(new DynamoDBClient({ ...common, endpoint: aws.endpoints.dynamodb })),
  };
}

async function bytesOf(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

async function listKeys(s3: S3Client, bucket: string, prefix = ''): Promise<{ key: string; size: number }[]> {
  const keys: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) keys.push({ key: object.Key!, size: object.Size! });
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** Every record and file of the business stores: items sorted, files as content hash + metadata. */
async function snapshot({ s3, doc }: Clients): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {};
  for (const store of CUSTOMER_STORES) {
    const name = resourceName(store);
    if (store.kind === 'dynamodb-table') {
      const items: Record<string, unknown>[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(new ScanCommand({ TableName: name, ExclusiveStartKey: start }));
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      const keyOf = (item: Record<string, unknown>): string => `${item[store.table!.partitionKey]}|${store.table!.sortKey ? item[store.table!.sortKey] : ''}`;
      result[store.id] = items.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    } else {
      const files: unknown[] = [];
      for (const { key } of await listKeys(s3, name)) {
        const head = await s3.send(new HeadObjectCommand({ Bucket: name, Key: key }));
        const sha256 = createHash('sha256').update(await bytesOf(s3, name, key)).digest('hex');
        files.push({ key, sha256, contentType: head.ContentType, metadata: head.Metadata });
      }
      result[store.id] = files;
    }
  }
  return result;
}

function wavInfo(file: Buffer): { format: number; channels: number; sampleRate: number; bits: number; dataBytes: number } {
  expect(file.toString('ascii', 0, 4)).toBe('RIFF');
  expect(file.toString('ascii', 8, 12)).toBe('WAVE');
  expect(file.toString('ascii', 12, 16)).toBe('fmt ');
  expect(file.toString('ascii', 36, 40)).toBe('data');
  expect(file.readUInt32LE(4)).toBe(file.length - 8);
  return {
    format: file.readUInt16LE(20),
    channels: file.readUInt16LE(22),
    sampleRate: file.readUInt32LE(24),
    bits: file.readUInt16LE(34),
    dataBytes: file.readUInt32LE(40),
  };
}

describe('demo seed against the local AWS', () => {
  const dirs: string[] = [];
  let aws: LocalAws;
  let clients: Clients;

  beforeAll(async () => {
    dirs.push(await mkdtemp(join(tmpdir(), 'dsr-seed-a-')));
    aws = await startLocalAws({ dataDir: dirs[0]!, stateMachineFiles: [], log: () => undefined });
    clients = clientsFor(aws);
  });

  afterAll(async () => {
    await aws?.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('seeds every demo customer once, with a realistic mix in every store that applies', async () => {
    // Arrange
    const { s3, doc } = clients;
    const table = (id: string) => resourceName(getStore(id));

    // Act
    const first = await seedDemoData(clients);
    const second = await seedDemoData(clients);

    // Assert
    expect(first.seeded).toBe(true);
    expect(second).toEqual({ seeded: false, customers: first.customers });
    expect(first.customers.length).toBeGreaterThanOrEqual(20);
    expect(new Set(first.customers.map((c) => c.brand))).toEqual(new Set(['albelli', 'bonusprint', 'fotoknudsen', 'onskefoto', 'resnap']));
    for (const { customerId, brand } of first.customers) {
      const profile = await doc.send(new GetCommand({ TableName: table('customer-profile'), Key: { customerId } }));
      expect(profile.Item?.brand).toBe(brand);
      const orders = (await doc.send(new QueryCommand({ TableName: table('orders'), KeyConditionExpression: 'customerId = :c', ExpressionAttributeValues: { ':c': customerId } }))).Items ?? [];
      expect(orders.length).toBeGreaterThan(0);
      for (const order of orders) {
        const parsed = orderSchema.parse(order);
        expect(parsed.netAmount + parsed.vatAmount).toBe(parsed.grossAmount);
      }
      const contacts = await doc.send(
        new QueryCommand({ TableName: table('contact-history'), IndexName: 'byCustomer', KeyConditionExpression: 'customerId = :c', ExpressionAttributeValues: { ':c': customerId } }),
      );
      expect(contacts.Items?.length).toBeGreaterThan(0);
      const marketing = (await doc.send(new QueryCommand({ TableName: table('marketing'), KeyConditionExpression: 'customerId = :c', ExpressionAttributeValues: { ':c': customerId } }))).Items ?? [];
      expect(marketing.map((entry) => entry.entryId)).toContain('consent#email');
      expect(marketing.some((entry) => String(entry.entryId).startsWith('segment#'))).toBe(true);
      const smart = (await doc.send(new QueryCommand({ TableName: table('smart-creation'), KeyConditionExpression: 'customerId = :c', ExpressionAttributeValues: { ':c': customerId } }))).Items ?? [];
      expect(smart.some((entry) => String(entry.entryId).startsWith('analysis#'))).toBe(true);
      const photos = await listKeys(s3, table('uploaded-photos'), `customers/${customerId}/`);
      expect(photos.length).toBeGreaterThan(0);
      const image = jpeg.decode(await bytesOf(s3, table('uploaded-photos'), photos[0]!.key));
      expect(image.width).toBeGreaterThan(0);
      const library = await listKeys(s3, table('photo-library'), `${brand}/${customerId}/`);
      expect(library.length > 0).toBe(brand === 'fotoknudsen' || brand === 'onskefoto');
    }
    const allPhotoKeys = (await listKeys(s3, table('uploaded-photos'), 'customers/')).map((o) => o.key);
    expect(allPhotoKeys.filter((key) => key.startsWith('customers/c1/')).every((key) => key.split('/')[1] === 'c1')).toBe(true);
    expect(allPhotoKeys.some((key) => key.startsWith('customers/c12/'))).toBe(true);
    expect(allPhotoKeys.some((key) => key.split('/')[1] === DEMO_EMPTY_CUSTOMER.customerId)).toBe(false);
    const recordings = await listKeys(s3, table('call-recordings'), 'recordings/');
    expect(recordings.length).toBeGreaterThan(0);
    const wav = wavInfo(await bytesOf(s3, table('call-recordings'), recordings[0]!.key));
    expect(wav).toMatchObject({ format: 1, channels: 1, sampleRate: 8000, bits: 16 });
    expect(wav.dataBytes).toBeGreaterThan(0);
  });

  it('writes identical records in two fresh data directories', async () => {
    // Arrange
    const firstSnapshot = await snapshot(clients);
    await aws.close();
    dirs.push(await mkdtemp(join(tmpdir(), 'dsr-seed-b-')));
    aws = await startLocalAws({ dataDir: dirs[1]!, stateMachineFiles: [], log: () => undefined });
    clients = clientsFor(aws);

    // Act
    await seedDemoData(clients);
    const secondSnapshot = await snapshot(clients);

    // Assert
    expect(secondSnapshot).toEqual(firstSnapshot);
    expect((firstSnapshot['customer-profile'] ?? []).length).toBe(DEMO_CUSTOMERS.length);
  });
});

describe('synthetic seed against the local AWS', () => {
  let dir: string;
  let aws: LocalAws;
  let clients: Clients;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dsr-seed-syn-'));
    aws = await startLocalAws({ dataDir: dir, stateMachineFiles: [], log: () => undefined });
    clients = clientsFor(aws);
  });

  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  afterAll(async () => {
    await aws?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the requested counts and exactly the requested bytes, multipart included', async () => {
    // Arrange
    const photoBytes = 5 * 1024 * 1024 + 3;

    // Act
    const result = await seedSyntheticCustomer(clients, { customerId: 's1', brand: 'onskefoto', photos: 2, photoBytes, orders: 2, contacts: 3, libraryPhotos: 1 });

    // Assert
    expect(result.counts).toMatchObject({ 'customer-profile': 1, orders: 2, 'uploaded-photos': 2, 'photo-library': 1, 'contact-history': 3, 'call-recordings': 1 });
    const photos = await listKeys(clients.s3, resourceName(getStore('uploaded-photos')), 'customers/s1/');
    const library = await listKeys(clients.s3, resourceName(getStore('photo-library')), 'onskefoto/s1/');
    const recordings = await listKeys(clients.s3, resourceName(getStore('call-recordings')), 'recordings/s1/');
    expect(photos.map((p) => p.size)).toEqual([photoBytes, photoBytes]);
    expect(library.map((p) => p.size)).toEqual([photoBytes]);
    expect([...photos, ...library, ...recordings].reduce((sum, object) => sum + object.size, 0)).toBe(result.totalBytes);
    const decoded = jpeg.decode(await bytesOf(clients.s3, resourceName(getStore('uploaded-photos')), photos[0]!.key), { maxMemoryUsageInMB: 64 });
    expect([decoded.width, decoded.height]).toEqual([64, 48]);
    const orders = await clients.doc.send(
      new QueryCommand({ TableName: resourceName(getStore('orders')), KeyConditionExpression: 'customerId = :c', ExpressionAttributeValues: { ':c': 's1' } }),
    );
    expect(orders.Items).toHaveLength(2);
  });

  it('`dsr seed` reads endpoints.json and seeds a synthetic customer', async () => {
    // Arrange
    await writeFile(
      join(dir, 'endpoints.json'),
      JSON.stringify({ s3: aws.endpoints.s3, dynamodb: aws.endpoints.dynamodb, stepfunctions: aws.endpoints.stepfunctions, region: aws.region, ...aws.credentials }),
    );
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));

    // Act
    await main(['node', 'dsr', 'seed', '--customer', 'cli-1', '--brand', 'albelli', '--photos', '3', '--photo-bytes', '4K', '--orders', '1', '--data-dir', dir]);

    // Assert
    expect(process.exitCode).toBeUndefined();
    expect(JSON.parse(printed[0]!)).toMatchObject({ customerId: 'cli-1', counts: { 'uploaded-photos': 3, orders: 1 }, totalBytes: 3 * 4096 });
    const photos = await listKeys(clients.s3, resourceName(getStore('uploaded-photos')), 'customers/cli-1/');
    expect(photos.map((p) => p.size)).toEqual([4096, 4096, 4096]);
  });
});
