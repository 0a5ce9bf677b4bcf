import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/dsr';
import { getStore, resourceName } from '../../functions/core/data-map';
import { customerKey } from '../../functions/core/keyed-hash';
import { newRequestRecord, type RequestRecord } from '../../functions/core/ledger';
import { openMarkerId } from '../../functions/core/open-requests';
import type { RequestView } from '../../functions/core/requests';
import { documentClient, s3Client, sfnClient } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { startApiServer, type ApiServer } from '../../local/api-server';
import { readEventLog } from '../../local/eventbridge-server';
import { startLocalAws, type LocalAws } from '../../local/runtime';
import { seedDemoData } from '../../local/seed/demo';
import { validateResponse } from '../unit/helpers/openapi';

/**
 * End to end through the HTTP API on the embedded local AWS: the lifecycle routes of every request
 * (extension, denial, cancel of a running export), the structured verification and the calling
 * principal on the record and the certificate, and the daily legal-hold re-check resuming a held
 * erasure once its hold has cleared. Stores are read directly with the SDK.
 */

let dataDir: string;
let aws: LocalAws;
let api: ApiServer;
const previousCoolingOff = process.env.DSR_ERASURE_COOLING_OFF_SECONDS;
const doc = () => documentClient();
const s3 = () => s3Client();
/** While set, every read of a customer photo waits for it (a volume build caught mid-flight); counts the waiting reads. */
let holdPhotos: Promise<void> | undefined;
let photosHeld = 0;

const CALLER = 'token:e2e-ops';
const verification = () => ({ method: 'email-code', verifiedBy: 'portal', verifiedAt: new Date(Date.now() - 60_000).toISOString() });

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${aws.secrets.apiToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function pollUntil(requestId: string, done: (record: RequestView) => boolean, attempts = 400): Promise<RequestView> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const { body } = await call('GET', `/v1/requests/${requestId}`);
    if (done(body as RequestView)) return body as RequestView;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`request ${requestId} did not reach the expected state`);
}

/** A request record written straight to the ledger (a state the API cannot reach quickly, e.g. received a month ago). */
async function putRecord(overrides: Partial<RequestRecord>): Promise<RequestRecord> {
  const record = { ...newRequestRecord({ requestId: randomUUID(), type: 'export', customerId: `e2e-${randomUUID().slice(0, 8)}`, customerKey: '', brand: 'albelli', bodyHash: 'h', receivedAt: new Date() }), ...overrides };
  record.customerKey = customerKey(record.customerId!);
  await ledgerFromEnv().create(record);
  return record;
}

async function objectCount(prefix: string): Promise<number> {
  const listed = await s3().send(new ListObjectsV2Command({ Bucket: resourceName(getStore('exports')), Prefix: prefix }));
  return listed.KeyCount ?? 0;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-lifecycle-e2e-'));
  process.env.DSR_ERASURE_COOLING_OFF_SECONDS = '3600';
  aws = await startLocalAws({
    dataDir,
    reset: true,
    stepFunctions: { retryOverrideMs: 10 },
    log: () => undefined,
  });
  // The functions run in-process on the shared client: a held photo read keeps a volume build mid-flight.
  const photos = resourceName(getStore('uploaded-photos'));
  s3().middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Bucket?: string };
      if (holdPhotos && context.commandName === 'GetObjectCommand' && input.Bucket === photos) {
        photosHeld += 1;
        await holdPhotos;
      }
      return next(args);
    },
    { step: 'initialize', name: 'holdPhotoReads' },
  );
  await seedDemoData({ s3: s3(), doc: doc() });
  api = await startApiServer({ port: 0, token: aws.secrets.apiToken, tokenName: 'e2e-ops' });
  await writeFile(
    join(dataDir, 'endpoints.json'),
    JSON.stringify({ api: api.url, s3: aws.endpoints.s3, dynamodb: aws.endpoints.dynamodb, stepfunctions: aws.endpoints.stepfunctions, token: aws.secrets.apiToken, region: aws.region, ...aws.credentials }),
  );
}, 180_000);

afterAll(async () => {
  await api?.close();
  await aws?.close();
  if (previousCoolingOff === undefined) delete process.env.DSR_ERASURE_COOLING_OFF_SECONDS;
  else process.env.DSR_ERASURE_COOLING_OFF_SECONDS = previousCoolingOff;
  await rm(dataDir, { recursive: true, force: true });
});

describe('POST /v1/requests/{id}/extension', () => {
  it('extends an open request once to three months after receipt, records who and why, and emits Request Deadline Extended', async () => {
    // Arrange
    const created = await call('POST', '/v1/requests', { type: 'erasure', customerId: 'c3', brand: 'fotoknudsen', verification: verification() });

    // Act
    const extended = await call('POST', `/v1/requests/${created.body.requestId}/extension`, { reason: 'complexity', note: 'photo library and call recordings' });
    const repeated = await call('POST', `/v1/requests/${created.body.requestId}/extension`, { reason: 'complexity', note: 'photo library and call recordings' });

    // Assert
    expect(created.status).toBe(202);
    expect(extended.status).toBe(200);
    expect(validateResponse('/v1/requests/{requestId}/extension', 'post', 200, extended.body)).toBe('');
    const received = new Date(created.body.createdAt);
    const expectedDue = new Date(received.getTime());
    expectedDue.setUTCDate(1);
    expectedDue.setUTCMonth(expectedDue.getUTCMonth() + 3);
    expectedDue.setUTCDate(Math.min(received.getUTCDate(), new Date(Date.UTC(expectedDue.getUTCFullYear(), expectedDue.getUTCMonth() + 1, 0)).getUTCDate()));
    expect(extended.body.dueAt).toBe(expectedDue.toISOString());
    expect(extended.body.extension).toMatchObject({ reason: 'complexity', note: 'photo library and call recordings', previousDueAt: created.body.dueAt, extendedBy: CALLER });
    expect(repeated.status).toBe(200);
    expect(repeated.body.extension).toEqual(extended.body.extension);
    const stored = (await doc().send(new GetCommand({ TableName: resourceName(getStore('request-ledger')), Key: { requestId: created.body.requestId } }))).Item!;
    expect(stored.dueAt).toBe(expectedDue.toISOString());
    const events = (await readEventLog(dataDir)).filter((event) => event.detailType === 'Request Deadline Extended' && (event.detail as { requestId?: string }).requestId === created.body.requestId);
    expect(events).toHaveLength(1);
    expect(events[0]!.detail).toMatchObject({ dueAt: expectedDue.toISOString(), extension: { reason: 'complexity' } });
    expect(JSON.stringify(events[0]!.detail)).not.toContain('"c3"');
  });

  it('refuses a second, different extension (409 already_extended), a past-due request (409 past_due) and a final one (409 invalid_status), writing nothing', async () => {
    // Arrange
    const extended = await putRecord({
      extension: { reason: 'complexity', extendedAt: new Date().toISOString(), previousDueAt: new Date().toISOString(), extendedBy: CALLER },
    });
    const pastDue = await putRecord({ createdAt: '2025-01-01T00:00:00.000Z', dueAt: '2025-02-01T00:00:00.000Z' });
    const completed = await putRecord({ status: 'completed' });

    // Act
    const again = await call('POST', `/v1/requests/${extended.requestId}/extension`, { reason: 'third-party-data' });
    const late = await call('POST', `/v1/requests/${pastDue.requestId}/extension`, { reason: 'complexity' });
    const final = await call('POST', `/v1/requests/${completed.requestId}/extension`, { reason: 'complexity' });

    // Assert
    expect([again.status, again.body.error.code]).toEqual([409, 'already_extended']);
    expect([late.status, late.body.error.code]).toEqual([409, 'past_due']);
    expect(late.body.error.message).toContain('2025-02-01T00:00:00.000Z');
    expect([final.status, final.body.error.code]).toEqual([409, 'invalid_status']);
    for (const response of [again, late, final]) expect(validateResponse('/v1/requests/{requestId}/extension', 'post', 409, response.body)).toBe('');
    expect((await ledgerFromEnv().get(extended.requestId)).version).toBe(extended.version);
    expect((await ledgerFromEnv().get(pastDue.requestId)).version).toBe(pastDue.version);
    expect((await ledgerFromEnv().get(completed.requestId)).version).toBe(completed.version);
  });

  it('refuses to extend an open consent withdrawal (409 not_extendable, saying why), writing nothing', async () => {
    // Arrange
    const withdrawal = await putRecord({ type: 'consent-withdrawal', brand: 'fotoknudsen', dueAt: new Date(Date.now() + 72 * 3_600_000).toISOString() });

    // Act
    const response = await call('POST', `/v1/requests/${withdrawal.requestId}/extension`, { reason: 'complexity', note: 'large library' });

    // Assert
    expect([response.status, response.body.error.code]).toEqual([409, 'not_extendable']);
    expect(response.body.error.message).toContain('answered as soon as possible (Art. 7(3))');
    expect(validateResponse('/v1/requests/{requestId}/extension', 'post', 409, response.body)).toBe('');
    expect(await ledgerFromEnv().get(withdrawal.requestId)).toEqual(withdrawal);
  });

  it('answers 400 naming the field for a missing or unknown reason or an overlong note, and 404 for an unknown request; nothing written', async () => {
    // Arrange
    const open = await putRecord({});

    // Act
    const missing = await call('POST', `/v1/requests/${open.requestId}/extension`, { note: 'n' });
    const unknown = await call('POST', `/v1/requests/${open.requestId}/extension`, { reason: 'busy' });
    const longNote = await call('POST', `/v1/requests/${open.requestId}/extension`, { reason: 'complexity', note: 'x'.repeat(501) });
    const notFound = await call('POST', `/v1/requests/${randomUUID()}/extension`, { reason: 'complexity' });

    // Assert
    expect([missing.status, missing.body.error.details[0].field]).toEqual([400, 'reason']);
    expect([unknown.status, unknown.body.error.details[0].field]).toEqual([400, 'reason']);
    expect(unknown.body.error.message).toContain('complexity, number-of-requests');
    expect([longNote.status, longNote.body.error.details[0].field]).toEqual([400, 'note']);
    expect(notFound.status).toBe(404);
    expect(await ledgerFromEnv().get(open.requestId)).toEqual(open);
  });

  it('makes the deadline check count the extended due date: a request due in two days is no longer due soon once extended', async () => {
    // Arrange
    const received = new Date(Date.now() - 29 * 86_400_000);
    const dueSoon = await putRecord({ createdAt: received.toISOString(), dueAt: new Date(Date.now() + 2 * 86_400_000).toISOString() });
    const before = (await aws.lambda.invoke('dsr-check-deadlines', {})).Payload as { dueSoon: { requestId: string }[] };

    // Act
    await call('POST', `/v1/requests/${dueSoon.requestId}/extension`, { reason: 'number-of-requests' });
    const after = (await aws.lambda.invoke('dsr-check-deadlines', {})).Payload as { dueSoon: { requestId: string }[]; overdue: { requestId: string }[] };

    // Assert
    expect(before.dueSoon.map((entry) => entry.requestId)).toContain(dueSoon.requestId);
    expect([...after.dueSoon, ...after.overdue].map((entry) => entry.requestId)).not.toContain(dueSoon.requestId);
  });
});

describe('POST /v1/requests/{id}/denial', () => {
  it('denies a pending erasure: status denied with the reason and who, its waiting execution ends, and the customer can ask again', async () => {
    // Arrange
    const created = await call('POST', '/v1/requests', { type: 'erasure', customerId: 'c5', brand: 'resnap' });

    // Act
    const denied = await call('POST', `/v1/requests/${created.body.requestId}/denial`, { reason: 'identity-not-verified', note: 'the e-mail code was never confirmed' });
    const again = await call('POST', '/v1/requests', { type: 'erasure', customerId: 'c5', brand: 'resnap' });

    // Assert
    expect(denied.status).toBe(200);
    expect(validateResponse('/v1/requests/{requestId}/denial', 'post', 200, denied.body)).toBe('');
    expect(denied.body).toMatchObject({ status: 'denied', denial: { reason: 'identity-not-verified', note: 'the e-mail code was never confirmed', deniedBy: CALLER } });
    const execution = await sfnClient().send(new DescribeExecutionCommand({ executionArn: created.body.executionArn! }));
    expect(execution.status).toBe('ABORTED');
    expect(again.status).toBe(202);
    const marker = await doc().send(new GetCommand({ TableName: resourceName(getStore('request-ledger')), Key: { requestId: openMarkerId('erasure', customerKey('c5')) } }));
    expect(marker.Item?.holder).toBe(again.body.requestId);
    const events = (await readEventLog(dataDir)).filter((event) => (event.detail as { requestId?: string }).requestId === created.body.requestId);
    expect(events.map((event) => [event.detailType, (event.detail as { status: string }).status])).toContainEqual(['Request Status Changed', 'denied']);
  });

  it('refuses a completed or running request (409 invalid_status) and a missing note or unknown reason (400), writing nothing', async () => {
    // Arrange
    const completed = await putRecord({ status: 'completed' });
    const running = await putRecord({ status: 'in_progress' });
    const pending = await putRecord({});

    // Act
    const final = await call('POST', `/v1/requests/${completed.requestId}/denial`, { reason: 'excessive', note: 'n' });
    const busy = await call('POST', `/v1/requests/${running.requestId}/denial`, { reason: 'excessive', note: 'n' });
    const noNote = await call('POST', `/v1/requests/${pending.requestId}/denial`, { reason: 'excessive' });
    const unknown = await call('POST', `/v1/requests/${pending.requestId}/denial`, { reason: 'annoying', note: 'n' });

    // Assert
    expect([final.status, final.body.error.code]).toEqual([409, 'invalid_status']);
    expect([busy.status, busy.body.error.code]).toEqual([409, 'invalid_status']);
    expect(busy.body.error.message).toContain('only a pending or on_hold request can be denied');
    expect([noNote.status, noNote.body.error.details[0].field]).toEqual([400, 'note']);
    expect([unknown.status, unknown.body.error.details[0].field]).toEqual([400, 'reason']);
    expect(await ledgerFromEnv().get(completed.requestId)).toEqual(completed);
    expect(await ledgerFromEnv().get(running.requestId)).toEqual(running);
    expect(await ledgerFromEnv().get(pending.requestId)).toEqual(pending);
  });
});

describe('DELETE /v1/requests/{id} of a running request', () => {
  it('stops a running export and leaves no staging data or volume, even from the volume build that was mid-flight; another request\'s stay', async () => {
    // Arrange: the export runs into its volume build, which is held mid-flight reading the customer's photos;
    // another export's volume and staging data sit in the same bucket
    const other = randomUUID();
    for (const Key of [`exports/${other}/volume-1.zip`, `staging/${other}/plan.json`]) {
      await s3().send(new PutObjectCommand({ Bucket: resourceName(getStore('exports')), Key, Body: 'other export' }));
    }
    let release: () => void = () => undefined;
    holdPhotos = new Promise<void>((resolve) => (release = resolve));
    const created = await call('POST', '/v1/requests', { type: 'export', customerId: 'c6', brand: 'albelli' });
    const requestId = created.body.requestId;
    await pollUntil(requestId, () => photosHeld > 0);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await objectCount(`staging/${requestId}/`)).toBeGreaterThan(0);

    // Act: cancel, then let the build that was mid-flight go on
    const cancelled = await call('DELETE', `/v1/requests/${requestId}`);
    holdPhotos = undefined;
    release();
    await new Promise((resolve) => setTimeout(resolve, 3000));

    // Assert
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.status).toBe('cancelled');
    const execution = await sfnClient().send(new DescribeExecutionCommand({ executionArn: created.body.executionArn! }));
    expect(execution.status).toBe('ABORTED');
    expect(await objectCount(`staging/${requestId}/`)).toBe(0);
    expect(await objectCount(`exports/${requestId}/`)).toBe(0);
    expect([await objectCount(`exports/${other}/`), await objectCount(`staging/${other}/`)]).toEqual([1, 1]);
    expect((await call('GET', `/v1/requests/${requestId}`)).body.status).toBe('cancelled');
    expect((await call('GET', `/v1/requests/${requestId}/download`)).status).toBe(409);
  });

  it('refuses an erasure that has started erasing (409 saying why) and changes nothing', async () => {
    // Arrange
    const running = await putRecord({ type: 'erasure', status: 'in_progress' });

    // Act
    const refused = await call('DELETE', `/v1/requests/${running.requestId}`);

    // Assert
    expect([refused.status, refused.body.error.code]).toEqual([409, 'invalid_status']);
    expect(refused.body.error.message).toContain('it has started erasing');
    expect(await ledgerFromEnv().get(running.requestId)).toEqual(running);
  });
});

describe('legal holds re-checked, verification and caller on the record and the certificate', () => {
  it('resumes a held erasure once its hold clears; the certificate shows who asked, how the customer was verified, and the hold period', async () => {
    // Arrange: c8 has an undelivered, unpaid order, so its erasure goes on hold
    process.env.DSR_ERASURE_COOLING_OFF_SECONDS = '0';
    const asked = verification();
    const created = await call('POST', '/v1/requests', { type: 'erasure', customerId: 'c8', brand: 'bonusprint', verification: asked });
    process.env.DSR_ERASURE_COOLING_OFF_SECONDS = '3600';
    const held = await pollUntil(created.body.requestId, (record) => record.status === 'on_hold');
    const stillHeld = (await aws.lambda.invoke('dsr-recheck-legal-holds', {})).Payload as { resumed: string[] };
    const orders = getStore('orders');
    const items = (await doc().send(new QueryCommand({ TableName: resourceName(orders), KeyConditionExpression: 'customerId = :c', ExpressionAttributeValues: { ':c': 'c8' } }))).Items ?? [];
    for (const order of items) {
      await doc().send(
        new UpdateCommand({
          TableName: resourceName(orders),
          Key: { customerId: order.customerId, orderId: order.orderId },
          UpdateExpression: 'SET #status = :delivered, paymentStatus = :paid',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':delivered': 'delivered', ':paid': 'paid' },
        }),
      );
    }

    // Act
    const report = (await aws.lambda.invoke('dsr-recheck-legal-holds', {})).Payload as { resumed: string[]; checked: number };
    const completed = await pollUntil(created.body.requestId, (record) => record.status === 'completed' || record.status === 'failed', 800);

    // Assert
    expect(created.body).toMatchObject({ caller: CALLER, verification: asked });
    expect(held.holds).toEqual([{ since: expect.any(String), reasons: held.hold!.reasons }]);
    expect(held.hold!.reasons.join(' ')).not.toContain('c8');
    expect(stillHeld.resumed).not.toContain(created.body.requestId);
    expect(report.resumed).toContain(created.body.requestId);
    expect(completed.status).toBe('completed');
    expect(completed).toMatchObject({ caller: CALLER, verification: asked });
    expect(completed.holds).toEqual([{ since: held.holds![0]!.since, until: expect.any(String), reasons: held.hold!.reasons }]);
    const summary = (completed.result as { certificate: { bucket: string; key: string; lifecycle: unknown } }).certificate;
    const certificate = JSON.parse(
      await (await s3().send(new GetObjectCommand({ Bucket: summary.bucket, Key: summary.key }))).Body!.transformToString(),
    ) as { lifecycle: Record<string, unknown> };
    const lifecycle = { requestedBy: CALLER, identityVerification: asked, dueAt: completed.dueAt, holds: completed.holds };
    expect(certificate.lifecycle).toEqual(lifecycle);
    expect(summary.lifecycle).toEqual(lifecycle);
  });
});

describe('POST /v1/requests with a bad verification', () => {
  it.each([
    [{ method: 'selfie', verifiedBy: 'portal', verifiedAt: '2026-01-01T09:00:00.000Z' }, 'verification.method'],
    [{ method: 'email-code', verifiedBy: '', verifiedAt: '2026-01-01T09:00:00.000Z' }, 'verification.verifiedBy'],
    [{ method: 'email-code', verifiedBy: 'portal', verifiedAt: new Date(Date.now() + 86_400_000).toISOString() }, 'verification.verifiedAt'],
    [{ method: 'email-code', verifiedBy: 'portal', verifiedAt: 'yesterday' }, 'verification.verifiedAt'],
    [{ method: 'email-code', verifiedBy: 'portal', verifiedAt: '2026-01-01T09:00:00.000Z', customerEmail: 'ada@example.com' }, 'verification'],
  ])('answers 400 naming %j\'s problem (%s) and writes and starts nothing', async (bad, field) => {
    // Arrange
    const requestId = randomUUID();
    const customerId = `e2e-${randomUUID().slice(0, 8)}`;

    // Act
    const response = await call('POST', '/v1/requests', { type: 'erasure', customerId, brand: 'albelli', requestId, verification: bad });

    // Assert
    expect([response.status, response.body.error.code]).toEqual([400, 'invalid_request']);
    expect(response.body.error.details.map((detail: { field: string }) => detail.field)).toEqual([field]);
    expect(await ledgerFromEnv().find(requestId)).toBeUndefined();
    expect((await ledgerFromEnv().list({ customerKey: customerKey(customerId), limit: 10 })).items).toEqual([]);
  });
});

describe('the dsr CLI', () => {
  /** Runs `dsr ARGS` against the local API; returns its JSON output and exit code. */
  async function dsr(...args: string[]): Promise<{ output: any; exitCode: number }> {
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    process.exitCode = undefined;
    try {
      await main(['node', 'dsr', ...args, '--data-dir', dataDir]);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
    const exitCode = Number(process.exitCode ?? 0);
    process.exitCode = undefined;
    return { output: lines.length ? JSON.parse(lines.join('\n')) : undefined, exitCode };
  }

  it('erase --verified-by records the verification; extend and deny act on the request; a bad reason is refused before anything is sent', async () => {
    // Act
    const erase = await dsr('erase', '--customer', 'c4', '--brand', 'onskefoto', '--verified-by', 'ops-7', '--verification-method', 'id-document');
    const extend = await dsr('extend', erase.output.requestId, '--reason', 'third-party-data', '--note', 'waiting for the photo-book printer');
    const badReason = await dsr('deny', erase.output.requestId, '--reason', 'bored', '--note', 'n');
    const deny = await dsr('deny', erase.output.requestId, '--reason', 'excessive', '--note', 'fifth erasure request this week');

    // Assert
    expect(erase.exitCode).toBe(0);
    expect(erase.output).toMatchObject({ status: 'pending', caller: CALLER, verification: { method: 'id-document', verifiedBy: 'ops-7' } });
    expect(extend.exitCode).toBe(0);
    expect(extend.output.extension).toMatchObject({ reason: 'third-party-data', note: 'waiting for the photo-book printer', extendedBy: CALLER });
    expect(badReason.exitCode).not.toBe(0);
    expect(deny.exitCode).toBe(0);
    expect(deny.output).toMatchObject({ status: 'denied', denial: { reason: 'excessive', deniedBy: CALLER } });
  });

  it('recheck-legal-holds resumes a held erasure whose hold has cleared and leaves one still held (c10: a disputed payment) on hold', async () => {
    // Arrange
    const holds = [{ since: new Date(Date.now() - 86_400_000).toISOString(), reasons: ['order o1: not yet delivered'] }];
    const cleared = await putRecord({ type: 'erasure', status: 'on_hold', holds });
    const stillHeld = await putRecord({ type: 'erasure', status: 'on_hold', customerId: 'c10', brand: 'onskefoto', holds });

    // Act
    const recheck = await dsr('recheck-legal-holds');
    const resumed = await pollUntil(cleared.requestId, (record) => record.status === 'completed' || record.status === 'failed', 800);

    // Assert
    expect(recheck.exitCode).toBe(0);
    expect(recheck.output.resumed).toContain(cleared.requestId);
    expect(recheck.output.resumed).not.toContain(stillHeld.requestId);
    expect(recheck.output.stillHeld).toBeGreaterThanOrEqual(1);
    expect(resumed.status).toBe('completed');
    expect((await ledgerFromEnv().get(stillHeld.requestId)).status).toBe('on_hold');
  });
});
