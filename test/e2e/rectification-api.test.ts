import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCustomerItems, type Item } from '../../functions/core/connectors/dynamodb-store';
import { getStore, resourceName } from '../../functions/core/data-map';
import { customerKey } from '../../functions/core/keyed-hash';
import { documentClient, s3Client, sfnClient } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { startApiServer, type ApiServer } from '../../local/api-server';
import { readEventLog } from '../../local/eventbridge-server';
import { startLocalAws } from '../../local/runtime';
import { seedDemoData } from '../../local/seed/demo';
import { readJson, snapshotExcept, type ErasureContext } from '../workflow/erasure-helpers';
import { historyText } from '../workflow/rectification-helpers';
import { ApiClient } from './export-archive';

/**
 * End to end: a rectification of a seeded customer through the HTTP API. Every corrected store is read
 * directly with the SDK; invoices and shipped orders keep what they held; every other customer (the
 * prefix neighbour c12 included) is unchanged; the corrections never reach the execution history,
 * the events or the answers; bad input is a 400 naming the field that writes and starts nothing.
 */

let dataDir: string;
let ctx: ErasureContext;
let api: ApiServer;
let client: ApiClient;

/** The customer's own items of a table, by sort key. */
async function itemsOf(storeId: 'orders' | 'marketing', customerId: string): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of readCustomerItems(ctx.doc, getStore(storeId), customerId, { consistentRead: true, partitions: 'own' })) items.push(...page.items);
  return items.sort((a, b) => String(a.orderId ?? a.entryId).localeCompare(String(b.orderId ?? b.entryId)));
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-rectification-e2e-'));
  const aws = await startLocalAws({ dataDir, reset: true, stepFunctions: { retryOverrideMs: 10 }, log: () => {} });
  ctx = { aws, doc: documentClient(), s3: s3Client(), sfn: sfnClient(), ledger: ledgerFromEnv() };
  await seedDemoData({ s3: ctx.s3, doc: ctx.doc });
  api = await startApiServer({ port: 0, token: aws.secrets.apiToken });
  client = new ApiClient(api.url, aws.secrets.apiToken);
}, 120_000);

afterAll(async () => {
  await api?.close();
  await ctx?.aws.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('rectification through the HTTP API', () => {
  it('corrects c1 in the profile, consents and unshipped order, leaves invoices, shipped orders and everyone else, and keeps the values out of Step Functions', async () => {
    // Arrange: one of c1's orders is not shipped yet
    const orders = getStore('orders');
    const [first] = await itemsOf('orders', 'c1');
    await ctx.doc.send(
      new UpdateCommand({
        TableName: resourceName(orders),
        Key: { customerId: 'c1', orderId: first!.orderId },
        UpdateExpression: 'SET #status = :placed',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':placed': 'placed' },
      }),
    );
    const ordersBefore = await itemsOf('orders', 'c1');
    const consentsBefore = await itemsOf('marketing', 'c1');
    const othersBefore = await snapshotExcept(ctx, [{ customerId: 'c1', brand: 'albelli' }]);
    const home = { type: 'home', street: 'Correctiestraat 7', postalCode: '3511 AB', city: 'Utrecht', country: 'NL' };
    const corrections = { email: 'Fixed.Person@Example.ORG', phone: '+31 6 5555 1234', lastName: 'Verbeterd', addresses: [home] };

    // Act
    const response = await client.call('POST', '/v1/requests', { type: 'rectification', customerId: 'c1', brand: 'albelli', corrections });
    const created = (await response.json()) as { requestId: string; executionArn: string };
    const view = (await client.waitFinal(created.requestId)) as unknown as Record<string, unknown> & { status: string; result: { certificate: { bucket: string; key: string } } };

    // Assert: the stores, read with the SDK
    expect(response.status).toBe(202);
    expect(view.status).toBe('completed');
    const profile = (await ctx.doc.send(new GetCommand({ TableName: resourceName(getStore('customer-profile')), Key: { customerId: 'c1' }, ConsistentRead: true }))).Item!;
    expect(profile).toMatchObject({ email: 'fixed.person@example.org', phone: '+31655551234', lastName: 'Verbeterd', addresses: [home] });
    for (const consent of await itemsOf('marketing', 'c1')) {
      const before = consentsBefore.find((entry) => entry.entryId === consent.entryId)!;
      const expected = { 'consent#email': 'fixed.person@example.org', 'consent#sms': '+31655551234', 'consent#post': 'Correctiestraat 7, 3511 AB Utrecht' }[String(consent.entryId)];
      expect(consent).toEqual(expected ? { ...before, address: expected } : before);
    }
    for (const order of await itemsOf('orders', 'c1')) {
      const before = ordersBefore.find((entry) => entry.orderId === order.orderId)!;
      expect(order).toEqual(order.orderId === first!.orderId ? { ...before, shippingAddress: { ...home, type: 'shipping' } } : before);
    }
    expect(await snapshotExcept(ctx, [{ customerId: 'c1', brand: 'albelli' }])).toEqual(othersBefore);

    // Assert: the values stay out of Step Functions, events, answers and the ledger once completed
    const record = await ctx.ledger.get(created.requestId);
    expect(record.corrections).toBeUndefined();
    const certificate = await readJson<Record<string, unknown>>(ctx.s3, view.result.certificate.bucket, view.result.certificate.key);
    expect(certificate).toMatchObject({ type: 'rectification', verification: { result: 'passed' } });
    const events = (await readEventLog(dataDir)).filter((event) => JSON.stringify(event).includes(created.requestId));
    const history = await historyText(ctx, record.executionArn!);
    const everything = [history, JSON.stringify(events), JSON.stringify(certificate), JSON.stringify(view), JSON.stringify(record)].join('\n');
    for (const value of ['fixed.person', 'Fixed.Person', 'Verbeterd', 'Correctiestraat', '5555']) expect({ value, found: everything.includes(value) }).toEqual({ value, found: false });
    expect(history + JSON.stringify(certificate)).not.toContain('"c1"');
  });

  it.each([
    [{}, 'corrections', /required|expected object/i],
    [{ corrections: {} }, 'corrections', /at least one of email, phone/],
    [{ corrections: { email: 'not an email' } }, 'corrections.email', /must be an email address/],
    [{ corrections: { phone: '12' } }, 'corrections.phone', /6 to 15 digits/],
    [{ corrections: { locale: 'tlh' } }, 'corrections.locale', /must be one of/],
    [{ corrections: { addresses: [{ type: 'home', street: 'A 1', postalCode: '1', city: 'B', country: 'Nederland' }] } }, 'corrections.addresses.0.country', /ISO 3166-1/],
    [{ corrections: { nickname: 'x' } }, 'corrections', /nickname|unrecognized/i],
  ])('answers 400 naming the field for %j, and writes and starts nothing', async (fields, field, message) => {
    // Act
    const response = await client.call('POST', '/v1/requests', { type: 'rectification', customerId: 'c2', brand: 'bonusprint', ...fields });

    // Assert
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; details: { field: string; message: string }[] } };
    expect(error.code).toBe('invalid_request');
    expect([...new Set(error.details.map((detail) => detail.field))]).toEqual([field]);
    expect(JSON.stringify(error)).toMatch(message);
    expect((await ctx.ledger.list({ customerKey: customerKey('c2'), limit: 10 })).items).toEqual([]);
  });
});
