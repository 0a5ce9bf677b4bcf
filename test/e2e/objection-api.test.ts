import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStore, resourceName } from '../../functions/core/data-map';
import { emailHash } from '../../functions/core/erasure/suppression';
import { customerKey } from '../../functions/core/keyed-hash';
import { validateResponse } from '../unit/helpers/openapi';
import { readJson, snapshotExcept } from '../workflow/erasure-helpers';
import { itemsOf } from '../workflow/processing-helpers';
import { startProcessingHarness, type ProcessingHarness } from './processing-api';

/**
 * End to end through the HTTP API on the demo data: c1 objects to direct marketing (consents withdrawn
 * with source objection, segments and audiences deleted, email and phone suppressed, profile and orders
 * unchanged, c12 untouched) and c5 to smart creation (tracked edits deleted, analyses kept); the
 * stores are read directly, the checks answer before and after, and a bad purpose writes nothing.
 */

let harness: ProcessingHarness;

beforeAll(async () => {
  harness = await startProcessingHarness('objection');
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

/** Creates an objection request and waits for its final status. */
async function object(customerId: string, brand: string, purpose: string) {
  const created = await harness.call('POST', '/v1/requests', { type: 'objection', customerId, brand, purpose });
  expect(created.status).toBe(202);
  return harness.client.waitFinal(created.body.requestId as string) as Promise<{ requestId: string; status: string; objection: unknown; result: { certificate: { bucket: string; key: string; stores: Record<string, Record<string, number>> } } }>;
}

const byEntry = (items: Record<string, unknown>[], prefix: string) => items.filter((item) => String(item.entryId).startsWith(prefix));

describe('objection through the HTTP API', () => {
  it('c1 objects to direct marketing: consents withdrawn, segments and audiences gone, contact points suppressed, profile, orders and c12 unchanged', async () => {
    // Arrange
    const stores = ['customer-profile', 'orders', 'marketing', 'smart-creation'];
    const before = Object.fromEntries(await Promise.all(stores.map(async (store) => [store, await itemsOf(harness.ctx.doc, store, 'c1')] as const)));
    const others = await snapshotExcept(harness.ctx, [{ customerId: 'c1', brand: 'albelli' }]);
    const profile = (await harness.ctx.doc.send(new GetCommand({ TableName: resourceName(getStore('customer-profile')), Key: { customerId: 'c1' } }))).Item!;
    const contacts = { emails: [String(profile.email)], phones: [String(profile.phone)] };
    const suppressedBefore = await harness.call('POST', '/v1/checks/suppression', contacts);
    const consents = byEntry(before.marketing!, 'consent#');
    const segmentsAndAudiences = [...byEntry(before.marketing!, 'segment#'), ...byEntry(before.marketing!, 'audience#')];
    expect(consents.length).toBeGreaterThan(0);
    expect(segmentsAndAudiences.length).toBeGreaterThan(0);

    // Act
    const done = await object('c1', 'albelli', 'direct-marketing');

    // Assert
    expect(done).toMatchObject({ status: 'completed', objection: { purpose: 'direct-marketing' } });
    const after = Object.fromEntries(await Promise.all(stores.map(async (store) => [store, await itemsOf(harness.ctx.doc, store, 'c1')] as const)));
    expect(after['customer-profile']).toEqual(before['customer-profile']);
    expect(after.orders).toEqual(before.orders);
    expect(after['smart-creation']).toEqual(before['smart-creation']);
    expect(after.marketing!.map((item) => [item.entryId, item.granted, item.source, item.address])).toEqual(consents.map((item) => [item.entryId, false, 'objection', item.address]));
    expect(await snapshotExcept(harness.ctx, [{ customerId: 'c1', brand: 'albelli' }])).toEqual(others);
    expect(suppressedBefore.body.results.map((answer: { suppressed: boolean }) => answer.suppressed)).toEqual([false, false]);
    const suppressedAfter = await harness.call('POST', '/v1/checks/suppression', contacts);
    expect(suppressedAfter.body).toEqual({
      results: [
        { email: contacts.emails[0], suppressed: true, reason: 'objection' },
        { phone: contacts.phones[0], suppressed: true, reason: 'objection' },
      ],
    });
    const entry = (await harness.suppressionItems()).find((item) => item.hash === emailHash(contacts.emails[0]!));
    expect(entry).toMatchObject({ kind: 'email', reason: 'objection' });
    expect(JSON.stringify(await harness.suppressionItems())).not.toContain(contacts.emails[0]);
    expect((await harness.call('GET', '/v1/checks/processing?customerId=c1&purpose=marketing')).body).toMatchObject({ allowed: false, reason: { kind: 'objection', requestId: done.requestId } });
    expect((await harness.call('GET', '/v1/checks/processing?customerId=c1&purpose=smart-creation')).body).toEqual({ purpose: 'smart-creation', allowed: true });
    expect((await harness.call('GET', '/v1/checks/processing?customerId=c12&purpose=marketing')).body).toEqual({ purpose: 'marketing', allowed: true });
    expect(done.result.certificate.stores).toEqual({
      'marketing-suppression': { 'objection-recorded': 1, suppressed: expect.any(Number) },
      marketing: { 'consents-withdrawn': consents.length, deleted: segmentsAndAudiences.length },
    });
    const certificate = await readJson<Record<string, unknown>>(harness.ctx.s3, done.result.certificate.bucket, done.result.certificate.key);
    expect(certificate).toMatchObject({ type: 'objection', customerKey: customerKey('c1'), verification: { result: 'passed' } });
    expect(JSON.stringify(certificate)).not.toMatch(/"c1"|@/);
  });

  it('c5 objects to smart creation: the tracked edits are deleted, the analyses and marketing stay, further tracking is refused', async () => {
    const before = { smart: await itemsOf(harness.ctx.doc, 'smart-creation', 'c5'), marketing: await itemsOf(harness.ctx.doc, 'marketing', 'c5') };
    const edits = byEntry(before.smart, 'edit#');
    expect(edits.length).toBeGreaterThan(0);
    const allowedBefore = (await harness.call('GET', '/v1/checks/processing?customerId=c5&purpose=smart-creation')).body;

    const done = await object('c5', 'resnap', 'smart-creation');

    expect(done.status).toBe('completed');
    const after = { smart: await itemsOf(harness.ctx.doc, 'smart-creation', 'c5'), marketing: await itemsOf(harness.ctx.doc, 'marketing', 'c5') };
    expect(after.smart).toEqual(before.smart.filter((item) => !String(item.entryId).startsWith('edit#')));
    expect(after.marketing).toEqual(before.marketing);
    expect(allowedBefore).toEqual({ purpose: 'smart-creation', allowed: true });
    expect((await harness.call('GET', '/v1/checks/processing?customerId=c5&purpose=smart-creation')).body).toMatchObject({ allowed: false, reason: { kind: 'objection', requestId: done.requestId } });
    expect((await harness.call('GET', '/v1/checks/processing?customerId=c5&purpose=marketing')).body.allowed).toBe(true);
    expect(done.result.certificate.stores).toEqual({ 'marketing-suppression': { 'objection-recorded': 1 }, 'smart-creation': { deleted: edits.length } });
  });

  it('answers 400 naming the purpose for an unknown one and writes nothing', async () => {
    const suppressionBefore = await harness.suppressionItems();
    const marketingBefore = await itemsOf(harness.ctx.doc, 'marketing', 'c2');

    const response = await harness.call('POST', '/v1/requests', { type: 'objection', customerId: 'c2', brand: 'bonusprint', purpose: 'profiling' });
    const missing = await harness.call('POST', '/v1/requests', { type: 'objection', customerId: 'c2', brand: 'bonusprint' });

    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([{ field: 'purpose', message: 'must be one of direct-marketing, smart-creation' }]);
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.map((detail: { field: string }) => detail.field)).toEqual(['purpose']);
    expect(validateResponse('/v1/requests', 'post', 400, response.body)).toBe('');
    expect(await harness.suppressionItems()).toEqual(suppressionBefore);
    expect(await itemsOf(harness.ctx.doc, 'marketing', 'c2')).toEqual(marketingBefore);
    expect((await harness.call('GET', '/v1/requests?customerId=c2')).body.items).toEqual([]);
  });
});
