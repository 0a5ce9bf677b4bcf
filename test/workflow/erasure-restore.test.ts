import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { customerKey } from '../../functions/core/keyed-hash';
import { documentClient, s3Client, sfnClient } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { main } from '../../cli/dsr';
import { startLocalAws } from '../../local/runtime';
import { seedSyntheticCustomer } from '../../local/seed/synthetic';
import { createErasureRecord, customerLeft, runErasure, snapshotExcept, type ErasureContext } from './erasure-helpers';

let dataDir: string;
let ctx: ErasureContext;
const erased = { customerId: 'restored-1', brand: 'albelli' as const };
const shape = { photos: 6, photoBytes: 0, orders: 3, contacts: 3 };

/** Runs a `dsr` command and returns what it printed as JSON. */
async function dsr(...args: string[]): Promise<Record<string, unknown>> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    process.exitCode = undefined;
    await main(['node', 'dsr', ...args, '--data-dir', dataDir]);
    expect(process.exitCode ?? 0).toBe(0);
    return JSON.parse(String(log.mock.calls.at(-1)![0]));
  } finally {
    log.mockRestore();
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-erasure-restore-'));
  const aws = await startLocalAws({ dataDir, reset: true, stepFunctions: { retryOverrideMs: 5 }, log: () => {} });
  ctx = { aws, doc: documentClient(), s3: s3Client(), sfn: sfnClient(), ledger: ledgerFromEnv() };
  await writeFile(
    join(dataDir, 'endpoints.json'),
    JSON.stringify({ s3: aws.endpoints.s3, dynamodb: aws.endpoints.dynamodb, stepfunctions: aws.endpoints.stepfunctions, region: aws.region, ...aws.credentials }),
  );
  await seedSyntheticCustomer({ s3: ctx.s3, doc: ctx.doc }, { ...erased, ...shape });
  await seedSyntheticCustomer({ s3: ctx.s3, doc: ctx.doc }, { customerId: 'restored-12', brand: 'albelli', ...shape });
  await seedSyntheticCustomer({ s3: ctx.s3, doc: ctx.doc }, { customerId: 'other-1', brand: 'bonusprint', ...shape });
}, 120_000);

afterAll(async () => {
  await ctx?.aws.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('re-applying erasures after a restore', () => {
  it('erases again the data a restore brought back, touching nobody else', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    await createErasureRecord(ctx, 'restore-erasure-1', erased.customerId, erased.brand);
    const erasure = await runErasure(ctx, 'restore-erasure-1', { requestId: 'restore-erasure-1', ...erased });
    expect(erasure.status).toBe('SUCCEEDED');
    const afterErasure = await customerLeft(ctx, erased.customerId);
    const others = await snapshotExcept(ctx, [erased]);

    // The restore: a backup from before the erasure brings the customer's records and files back.
    await seedSyntheticCustomer({ s3: ctx.s3, doc: ctx.doc }, { ...erased, ...shape });
    expect((await customerLeft(ctx, erased.customerId))['uploaded-photos']!.own).toBe(shape.photos);

    const report = await dsr('reapply-erasures', '--since', since);

    expect(report).toMatchObject({ erasures: 1, customerKeys: [customerKey(erased.customerId)] });
    expect(report.stores).toMatchObject({ 'uploaded-photos': { deleted: shape.photos }, orders: { deleted: shape.orders, retained: shape.orders } });
    expect(await customerLeft(ctx, erased.customerId)).toEqual(afterErasure);
    expect(await snapshotExcept(ctx, [erased])).toEqual(others);
    await expect(dsr('reapply-erasures', '--since', since)).resolves.toMatchObject({ erasures: 1, customerKeys: [] });
    await expect(dsr('reapply-erasures', '--since', new Date(Date.now() + 60_000).toISOString())).resolves.toMatchObject({ erasures: 0, customerKeys: [] });

  });
});
