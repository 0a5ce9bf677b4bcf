import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCustomerItems, type Item } from '../../functions/core/connectors/dynamodb-store';
import { getStore, resourceName } from '../../functions/core/data-map';
import { StoreFailed, StoreUnavailable } from '../../functions/core/errors';
import type { Corrections } from '../../functions/core/rectification/corrections';
import { documentClient, s3Client, sfnClient } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { startLocalAws } from '../../local/runtime';
import { seedDemoData } from '../../local/seed/demo';
import { restoredAfterEach } from '../unit/helpers/replacements';
import { enteredStates, readJson, snapshotExcept, type ErasureContext } from './erasure-helpers';
import { createRequestRecord, failing, historyText, replaceFunction, runWorkflow } from './rectification-helpers';

let dataDir: string;
let ctx: ErasureContext;
let sequence = 0;
const replacements = restoredAfterEach();

/** A fresh request id per test. */
function newRequestId(label: string): string {
  sequence += 1;
  return `wf-rect-${label}-${sequence}`;
}

/** Corrections as the API stores them (normalised), with values that appear nowhere before the test. */
function corrections(tag: string): Corrections {
  return {
    email: `right.person+${tag}@example.org`,
    phone: '+31612345678',
    lastName: `Rightname${tag}`,
    addresses: [
      { type: 'home', street: `Rechtstraat ${tag}`, postalCode: '1011 AB', city: 'Amsterdam', country: 'NL' },
      { type: 'shipping', name: 'R. Person', street: `Bezorgweg ${tag}`, postalCode: '1012 CD', city: 'Amsterdam', country: 'NL' },
    ],
  };
}

/** The customer's own items of a table. */
async function itemsOf(storeId: 'orders' | 'marketing', customerId: string): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of readCustomerItems(ctx.doc, getStore(storeId), customerId, { consistentRead: true, partitions: 'own' })) items.push(...page.items);
  return items.sort((a, b) => String(a.orderId ?? a.entryId).localeCompare(String(b.orderId ?? b.entryId)));
}

/** The profile item. */
async function profileOf(customerId: string): Promise<Item | undefined> {
  return (await ctx.doc.send(new GetCommand({ TableName: resourceName(getStore('customer-profile')), Key: { customerId }, ConsistentRead: true }))).Item;
}

/** Makes the customer's first order unshipped (placed), so a shipping address can still change. */
async function placeFirstOrder(customerId: string): Promise<string> {
  const [first] = await itemsOf('orders', customerId);
  await ctx.doc.send(
    new UpdateCommand({
      TableName: resourceName(getStore('orders')),
      Key: { customerId, orderId: first!.orderId },
      UpdateExpression: 'SET #status = :placed',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':placed': 'placed' },
    }),
  );
  return String(first!.orderId);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-rectification-wf-'));
  const aws = await startLocalAws({ dataDir, reset: true, stepFunctions: { retryOverrideMs: 5 }, log: () => {} });
  ctx = { aws, doc: documentClient(), s3: s3Client(), sfn: sfnClient(), ledger: ledgerFromEnv() };
  await seedDemoData({ s3: ctx.s3, doc: ctx.doc });
}, 120_000);

afterAll(async () => {
  await ctx?.aws.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('rectification workflow: apply, verify, certify', () => {
  it('corrects c1\'s profile, consents and unshipped order, leaves invoices, shipped orders and everyone else as they were, and certifies without values', async () => {
    // Arrange
    const requestId = newRequestId('c1');
    const placed = await placeFirstOrder('c1');
    const ordersBefore = await itemsOf('orders', 'c1');
    const consentsBefore = await itemsOf('marketing', 'c1');
    const othersBefore = await snapshotExcept(ctx, [{ customerId: 'c1', brand: 'albelli' }]);
    const wanted = corrections('c1');
    await createRequestRecord(ctx, requestId, 'rectification', 'c1', 'albelli', wanted);

    // Act
    const outcome = await runWorkflow(ctx, 'rectification', requestId, { requestId, brand: 'albelli' });

    // Assert: the stores, read directly
    expect({ status: outcome.status, cause: outcome.cause }).toEqual({ status: 'SUCCEEDED', cause: undefined });
    expect(await profileOf('c1')).toMatchObject({ email: 'right.person+c1@example.org', phone: '+31612345678', lastName: 'Rightnamec1', addresses: wanted.addresses });
    const consents = await itemsOf('marketing', 'c1');
    for (const consent of consents) {
      const before = consentsBefore.find((entry) => entry.entryId === consent.entryId)!;
      const expected =
        consent.entryId === 'consent#email' ? 'right.person+c1@example.org'
        : consent.entryId === 'consent#sms' ? '+31612345678'
        : consent.entryId === 'consent#post' ? 'Rechtstraat c1, 1011 AB Amsterdam'
        : before.address;
      expect({ entryId: consent.entryId, address: consent.address }).toEqual({ entryId: consent.entryId, address: expected });
    }
    const orders = await itemsOf('orders', 'c1');
    for (const order of orders) {
      const before = ordersBefore.find((entry) => entry.orderId === order.orderId)!;
      if (order.orderId === placed) expect(order).toEqual({ ...before, shippingAddress: { ...wanted.addresses![1], type: 'shipping' } });
      else expect(order).toEqual(before);
      expect(order.billingAddress).toEqual(before.billingAddress);
    }
    expect(await snapshotExcept(ctx, [{ customerId: 'c1', brand: 'albelli' }])).toEqual(othersBefore);

    // Assert: the record and the certificate
    const record = await ctx.ledger.get(requestId);
    expect(record.status).toBe('completed');
    expect(record.corrections).toBeUndefined();
    expect(record.customerId).toBe('c1');
    expect(record.stores.orders).toMatchObject({ phase: 'rectify', items: 1 });
    const summary = (record.result as { certificate: { bucket: string; key: string; stores: Record<string, { fields: string[]; records: number }> } }).certificate;
    expect(summary.stores).toEqual({
      'customer-profile': { fields: ['email', 'phone', 'lastName', 'addresses'], records: 1 },
      marketing: { fields: expect.arrayContaining(['email']), records: consents.filter((entry) => String(entry.entryId).startsWith('consent#')).length },
      orders: { fields: ['addresses'], records: 1 },
    });
    const certificate = await readJson<Record<string, unknown>>(ctx.s3, summary.bucket, summary.key);
    expect(certificate).toMatchObject({ type: 'rectification', requestId, verification: { result: 'passed' } });
    const text = JSON.stringify(certificate) + (await historyText(ctx, outcome.executionArn));
    for (const value of ['right.person', 'Rightnamec1', 'Rechtstraat', 'Bezorgweg', '612345678', '"c1"']) expect(text).not.toContain(value);
  });

  it('converges on a replay after a failure past the apply step, and a replay of the completed request changes nothing', async () => {
    // Arrange
    const requestId = newRequestId('replay');
    await createRequestRecord(ctx, requestId, 'rectification', 'c17', 'albelli', { firstName: 'Replayed', locale: 'en-GB' });
    await replaceFunction(ctx, replacements, 'issue-rectification-certificate', failing(() => new StoreFailed('Store "audit" failed: AccessDenied')));
    const failed = await runWorkflow(ctx, 'rectification', requestId, { requestId, brand: 'albelli' });
    await replacements.restoreAll();
    const applied = await profileOf('c17');

    // Act
    const replay = await runWorkflow(ctx, 'rectification', `${requestId}-replay-1`, { requestId, brand: 'albelli' });
    const key = `certificates/${requestId}.json`;
    const head = await ctx.s3.send(new HeadObjectCommand({ Bucket: resourceName(getStore('audit')), Key: key }));
    const second = await runWorkflow(ctx, 'rectification', `${requestId}-replay-2`, { requestId, brand: 'albelli' });

    // Assert
    expect(failed.status).toBe('FAILED');
    expect(replay.status).toBe('SUCCEEDED');
    expect(await profileOf('c17')).toEqual(applied);
    expect(applied).toMatchObject({ firstName: 'Replayed', locale: 'en-GB' });
    expect((await ctx.ledger.get(requestId)).status).toBe('completed');
    expect(await enteredStates(ctx, second.executionArn)).toEqual(['Mark In Progress', 'Proceed?', 'Nothing To Do']);
    expect((await ctx.s3.send(new HeadObjectCommand({ Bucket: resourceName(getStore('audit')), Key: key }))).ETag).toBe(head.ETag);
  });

  it('fails naming the store when a store does not hold the corrections on read-back, and issues no certificate', async () => {
    // Arrange: an apply step that reports success but writes nothing
    await replaceFunction(ctx, replacements, 'apply-rectification', () => async () => ({ stores: [{ store: 'customer-profile', fields: ['lastName'], records: 1 }] }));
    const requestId = newRequestId('mismatch');
    await createRequestRecord(ctx, requestId, 'rectification', 'c13', 'bonusprint', { lastName: 'Nevermind' });

    // Act
    const outcome = await runWorkflow(ctx, 'rectification', requestId, { requestId, brand: 'bonusprint' });

    // Assert
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('RectificationVerificationFailed');
    const record = await ctx.ledger.get(requestId);
    expect(record.status).toBe('failed');
    expect(record.error!.message).toBe('Corrections not held after rectification in: customer-profile (1 of 1 records)');
    expect(record.corrections).toEqual({ lastName: 'Nevermind' });
    await expect(ctx.s3.send(new HeadObjectCommand({ Bucket: resourceName(getStore('audit')), Key: `certificates/${requestId}.json` }))).rejects.toThrow();
  });
});

/** Every Task of the workflow with the catalog function it invokes. */
const TASKS = [
  ['Mark In Progress', 'mark-in-progress'],
  ['Apply Corrections', 'apply-rectification'],
  ['Verify Corrections', 'verify-rectification'],
  ['Record Rectify Progress', 'record-store-progress'],
  ['Notify Recipients', 'notify-processors'],
  ['Issue Certificate', 'issue-rectification-certificate'],
  ['Complete Request', 'complete-request'],
] as const;

describe('rectification workflow: every Retry and Catch', () => {
  it.each(TASKS)('retries %s (%s) while its store is unavailable, then completes', async (_state, functionId) => {
    // Arrange
    await replaceFunction(ctx, replacements, functionId, failing(() => new StoreUnavailable('Store "x" is unavailable: throttled'), 2));
    const requestId = newRequestId('retry');
    await createRequestRecord(ctx, requestId, 'rectification', 'c18', 'bonusprint', { firstName: `Retry${sequence}` });

    // Act
    const outcome = await runWorkflow(ctx, 'rectification', requestId, { requestId, brand: 'bonusprint' });

    // Assert
    expect(outcome.status).toBe('SUCCEEDED');
    expect((await ctx.ledger.get(requestId)).status).toBe('completed');
    expect((await profileOf('c18'))!.firstName).toBe(`Retry${sequence}`);
  });

  it.each(TASKS)('sends a terminal failure of %s (%s) to Record Failure: the request fails with the error', async (state, functionId) => {
    // Arrange
    await replaceFunction(ctx, replacements, functionId, failing(() => new StoreFailed(`Store "x" failed: injected in ${state}`)));
    const requestId = newRequestId('fail');
    await createRequestRecord(ctx, requestId, 'rectification', 'c23', 'bonusprint', { firstName: 'Failing' });

    // Act
    const outcome = await runWorkflow(ctx, 'rectification', requestId, { requestId, brand: 'bonusprint' });

    // Assert
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('StoreFailed');
    const states = await enteredStates(ctx, outcome.executionArn);
    expect(states.slice(-2)).toEqual(['Record Failure', 'Failed']);
    expect(states).toContain(state);
    const record = await ctx.ledger.get(requestId);
    expect(record.status).toBe('failed');
    expect(record.error).toEqual({ name: 'StoreFailed', message: `Store "x" failed: injected in ${state}` });
  });
});
