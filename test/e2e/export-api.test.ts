import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryKeyOf } from '../../functions/core/connectors/dynamodb-store';
import { CUSTOMER_STORES, getStore } from '../../functions/core/data-map';
import { documentClient, s3Client } from '../../functions/shared/clients';
import { startApiServer, type ApiServer } from '../../local/api-server';
import { startLocalAws, type LocalAws } from '../../local/runtime';
import { buildDemoDataset, DEMO_EMPTY_CUSTOMER, seedDemoData } from '../../local/seed/demo';
import type { ExportResult } from '../../functions/core/export/finalize';
import { exportVolumes, runExport } from '../workflow/export-helpers';
import { ApiClient, sha256, unzip, type Manifest, type ZipEntry } from './export-archive';
import { CATALOGS } from '../../functions/core/export/i18n';

const STATE_MACHINES = [resolve(import.meta.dirname, '../../statemachines/export.asl.json')];

let aws: LocalAws;
let api: ApiServer;
let client: ApiClient;
let dataDir: string;
const dataset = buildDemoDataset();

/** Downloads every volume of a completed export and checks each against the volume list, the result and its manifest. */
async function downloadAll(requestId: string, result: ExportResult): Promise<{ zips: Buffer[]; entries: ZipEntry[][]; manifests: Manifest[] }> {
  const zips: Buffer[] = [];
  const entries: ZipEntry[][] = [];
  const manifests: Manifest[] = [];
  const volumes = await exportVolumes(result);
  expect(volumes.map((volume) => volume.volume)).toEqual(Array.from({ length: result.volumeCount }, (_, index) => index + 1));
  expect(volumes.reduce((sum, volume) => sum + volume.bytes, 0)).toBe(result.totalBytes);
  for (const volume of volumes) {
    const zip = await client.download(requestId, volume.volume);
    expect(zip.length).toBe(volume.bytes);
    expect(sha256(zip)).toBe(volume.sha256);
    const volumeEntries = await unzip(zip);
    expect(volumeEntries).toHaveLength(volume.entries);
    const manifestName = volume.volume === 1 ? 'manifest.json' : `manifest-volume-${volume.volume}.json`;
    const manifest = JSON.parse(volumeEntries.find((entry) => entry.name === manifestName)!.data.toString('utf8')) as Manifest;
    expect(manifest).toMatchObject({ requestId, volume: volume.volume });
    expect(manifest.volumes.map((item) => item.volume)).toEqual(volumes.map((item) => item.volume));
    const listed = new Map(manifest.entries.map((entry) => [entry.path, entry]));
    for (const entry of volumeEntries.filter((item) => item.name !== manifestName)) {
      expect(listed.get(entry.name)).toMatchObject({ size: entry.data.length, sha256: sha256(entry.data) });
    }
    expect(listed.size).toBe(volumeEntries.length - 1);
    zips.push(zip);
    entries.push(volumeEntries);
    manifests.push(manifest);
  }
  return { zips, entries, manifests };
}

/** The seed's records of a customer in a tabular store, normalised as JSON. */
function seededRecords(store: string, customerId: string): Record<string, unknown>[] {
  return dataset.items
    .filter((seed) => seed.store === store && seed.item.customerId === customerId)
    .map((seed) => JSON.parse(JSON.stringify(seed.item)) as Record<string, unknown>);
}

/** The seed's files of a customer in a file store (by the store's key prefix). */
function seededFiles(store: string, prefix: string): Buffer[] {
  return dataset.objects
    .filter((object) => object.store === store && object.key.startsWith(prefix))
    .map((object) => (Buffer.isBuffer(object.body) ? object.body : Buffer.concat([...object.body()])));
}

function byKey(store: string) {
  const definition = getStore(store);
  return (a: Record<string, unknown>, b: Record<string, unknown>) =>
    JSON.stringify(primaryKeyOf(definition, a)).localeCompare(JSON.stringify(primaryKeyOf(definition, b)));
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-export-e2e-'));
  aws = await startLocalAws({ dataDir, stateMachineFiles: STATE_MACHINES, stepFunctions: { retryOverrideMs: 1 }, log: () => undefined });
  api = await startApiServer({ port: 0, token: aws.secrets.apiToken });
  client = new ApiClient(api.url, aws.secrets.apiToken);
  await seedDemoData({ s3: s3Client(), doc: documentClient() });
});

afterAll(async () => {
  await api?.close();
  await aws?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('export through the HTTP API', () => {
  let firstRequestId = '';
  let firstResult: ExportResult;
  let firstZips: Buffer[] = [];

  it('exports a demo customer: every manifest checksum holds and the records and files equal what the seed wrote', async () => {
    const requestId = await client.createExport('c1', 'albelli');

    const view = await client.waitFinal(requestId);

    expect(view.status).toBe('completed');
    const result = view.result as unknown as ExportResult;
    const { zips, entries } = await downloadAll(requestId, result);
    const files = new Map(entries.flat().map((entry) => [entry.name, entry.data]));
    expect(entries[0]!.map((entry) => entry.name)).toContain('index.html');
    for (const store of CUSTOMER_STORES) {
      if (store.holdsFiles) {
        const seeded = seededFiles(store.id, store.id === 'uploaded-photos' ? 'customers/c1/' : 'recordings/c1/');
        const archived = [...files.entries()].filter(([name]) => name.startsWith(`files/${store.id}/`)).map(([, data]) => sha256(data));
        expect(archived.sort()).toEqual(seeded.map(sha256).sort());
        expect(result.stores[store.id]!.items).toBe(seeded.length);
      } else {
        const exported = JSON.parse(files.get(`data/${store.id}.json`)!.toString('utf8')) as Record<string, unknown>[];
        const seeded = seededRecords(store.id, 'c1');
        expect(exported.sort(byKey(store.id))).toEqual(seeded.sort(byKey(store.id)));
        const csvLines = files.get(`data/${store.id}.csv`)!.toString('utf8').split('\r\n').filter(Boolean);
        expect(csvLines.length).toBeGreaterThan(seeded.length);
      }
    }
    expect(result.stores['uploaded-photos']!.items).toBeGreaterThan(0);
    const html = files.get('index.html')!.toString('utf8');
    const order = seededRecords('orders', 'c1')[0]!;
    expect(html).toContain(String(order.invoiceNumber));
    firstRequestId = requestId;
    firstResult = result;
    firstZips = zips;
  });

  it('a replay of the execution rebuilds identical archives under the same keys and leaves no second set', async () => {
    const record = dataset.items.find((seed) => seed.store === 'customer-profile' && seed.item.customerId === 'c1')!;
    const sfn = new SFNClient({ region: aws.region, credentials: aws.credentials });

    const execution = await runExport(sfn, { requestId: firstRequestId, brand: record.item.brand as 'albelli' }, `${firstRequestId}-replay-1`);

    expect(execution.status).toBe('SUCCEEDED');
    const again = await downloadAll(firstRequestId, firstResult);
    expect(again.zips.map(sha256)).toEqual(firstZips.map(sha256));
    const stored = await s3Client().send(new ListObjectsV2Command({ Bucket: 'dsr-exports', Prefix: `exports/${firstRequestId}/` }));
    const kept = [firstResult.resultKey, ...(await exportVolumes(firstResult)).map((volume) => volume.key)];
    expect((stored.Contents ?? []).map((object) => object.Key).sort()).toEqual(kept.sort());
    const staging = await s3Client().send(new ListObjectsV2Command({ Bucket: 'dsr-exports', Prefix: `staging/${firstRequestId}/` }));
    expect(staging.KeyCount ?? 0).toBe(0);
  });

  it('splits a large export into several volumes, each file in exactly one, all reachable by download', async () => {
    process.env.DSR_EXPORT_VOLUME_BYTES = String(90_000);
    try {
      const requestId = await client.createExport('c3', 'fotoknudsen');

      const view = await client.waitFinal(requestId);

      expect(view.status).toBe('completed');
      const result = view.result as unknown as ExportResult;
      expect(result.volumeCount).toBeGreaterThanOrEqual(2);
      const { zips, entries } = await downloadAll(requestId, result);
      expect(zips.every((zip) => zip.length <= 90_000)).toBe(true);
      expect(entries[0]!.map((entry) => entry.name)).toContain('index.html');
      const archivedFiles = entries.flat().filter((entry) => entry.name.startsWith('files/'));
      expect(new Set(archivedFiles.map((entry) => entry.name)).size).toBe(archivedFiles.length);
      const seeded = [...seededFiles('uploaded-photos', 'customers/c3/'), ...seededFiles('photo-library', 'fotoknudsen/c3/')];
      expect(archivedFiles.map((entry) => sha256(entry.data)).sort()).toEqual(seeded.map(sha256).sort());
    } finally {
      delete process.env.DSR_EXPORT_VOLUME_BYTES;
    }
  });

  it('answers a customer with no data with a completed export that says so per store', async () => {
    const requestId = await client.createExport(DEMO_EMPTY_CUSTOMER.customerId, DEMO_EMPTY_CUSTOMER.brand);

    const view = await client.waitFinal(requestId);

    expect(view.status).toBe('completed');
    const result = view.result as unknown as ExportResult;
    expect(result.empty).toBe(true);
    expect(Object.keys(result.stores).sort()).toEqual(CUSTOMER_STORES.map((store) => store.id).sort());
    expect(Object.values(result.stores).every((counts) => counts.items === 0)).toBe(true);
    const { entries } = await downloadAll(requestId, result);
    const files = new Map(entries[0]!.map((entry) => [entry.name, entry.data.toString('utf8')]));
    expect(JSON.parse(files.get('data/orders.json')!)).toEqual([]);
    // No profile to name a language: the brand's home market (albelli: the Netherlands) decides.
    expect(files.get('index.html')).toContain('<html lang="nl-NL">');
    expect(files.get('index.html')).toContain(CATALOGS.nl.page.nothingHeld);
  });
});
