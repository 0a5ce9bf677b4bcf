import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Brand } from '../../functions/core/brands';
import { readCustomerItems } from '../../functions/core/connectors/dynamodb-store';
import { getStore, resourceName } from '../../functions/core/data-map';
import { retainedRecord } from '../../functions/core/erasure/anonymise';
import { eraseStore, eraseStoreInput } from '../../functions/core/erasure/erase-store';
import { isSuppressed } from '../../functions/core/erasure/suppression';
import { EventsFailed, EventsUnavailable, StoreFailed, StoreUnavailable } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';
import { newRequestRecord } from '../../functions/core/ledger';
import { documentClient, s3Client, sfnClient } from '../../functions/shared/clients';
import { subjectTaskHandler } from '../../functions/shared/handler';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { handler as realEraser } from '../../functions/erasure/erase-store';
import { handler as realCollector } from '../../functions/export/collect-store';
import { handler as realNotify } from '../../functions/notify/notify-processors';
import { readEventLog } from '../../local/eventbridge-server';
import { localFunctionName, type LambdaHandler } from '../../local/lambda-runtime';
import { startLocalAws } from '../../local/runtime';
import { DEMO_CUSTOMERS, seedDemoData } from '../../local/seed/demo';
import { seedSyntheticCustomer } from '../../local/seed/synthetic';
import { restoredAfterEach } from '../unit/helpers/replacements';
import { createErasureRecord, customerLeft, enteredStates, readJson, runErasure, settled, snapshotExcept, type ErasureContext } from './erasure-helpers';

let dataDir: string;
let ctx: ErasureContext;
let sequence = 0;

/** A fresh request id per test run. */
function newRequestId(label: string): string {
  sequence += 1;
  return `wf-${label}-${sequence}`;
}

const replacements = restoredAfterEach();

/** Replaces a catalog function by a test double until the test ends (the real handler is registered again even when it fails). */
function replaceFunction(functionId: string, fake: LambdaHandler, real: LambdaHandler): void {
  const name = localFunctionName(functionId);
  replacements.replace(
    () => ctx.aws.lambda.register(name, { handler: fake, timeoutSeconds: 120 }),
    () => ctx.aws.lambda.register(name, { handler: real, timeoutSeconds: 120 }),
  );
}

/** An eraser whose clients crash (a non-retryable error) on the `crashAt`-th write call. */
function crashingEraser(crashAt: number): LambdaHandler {
  let writes = 0;
  const crashOnWrite = <T extends { send: (command: never) => Promise<unknown> }>(client: T, writeCommands: string[]): T =>
    ({
      send: async (command: { constructor: { name: string } }) => {
        if (writeCommands.includes(command.constructor.name)) {
          writes += 1;
          if (writes === crashAt) throw Object.assign(new Error('injected crash'), { name: 'InjectedCrash' });
        }
        return client.send(command as never);
      },
    }) as unknown as T;
  const doc = crashOnWrite(DynamoDBDocumentClient.from(new DynamoDBClient({})), ['BatchWriteCommand']);
  const s3 = crashOnWrite(s3Client(), ['DeleteObjectsCommand']) as unknown as S3Client;
  return subjectTaskHandler(eraseStoreInput, (input) => eraseStore({ doc, s3, auditBucket: resourceName(getStore('audit')) }, input)) as LambdaHandler;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-erasure-wf-'));
  const aws = await startLocalAws({ dataDir, reset: true, stepFunctions: { retryOverrideMs: 5, waitOverrideMs: 100 }, log: () => {} });
  ctx = { aws, doc: documentClient(), s3: s3Client(), sfn: sfnClient(), ledger: ledgerFromEnv() };
  await seedDemoData({ s3: ctx.s3, doc: ctx.doc });
}, 120_000);

afterAll(async () => {
  await ctx?.aws.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('erasure workflow: cooling-off and cancel', () => {
  it('waits for the cooling-off and ends without erasing when the request was cancelled meanwhile', async () => {
    const requestId = newRequestId('cancel');
    const notBefore = new Date(Date.now() + 1500).toISOString();
    await createErasureRecord(ctx, requestId, 'c6', 'albelli', notBefore);
    const before = await customerLeft(ctx, 'c6');
    await ctx.ledger.transition(requestId, 'cancelled');

    const outcome = await runErasure(ctx, requestId, { requestId, brand: 'albelli', notBefore });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(await enteredStates(ctx, outcome.executionArn)).toEqual(['Cooling Off?', 'Cooling Off', 'Mark In Progress', 'Proceed?', 'Nothing To Do']);
    expect((await ctx.ledger.get(requestId)).status).toBe('cancelled');
    expect(await customerLeft(ctx, 'c6')).toEqual(before);
  });
});

describe('erasure workflow: the customer\'s exports', () => {
  it('cancels a failed export, waits for a running one to end, then erases and completes', async () => {
    const customerId = 'settle-exports-1';
    await seedSyntheticCustomer({ s3: ctx.s3, doc: ctx.doc }, { customerId, brand: 'albelli', photos: 1, photoBytes: 0, orders: 1, contacts: 1 });
    const exportRecord = (requestId: string) =>
      newRequestRecord({ requestId, type: 'export', customerId, customerKey: customerKey(customerId), brand: 'albelli', bodyHash: requestId, receivedAt: new Date() });
    const running = { ...exportRecord(newRequestId('running-export')), status: 'in_progress' as const };
    const failed = { ...exportRecord(newRequestId('failed-export')), status: 'failed' as const, error: { name: 'StoreFailed', message: 'x' } };
    await ctx.ledger.create(running);
    await ctx.ledger.create(failed);
    const requestId = newRequestId('settle');
    await createErasureRecord(ctx, requestId, customerId, 'albelli');

    const started = await ctx.sfn.send(
      new StartExecutionCommand({ stateMachineArn: ctx.aws.stateMachineArns['dsr-erasure'], name: requestId, input: JSON.stringify({ type: 'erasure', requestId, brand: 'albelli' }) }),
    );
    const executionArn = started.executionArn!;
    for (let polls = 0; !(await enteredStates(ctx, executionArn)).includes('Wait For Exports'); polls++) {
      if (polls > 600) throw new Error('the erasure never reached Wait For Exports');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const stillRunning = (await ctx.ledger.get(requestId)).status;
    await ctx.ledger.transition(running.requestId, 'completed', { result: {} });
    const { status } = await settled(ctx, executionArn);

    expect(stillRunning).toBe('in_progress');
    expect(status).toBe('SUCCEEDED');
    const states = await enteredStates(ctx, executionArn);
    expect(states.filter((state) => state === 'Wait For Exports').length).toBeGreaterThan(0);
    expect(states.indexOf('Erase Stores')).toBeGreaterThan(states.lastIndexOf('Wait For Exports'));
    expect((await ctx.ledger.get(failed.requestId)).status).toBe('cancelled');
    expect((await ctx.ledger.get(running.requestId)).erasedBy).toBe(requestId);
    expect((await ctx.ledger.get(requestId)).status).toBe('completed');
  });
});

describe('erasure workflow: legal hold', () => {
  it('puts the request on hold with the reason and erases nothing; a replay after the hold clears proceeds', async () => {
    const requestId = newRequestId('hold');
    await createErasureRecord(ctx, requestId, 'c8', 'bonusprint');
    const before = await customerLeft(ctx, 'c8');

    const held = await runErasure(ctx, requestId, { requestId, brand: 'bonusprint' });

    expect(held.status).toBe('SUCCEEDED');
    expect((await enteredStates(ctx, held.executionArn)).at(-1)).toBe('On Hold');
    const record = await ctx.ledger.get(requestId);
    expect(record.status).toBe('on_hold');
    expect(record.hold!.reasons.join(' ')).toMatch(/^order \S+: not yet delivered/);
    expect(await customerLeft(ctx, 'c8')).toEqual(before);

    const orders = getStore('orders');
    for await (const page of readCustomerItems(ctx.doc, orders, 'c8')) {
      for (const order of page.items) {
        await ctx.doc.send(
          new UpdateCommand({
            TableName: resourceName(orders),
            Key: { customerId: 'c8', orderId: order.orderId },
            UpdateExpression: 'SET #status = :delivered, paymentStatus = :paid',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':delivered': 'delivered', ':paid': 'paid' },
          }),
        );
      }
    }
    const replay = await runErasure(ctx, `${requestId}-replay-1`, { requestId, brand: 'bonusprint' });

    expect(replay.status).toBe('SUCCEEDED');
    expect((await ctx.ledger.get(requestId)).status).toBe('completed');
  });

  it.each([
    ['c9', 'fotoknudsen', /contact \S+: complaint flagged as a legal claim/],
    ['c10', 'onskefoto', /order \S+: payment disputed/],
  ] as const)('holds %s (%s)', async (customerId, brand, reason) => {
    const requestId = newRequestId('hold');
    await createErasureRecord(ctx, requestId, customerId, brand);

    await runErasure(ctx, requestId, { requestId, brand });

    const record = await ctx.ledger.get(requestId);
    expect(record.status).toBe('on_hold');
    expect(record.hold!.reasons.join('\n')).toMatch(reason);
  });
});

describe('erasure workflow: erase, verify, prove', () => {
  const others = () => DEMO_CUSTOMERS.filter((customer) => customer.customerId !== 'c1');

  it('erases every store of c1 as the data map says, touches nobody else, and completes with a certificate', async () => {
    const requestId = newRequestId('c1');
    await createErasureRecord(ctx, requestId, 'c1', 'albelli');
    const profile = (await ctx.doc.send(new GetCommand({ TableName: 'dsr-customer-profile', Key: { customerId: 'c1' } }))).Item!;
    const originalOrders = [];
    for await (const page of readCustomerItems(ctx.doc, getStore('orders'), 'c1')) originalOrders.push(...page.items);
    const othersBefore = await snapshotExcept(ctx, [{ customerId: 'c1', brand: 'albelli' }]);

    const outcome = await runErasure(ctx, requestId, { requestId, brand: 'albelli' });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(await snapshotExcept(ctx, [{ customerId: 'c1', brand: 'albelli' }])).toEqual(othersBefore);
    const left = await customerLeft(ctx, 'c1');
    for (const [store, entry] of Object.entries(left)) {
      expect({ store, own: entry.own }).toEqual({ store, own: 0 });
      if (store !== 'orders') expect(entry.retained).toEqual([]);
    }
    const partition = `retained#${customerKey('c1')}`;
    expect(left.orders!.retained.sort((a, b) => String(a.orderId).localeCompare(String(b.orderId)))).toEqual(
      originalOrders.map((order) => retainedRecord(getStore('orders'), order, partition)).sort((a, b) => String(a.orderId).localeCompare(String(b.orderId))),
    );
    const erasure = outcome.output!.erasure as { store: string; action: string; deleted: number; retained: number }[];
    expect(erasure.find((result) => result.store === 'orders')).toMatchObject({ action: 'anonymise-and-retain', deleted: originalOrders.length, retained: originalOrders.length });
    expect(erasure.find((result) => result.store === 'uploaded-photos')!.deleted).toBeGreaterThan(0);

    const record = await ctx.ledger.get(requestId);
    expect(record.status).toBe('completed');
    expect(record.customerId).toBeUndefined();
    expect(record.customerKey).toBe(customerKey('c1'));
    const summary = (record.result as { certificate: { bucket: string; key: string; retainedRecords: number; notifiedRecipients: string[] } }).certificate;
    expect(summary).toMatchObject({ key: `certificates/${requestId}.json`, retainedRecords: originalOrders.length, notifiedRecipients: ['email-marketing-provider', 'meta-custom-audiences'] });
    const certificate = await readJson<Record<string, unknown>>(ctx.s3, summary.bucket, summary.key);
    expect(JSON.stringify(certificate)).not.toMatch(new RegExp(`"c1"|${String(profile.email).replace(/[.+]/g, '\\$&')}|${String(profile.lastName)}`));
    expect(certificate).toMatchObject({ requestId, customerKey: customerKey('c1'), verification: { result: 'passed' } });

    await expect(isSuppressed(ctx.doc, { email: String(profile.email).toUpperCase() })).resolves.toBe(true);
    await expect(isSuppressed(ctx.doc, { phone: String(profile.phone) })).resolves.toBe(true);
    const notices = (await readEventLog(dataDir)).filter((event) => event.source === 'dsr.recipient' && (event.detail as { requestId: string }).requestId === requestId);
    expect(notices.map((event) => [event.detailType, (event.detail as { recipientId: string; action: string }).recipientId, (event.detail as { action: string }).action])).toEqual([
      ['Recipient Notification', 'email-marketing-provider', 'erase'],
      ['Recipient Notification', 'meta-custom-audiences', 'erase'],
    ]);
    expect(record.notifications).toEqual({
      'email-marketing-provider': { sentAt: expect.any(String) },
      'meta-custom-audiences': { sentAt: expect.any(String) },
    });
    expect(JSON.stringify(notices)).not.toContain(String(profile.email));

    // A replay of the completed erasure changes nothing: it stops at Mark In Progress.
    const certificateHead = await ctx.s3.send(new HeadObjectCommand({ Bucket: summary.bucket, Key: summary.key }));
    const replay = await runErasure(ctx, `${requestId}-replay-1`, { requestId, brand: 'albelli' });

    expect(replay.status).toBe('SUCCEEDED');
    expect(await enteredStates(ctx, replay.executionArn)).toEqual(['Cooling Off?', 'Mark In Progress', 'Proceed?', 'Nothing To Do']);
    expect((await ctx.s3.send(new HeadObjectCommand({ Bucket: summary.bucket, Key: summary.key }))).ETag).toBe(certificateHead.ETag);
    expect((await ctx.ledger.get(requestId)).result).toEqual(record.result);
    expect((await readEventLog(dataDir)).filter((event) => event.source === 'dsr.recipient' && (event.detail as { requestId: string }).requestId === requestId)).toHaveLength(2);
    expect(await snapshotExcept(ctx, [{ customerId: 'c1', brand: 'albelli' }])).toEqual(othersBefore);
    expect(others().length).toBeGreaterThan(10);
  });

  it('erases the photo library of a fotoknudsen customer', async () => {
    const requestId = newRequestId('c3');
    await createErasureRecord(ctx, requestId, 'c3', 'fotoknudsen');
    expect((await customerLeft(ctx, 'c3'))['photo-library']!.own).toBeGreaterThan(0);

    const outcome = await runErasure(ctx, requestId, { requestId, brand: 'fotoknudsen' });

    expect(outcome.status).toBe('SUCCEEDED');
    const left = await customerLeft(ctx, 'c3');
    expect(Object.values(left).every((entry) => entry.own === 0)).toBe(true);
    expect((outcome.output!.erasure as { store: string; deleted: number }[]).find((result) => result.store === 'photo-library')!.deleted).toBeGreaterThan(0);
  });
});

describe('erasure workflow: failures and replays', () => {
  it('retries a store that is unavailable, then completes', async () => {
    let calls = 0;
    replaceFunction(
      'erase-smart-creation',
      async (event, context) => {
        calls += 1;
        if (calls <= 2) throw new StoreUnavailable('Store "smart-creation" is unavailable: throttled');
        return realEraser(event, context);
      },
      realEraser as LambdaHandler,
    );
    const requestId = newRequestId('retry');
    await createErasureRecord(ctx, requestId, 'c17', 'albelli');

    const outcome = await runErasure(ctx, requestId, { requestId, brand: 'albelli' });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(calls).toBe(3);
    expect((await customerLeft(ctx, 'c17'))['smart-creation']!.own).toBe(0);
  });

  it('records a terminal store failure on the request and fails the execution', async () => {
    replaceFunction(
      'erase-call-recordings',
      async () => {
        throw new StoreFailed('Store "call-recordings" failed: AccessDenied');
      },
      realEraser as LambdaHandler,
    );
    const requestId = newRequestId('fail');
    await createErasureRecord(ctx, requestId, 'c7', 'albelli');

    const outcome = await runErasure(ctx, requestId, { requestId, brand: 'albelli' });

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('StoreFailed');
    const record = await ctx.ledger.get(requestId);
    expect(record.status).toBe('failed');
    expect(record.error).toEqual({ name: 'StoreFailed', message: 'Store "call-recordings" failed: AccessDenied' });
    expect(record.customerId).toBe('c7');
  });

  it('fails verification naming the store when a collector still finds personal data, and never completes', async () => {
    replaceFunction('collect-marketing', async () => ({ store: 'marketing', items: 2, retainedItems: 0, personalItems: 2 }), realCollector as LambdaHandler);
    const requestId = newRequestId('verify');
    await createErasureRecord(ctx, requestId, 'c22', 'albelli');

    const outcome = await runErasure(ctx, requestId, { requestId, brand: 'albelli' });

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('ErasureVerificationFailed');
    const record = await ctx.ledger.get(requestId);
    expect(record.status).toBe('failed');
    expect(record.error!.message).toMatch(/in: marketing \(2 personal records or files\)/);
    await expect(ctx.s3.send(new HeadObjectCommand({ Bucket: 'dsr-audit', Key: `certificates/${requestId}.json` }))).rejects.toThrow();
  });

  it('retries Notify Processors while the bus is unavailable, then tells each recipient once', async () => {
    let calls = 0;
    replaceFunction(
      'notify-processors',
      async (event, context) => {
        calls += 1;
        if (calls <= 2) throw new EventsUnavailable('Event bus unavailable: throttled');
        return realNotify(event, context);
      },
      realNotify as LambdaHandler,
    );
    await seedSyntheticCustomer({ s3: ctx.s3, doc: ctx.doc }, { customerId: 'notify-retry', brand: 'albelli', photos: 2, photoBytes: 0, orders: 1, contacts: 1, libraryPhotos: 0 });
    const requestId = newRequestId('notify-retry');
    await createErasureRecord(ctx, requestId, 'notify-retry', 'albelli');

    const outcome = await runErasure(ctx, requestId, { requestId, brand: 'albelli' });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(calls).toBe(3);
    const notices = (await readEventLog(dataDir)).filter((event) => event.source === 'dsr.recipient' && (event.detail as { requestId: string }).requestId === requestId);
    expect(notices.map((event) => (event.detail as { idempotencyKey: string }).idempotencyKey)).toEqual([`${requestId}:email-marketing-provider`, `${requestId}:meta-custom-audiences`]);
  });

  it('records a terminal Notify Processors failure through Record Failure, before verification and certificate', async () => {
    replaceFunction(
      'notify-processors',
      async () => {
        throw new EventsFailed('Event bus refused the notifications: AccessDeniedException');
      },
      realNotify as LambdaHandler,
    );
    await seedSyntheticCustomer({ s3: ctx.s3, doc: ctx.doc }, { customerId: 'notify-fail', brand: 'albelli', photos: 2, photoBytes: 0, orders: 1, contacts: 1, libraryPhotos: 0 });
    const requestId = newRequestId('notify-fail');
    await createErasureRecord(ctx, requestId, 'notify-fail', 'albelli');

    const outcome = await runErasure(ctx, requestId, { requestId, brand: 'albelli' });

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('EventsFailed');
    const record = await ctx.ledger.get(requestId);
    expect(record.status).toBe('failed');
    expect(record.error).toEqual({ name: 'EventsFailed', message: 'Event bus refused the notifications: AccessDeniedException' });
    expect(record.notifications).toBeUndefined();
    expect(await enteredStates(ctx, outcome.executionArn)).not.toContain('Verify Stores');
    await expect(ctx.s3.send(new HeadObjectCommand({ Bucket: 'dsr-audit', Key: `certificates/${requestId}.json` }))).rejects.toThrow();
  });

  it.each([
    ['customer-profile', 1, 'after its batch is recorded, before it is deleted', {}],
    ['orders', 1, 'after the first retained records, before the originals are deleted', {}],
    ['orders', 2, 'after the first originals are deleted', {}],
    ['uploaded-photos', 1, 'before the first batch of files is deleted', {}],
    ['uploaded-photos', 2, 'after the first page of 1,000 files is deleted', { photos: 1500 }],
    ['photo-library', 1, 'before the library files are deleted', { brand: 'onskefoto' as Brand, libraryPhotos: 12 }],
    ['contact-history', 2, 'after the first batch of contacts', {}],
    ['call-recordings', 1, 'before the recordings are deleted', {}],
    ['marketing', 1, 'before the marketing entries are deleted', {}],
    ['smart-creation', 2, 'after the first batch of analyses', {}],
  ] as const)('converges after a crash in %s (write %i, %s) and a replay, and certifies the seeded counts', async (store, crashAt, _when, options) => {
    const customerId = `crash-${store}-${crashAt}`;
    const brand: Brand = 'brand' in options ? options.brand : 'albelli';
    await seedSyntheticCustomer(
      { s3: ctx.s3, doc: ctx.doc },
      { customerId, brand, photos: 'photos' in options ? options.photos : 30, photoBytes: 0, orders: 30, contacts: 30, libraryPhotos: 'libraryPhotos' in options ? options.libraryPhotos : 0 },
    );
    const originalOrders = [];
    for await (const page of readCustomerItems(ctx.doc, getStore('orders'), customerId)) originalOrders.push(...page.items);
    const othersBefore = await snapshotExcept(ctx, [{ customerId, brand }]);
    replaceFunction(`erase-${store}`, crashingEraser(crashAt), realEraser as LambdaHandler);
    const requestId = newRequestId('crash');
    await createErasureRecord(ctx, requestId, customerId, brand);

    const seeded = await customerLeft(ctx, customerId);
    const crashed = await runErasure(ctx, requestId, { requestId, brand });

    expect(crashed.status).toBe('FAILED');
    expect(crashed.error).toBe('StoreFailed');
    expect(crashed.cause).toContain('InjectedCrash: injected crash');
    expect((await ctx.ledger.get(requestId)).status).toBe('failed');

    const replay = await runErasure(ctx, `${requestId}-replay-1`, { requestId, brand });

    expect(replay.status).toBe('SUCCEEDED');
    expect((await ctx.ledger.get(requestId)).status).toBe('completed');
    const left = await customerLeft(ctx, customerId);
    expect(Object.values(left).every((entry) => entry.own === 0)).toBe(true);
    const partition = `retained#${customerKey(customerId)}`;
    const byOrder = (a: Record<string, unknown>, b: Record<string, unknown>) => String(a.orderId).localeCompare(String(b.orderId));
    expect(left.orders!.retained.sort(byOrder)).toEqual(originalOrders.map((order) => retainedRecord(getStore('orders'), order, partition)).sort(byOrder));
    expect(await snapshotExcept(ctx, [{ customerId, brand }])).toEqual(othersBefore);
    const { certificate } = (await ctx.ledger.get(requestId)).result as { certificate: { stores: Record<string, { deleted: number; retained: number }> } };
    const { exports: exportArchives, ...businessStores } = certificate.stores;
    expect(Object.fromEntries(Object.entries(businessStores).map(([id, counts]) => [id, counts.deleted]))).toEqual(
      Object.fromEntries(Object.entries(seeded).map(([id, entry]) => [id, entry.own])),
    );
    expect(exportArchives!.deleted).toBe(0);
    expect(certificate.stores.orders!.retained).toBe(originalOrders.length);
  });
});
