import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCustomerItems } from '../../functions/core/connectors/dynamodb-store';
import { CUSTOMER_STORES, getStore, resourceName } from '../../functions/core/data-map';
import { retainedRecord } from '../../functions/core/erasure/anonymise';
import { customerKey } from '../../functions/core/keyed-hash';
import { documentClient, s3Client, sfnClient } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { startApiServer, type ApiServer } from '../../local/api-server';
import { startLocalAws } from '../../local/runtime';
import { seedDemoData } from '../../local/seed/demo';
import { customerLeft, readJson, snapshotExcept, type ErasureContext } from '../workflow/erasure-helpers';
import { ApiClient, unzip } from './export-archive';

/**
 * End to end: a seeded demo customer is erased through the HTTP API (after a short cooling-off), every
 * store is checked directly with the SDK, every other customer's data is unchanged, and an export of
 * the same customer afterwards holds only the anonymised invoice records.
 */

let dataDir: string;
let ctx: ErasureContext;
let api: ApiServer;
let client: ApiClient;
const previousCoolingOff = process.env.DSR_ERASURE_COOLING_OFF_SECONDS;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-erasure-e2e-'));
  process.env.DSR_ERASURE_COOLING_OFF_SECONDS = '1';
  const aws = await startLocalAws({ dataDir, reset: true, stepFunctions: { retryOverrideMs: 10 }, log: () => {} });
  ctx = { aws, doc: documentClient(), s3: s3Client(), sfn: sfnClient(), ledger: ledgerFromEnv() };
  await seedDemoData({ s3: ctx.s3, doc: ctx.doc });
  api = await startApiServer({ port: 0, token: aws.secrets.apiToken });
  client = new ApiClient(api.url, aws.secrets.apiToken);
}, 120_000);

afterAll(async () => {
  await api?.close();
  await ctx?.aws.close();
  if (previousCoolingOff === undefined) delete process.env.DSR_ERASURE_COOLING_OFF_SECONDS;
  else process.env.DSR_ERASURE_COOLING_OFF_SECONDS = previousCoolingOff;
  await rm(dataDir, { recursive: true, force: true });
});

describe('erasure through the HTTP API', () => {
  it('erases c1, leaves everyone else untouched, proves it, and a later export finds only the anonymised invoices', async () => {
    const orders = getStore('orders');
    const originalOrders = [];
    for await (const page of readCustomerItems(ctx.doc, orders, 'c1')) originalOrders.push(...page.items);
    const profile = (await ctx.doc.send(new GetCommand({ TableName: 'dsr-customer-profile', Key: { customerId: 'c1' } }))).Item!;
    const othersBefore = await snapshotExcept(ctx, [{ customerId: 'c1', brand: 'albelli' }]);

    const response = await client.call('POST', '/v1/requests', { type: 'erasure', customerId: 'c1', brand: 'albelli', verification: { method: 'known-contact', verifiedBy: 'e2e-test', verifiedAt: new Date().toISOString() } });
    const created = (await response.json()) as { requestId: string; status: string; notBefore: string };
    const view = await client.waitFinal(created.requestId);

    expect(response.status).toBe(202);
    expect(created.status).toBe('pending');
    expect(view.status).toBe('completed');
    const left = await customerLeft(ctx, 'c1');
    expect(Object.fromEntries(Object.entries(left).map(([store, entry]) => [store, entry.own]))).toEqual(
      Object.fromEntries(CUSTOMER_STORES.map((store) => [store.id, 0])),
    );
    const partition = `retained#${customerKey('c1')}`;
    const byOrder = (a: Record<string, unknown>, b: Record<string, unknown>) => String(a.orderId).localeCompare(String(b.orderId));
    expect(left.orders!.retained.sort(byOrder)).toEqual(originalOrders.map((order) => retainedRecord(orders, order, partition)).sort(byOrder));
    expect(await snapshotExcept(ctx, [{ customerId: 'c1', brand: 'albelli' }])).toEqual(othersBefore);

    const record = view as unknown as { customerId?: string; customerKey: string; result: { certificate: { bucket: string; key: string; verification: string; retainedRecords: number } } };
    expect(record.customerId).toBeUndefined();
    expect(record.customerKey).toBe(customerKey('c1'));
    expect(record.result.certificate).toMatchObject({ verification: 'passed', retainedRecords: originalOrders.length });
    const certificate = await readJson<{ retainedRecords: { invoiceNumber: string; retainUntil: string }[] }>(ctx.s3, record.result.certificate.bucket, record.result.certificate.key);
    expect(certificate.retainedRecords.map((entry) => entry.invoiceNumber).sort()).toEqual(originalOrders.map((order) => String(order.invoiceNumber)).sort());
    const listed = await client.call('GET', '/v1/requests?customerId=c1');
    expect(((await listed.json()) as { items: { requestId: string }[] }).items.map((item) => item.requestId)).toContain(created.requestId);

    const exportId = await client.createExport('c1', 'albelli');
    const exported = await client.waitFinal(exportId);

    expect(exported.status).toBe('completed');
    const volumes = Array.from({ length: (exported.result as { volumeCount: number }).volumeCount }, (_, index) => index + 1);
    const entries = (await Promise.all(volumes.map(async (volume) => unzip(await client.download(exportId, volume))))).flat();
    expect(entries.filter((entry) => entry.name.startsWith('files/'))).toEqual([]);
    for (const store of CUSTOMER_STORES.filter((candidate) => !candidate.holdsFiles)) {
      const data = entries.find((entry) => entry.name === `data/${store.id}.json`);
      const records = data ? (JSON.parse(data.data.toString('utf8')) as Record<string, unknown>[]) : [];
      if (store.id === 'orders') expect(records.sort(byOrder)).toEqual(left.orders!.retained.sort(byOrder));
      else expect({ store: store.id, records }).toEqual({ store: store.id, records: [] });
    }
    const everything = entries.map((entry) => entry.data.toString('utf8')).join('\n');
    for (const personal of [profile.email, profile.lastName, profile.phone, originalOrders[0]!.paymentReference]) {
      expect(everything).not.toContain(String(personal));
    }
  });

  it('deletes an export made before the erasure (every volume and staging object), answers 410 for its download, and leaves no raw id on its record', async () => {
    // Arrange: c2 exports first; the archive is in the exports bucket
    const exportId = await client.createExport('c2', 'bonusprint');
    const exported = await client.waitFinal(exportId);
    expect(exported.status).toBe('completed');
    const exportsBucket = resourceName(getStore('exports'));
    const objectsOf = async (prefix: string) => (await ctx.s3.send(new ListObjectsV2Command({ Bucket: exportsBucket, Prefix: prefix }))).KeyCount ?? 0;
    const volumesBefore = await objectsOf(`exports/${exportId}/`);
    expect(volumesBefore).toBeGreaterThan(0);
    expect((await client.call('GET', `/v1/requests/${exportId}/download`)).status).toBe(303);

    // Act
    const response = await client.call('POST', '/v1/requests', { type: 'erasure', customerId: 'c2', brand: 'bonusprint' });
    const erasure = await client.waitFinal(((await response.json()) as { requestId: string }).requestId);

    // Assert
    expect(erasure.status).toBe('completed');
    expect(await objectsOf(`exports/${exportId}/`)).toBe(0);
    expect(await objectsOf(`staging/${exportId}/`)).toBe(0);
    const download = await client.call('GET', `/v1/requests/${exportId}/download`);
    expect(download.status).toBe(410);
    expect(((await download.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'gone', message: expect.stringContaining('erased') });
    const stored = await ctx.ledger.get(exportId);
    expect(stored.customerId).toBeUndefined();
    expect(stored.erasedBy).toBe((erasure as unknown as { requestId: string }).requestId);
    const { certificate } = erasure.result as { certificate: { stores: Record<string, { deleted: number }> } };
    expect(certificate.stores.exports!.deleted).toBe(volumesBefore);
    const found = (await (await client.call('GET', '/v1/requests?customerId=c2')).json()) as { items: { requestId: string }[] };
    expect(found.items.map((item) => item.requestId)).toContain(exportId);
  });
});
