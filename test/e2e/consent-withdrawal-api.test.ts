import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerKey } from '../../functions/core/keyed-hash';
import { documentClient, s3Client, sfnClient } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { startApiServer, type ApiServer } from '../../local/api-server';
import { startLocalAws } from '../../local/runtime';
import { seedDemoData } from '../../local/seed/demo';
import { seedSyntheticCustomer } from '../../local/seed/synthetic';
import { customerLeft, readJson, snapshotExcept, type ErasureContext } from '../workflow/erasure-helpers';
import { historyText } from '../workflow/rectification-helpers';
import { ApiClient } from './export-archive';

/**
 * End to end: a fotoknudsen customer withdraws consent for the photo library through the HTTP API.
 * Only that store of the customer is erased (read with the SDK): the account, orders and uploaded
 * photos stay, and so does every other customer, a prefix neighbour's library included. A customer of
 * a brand without the service gets a 400 naming the brand rule, and nothing is written.
 */

let dataDir: string;
let ctx: ErasureContext;
let api: ApiServer;
let client: ApiClient;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-consent-withdrawal-e2e-'));
  const aws = await startLocalAws({ dataDir, reset: true, stepFunctions: { retryOverrideMs: 10 }, log: () => {} });
  ctx = { aws, doc: documentClient(), s3: s3Client(), sfn: sfnClient(), ledger: ledgerFromEnv() };
  await seedDemoData({ s3: ctx.s3, doc: ctx.doc });
  // c140: c14's prefix neighbour, with library files under fotoknudsen/c140/.
  await seedSyntheticCustomer({ s3: ctx.s3, doc: ctx.doc }, { customerId: 'c140', brand: 'fotoknudsen', photos: 2, photoBytes: 0, orders: 1, contacts: 1, libraryPhotos: 3 });
  api = await startApiServer({ port: 0, token: aws.secrets.apiToken });
  client = new ApiClient(api.url, aws.secrets.apiToken);
}, 120_000);

afterAll(async () => {
  await api?.close();
  await ctx?.aws.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('consent withdrawal through the HTTP API', () => {
  it('erases c14\'s photo library alone, due 72 hours after receipt, and certifies it; c14\'s other data, c140 and everyone else stay', async () => {
    // Arrange
    const before = await customerLeft(ctx, 'c14');
    const neighbour = await customerLeft(ctx, 'c140');
    const othersBefore = await snapshotExcept(ctx, [{ customerId: 'c14', brand: 'fotoknudsen' }]);
    expect(before['photo-library']!.own).toBeGreaterThan(0);
    expect(neighbour['photo-library']!.own).toBe(3);

    // Act
    const response = await client.call('POST', '/v1/requests', { type: 'consent-withdrawal', customerId: 'c14', brand: 'fotoknudsen', service: 'photo-library' });
    const created = (await response.json()) as { requestId: string; createdAt: string; dueAt: string; status: string };
    const view = (await client.waitFinal(created.requestId)) as { status: string; result?: { certificate?: { bucket: string; key: string; stores: Record<string, { deleted: number }> } } };

    // Assert
    expect(response.status).toBe(202);
    expect(Date.parse(created.dueAt) - Date.parse(created.createdAt)).toBe(72 * 3_600_000);
    expect(view.status).toBe('completed');
    const left = await customerLeft(ctx, 'c14');
    expect(left['photo-library']!.own).toBe(0);
    expect({ ...left, 'photo-library': undefined }).toEqual({ ...before, 'photo-library': undefined });
    expect(left['uploaded-photos']!.own).toBeGreaterThan(0);
    expect(await customerLeft(ctx, 'c140')).toEqual(neighbour);
    expect(await snapshotExcept(ctx, [{ customerId: 'c14', brand: 'fotoknudsen' }])).toEqual(othersBefore);
    const summary = view.result!.certificate!;
    expect(Object.keys(summary.stores)).toEqual(['photo-library']);
    expect(summary.stores['photo-library']!.deleted).toBe(before['photo-library']!.own);
    const certificate = await readJson<{ type: string; customerKey: string; lifecycle: unknown }>(ctx.s3, summary.bucket, summary.key);
    expect(certificate.type).toBe('consent-withdrawal');
    expect(certificate.customerKey).toBe(customerKey('c14'));
    const record = await ctx.ledger.get(created.requestId);
    expect(record.customerId).toBe('c14');
    expect(await historyText(ctx, record.executionArn!)).not.toContain('"c14"');
  });

  it.each([
    [{ brand: 'albelli', customerId: 'c1' }, 'brand', 'the photo-library service is offered only by fotoknudsen and onskefoto'],
    [{ brand: 'resnap', customerId: 'c5' }, 'brand', 'only by fotoknudsen and onskefoto'],
    [{ brand: 'onskefoto', customerId: 'c4', service: 'smart-creation' }, 'service', 'must be one of photo-library'],
    [{ brand: 'onskefoto', customerId: 'c4', service: undefined }, 'service', ''],
  ])('answers 400 naming the %j problem, and writes and starts nothing', async (fields, field, message) => {
    // Arrange
    const leftBefore = await customerLeft(ctx, fields.customerId);

    // Act
    const response = await client.call('POST', '/v1/requests', { type: 'consent-withdrawal', service: 'photo-library', ...fields });

    // Assert
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; details: { field: string; message: string }[] } };
    expect(error.code).toBe('invalid_request');
    expect(error.details).toEqual([{ field, message: expect.stringContaining(message) }]);
    expect((await ctx.ledger.list({ customerKey: customerKey(fields.customerId), limit: 10 })).items).toEqual([]);
    expect(await customerLeft(ctx, fields.customerId)).toEqual(leftBefore);
  });
});
