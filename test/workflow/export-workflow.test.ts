import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailable } from '../../functions/core/errors';
import type { ExportResult } from '../../functions/core/export/finalize';
import { archiveKey } from '../../functions/core/export/layout';
import { handler as collectHandler } from '../../functions/export/collect-store';
import { documentClient, s3Client } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { startLocalAws, type LocalAws } from '../../local/runtime';
import { seedSyntheticCustomer, type SyntheticResult } from '../../local/seed/synthetic';
import { createExportRecord, exportVolumes, runExport } from './export-helpers';

const EXPORT_ASL = resolve(import.meta.dirname, '../../statemachines/export.asl.json');

/** How the test double of `collect-marketing` behaves: delegate, fail twice then delegate, or always fail. */
let marketingMode: 'real' | 'flaky' | 'broken' = 'real';
let marketingCalls = 0;

async function marketingCollector(event: unknown, context: Context): Promise<unknown> {
  marketingCalls += 1;
  if (marketingMode === 'broken' || (marketingMode === 'flaky' && marketingCalls <= 2)) {
    throw new StoreUnavailable('Store "marketing" is unavailable: ThrottlingException: Rate exceeded');
  }
  return collectHandler(event, context);
}

let aws: LocalAws;
let dataDir: string;
let sfn: SFNClient;
let seeded: SyntheticResult;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-export-workflow-'));
  aws = await startLocalAws({
    dataDir,
    stepFunctions: { retryOverrideMs: 1 },
    stateMachineFiles: [EXPORT_ASL],
    extraFunctions: { 'dsr-collect-marketing': { handler: marketingCollector as never, timeoutSeconds: 900 } },
    log: () => undefined,
  });
  sfn = new SFNClient({ region: aws.region, credentials: aws.credentials });
  seeded = await seedSyntheticCustomer(
    { s3: s3Client(), doc: documentClient() },
    { customerId: 'wf-0001', brand: 'fotoknudsen', photos: 3, photoBytes: 20_000, orders: 2, contacts: 3, libraryPhotos: 2 },
  );
});

afterAll(async () => {
  await aws?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  marketingMode = 'real';
  marketingCalls = 0;
});

describe('export workflow (statemachines/export.asl.json)', () => {
  it('collects every store of the brand, builds the archive, removes staging and completes the request', async () => {
    const requestId = await createExportRecord('wf-0001', 'fotoknudsen');

    const execution = await runExport(sfn, { requestId, brand: 'fotoknudsen' });

    expect(execution.status).toBe('SUCCEEDED');
    const record = await ledgerFromEnv().get(requestId);
    expect(record.status).toBe('completed');
    const result = record.result as unknown as ExportResult;
    expect(result.empty).toBe(false);
    expect(Object.fromEntries(Object.entries(result.stores).map(([store, counts]) => [store, counts.items]))).toEqual(seeded.counts);
    expect(Object.keys(record.stores).sort()).toEqual(Object.keys(seeded.counts).sort());
    expect(Object.values(record.stores).every((progress) => progress.phase === 'collect' && progress.status === 'completed')).toBe(true);
    expect(result.volumeCount).toBe(1);
    const [volume] = await exportVolumes(result);
    expect(volume!.key).toBe(archiveKey(requestId, 1));
    const archive = await s3Client().send(new HeadObjectCommand({ Bucket: 'dsr-exports', Key: volume!.key }));
    expect(archive.ContentLength).toBe(volume!.bytes);
    expect(result.totalBytes).toBe(volume!.bytes);
    const staging = await s3Client().send(new ListObjectsV2Command({ Bucket: 'dsr-exports', Prefix: `staging/${requestId}/` }));
    expect(staging.KeyCount ?? 0).toBe(0);
  });

  it('retries a store that is transiently unavailable and still completes', async () => {
    marketingMode = 'flaky';
    const requestId = await createExportRecord('wf-0001', 'fotoknudsen');

    const execution = await runExport(sfn, { requestId, brand: 'fotoknudsen' });

    expect(execution.status).toBe('SUCCEEDED');
    expect(marketingCalls).toBe(3);
    const record = await ledgerFromEnv().get(requestId);
    expect(record.status).toBe('completed');
    expect((record.result as { stores: Record<string, { items: number }> }).stores.marketing!.items).toBe(seeded.counts.marketing);
  });

  it('fails the request naming the store when a store keeps failing', async () => {
    marketingMode = 'broken';
    const requestId = await createExportRecord('wf-0001', 'fotoknudsen');

    const execution = await runExport(sfn, { requestId, brand: 'fotoknudsen' });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('StoreFailed');
    expect(marketingCalls).toBeGreaterThan(1);
    const record = await ledgerFromEnv().get(requestId);
    expect(record.status).toBe('failed');
    expect(record.error).toEqual({ name: 'StoreFailed', message: expect.stringContaining('Store marketing kept failing') });
    expect(record.stores.marketing).toMatchObject({ phase: 'collect', status: 'failed' });
    const archives = await s3Client().send(new ListObjectsV2Command({ Bucket: 'dsr-exports', Prefix: `exports/${requestId}/` }));
    expect(archives.KeyCount ?? 0).toBe(0);
  });
});
