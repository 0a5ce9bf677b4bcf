import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRANDS } from '../../functions/core/brands';
import { DATA_MAP, getStore, resourceName } from '../../functions/core/data-map';
import type { ErasureCertificate } from '../../functions/core/erasure/certificate';
import { RECIPIENT_EVENT_SOURCE } from '../../functions/core/notify-recipients';
import { documentClient, s3Client, sfnClient } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { startApiServer, type ApiServer } from '../../local/api-server';
import { readEventLog } from '../../local/eventbridge-server';
import { startLocalAws } from '../../local/runtime';
import { seedDemoData } from '../../local/seed/demo';
import { labelledJpeg } from '../../local/seed/media';
import { seedSyntheticCustomer } from '../../local/seed/synthetic';
import { readJson, snapshotExcept, type ErasureContext } from '../workflow/erasure-helpers';
import { ApiClient, sha256, unzip, type ZipEntry } from './export-archive';

/**
 * End to end through the HTTP API: scope comes from the data (a photo library stored under another
 * brand's prefix is exported and erased), and the customer id and contact details never enter Step
 * Functions (execution input, output and history) nor the request's status-change events.
 */

let dataDir: string;
let ctx: ErasureContext;
let api: ApiServer;
let client: ApiClient;
const previousCoolingOff = process.env.DSR_ERASURE_COOLING_OFF_SECONDS;
const library = getStore('photo-library');

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-erasure-scope-e2e-'));
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

/** Keys of every object of a customer in the photo library, under every brand's prefix. */
async function libraryKeys(customerId: string): Promise<string[]> {
  const keys: string[] = [];
  for (const brand of BRANDS) {
    const listed = await ctx.s3.send(new ListObjectsV2Command({ Bucket: resourceName(library), Prefix: `${brand}/${customerId}/` }));
    keys.push(...(listed.Contents ?? []).map((object) => object.Key!));
  }
  return keys.sort();
}

/** Every entry of every volume of a completed export, downloaded through the API. */
async function exportedEntries(requestId: string, volumeCount: number): Promise<ZipEntry[]> {
  const volumes = Array.from({ length: volumeCount }, (_, index) => index + 1);
  return (await Promise.all(volumes.map(async (volume) => unzip(await client.download(requestId, volume))))).flat();
}

/** Creates a request through the API and waits until it is final. */
async function runRequest(type: 'export' | 'erasure', customerId: string, brand: string) {
  const response = await client.call('POST', '/v1/requests', { type, customerId, brand, verification: { method: 'known-contact', verifiedBy: 'e2e-test', verifiedAt: new Date().toISOString() } });
  const { requestId } = (await response.json()) as { requestId: string };
  return { requestId, view: await client.waitFinal(requestId) };
}

/** A piece of text a request left behind, and where it is. */
interface Trace {
  where: string;
  text: string;
}

/** Every execution of a request (name = request id or `<id>-replay-<n>`): its DescribeExecution and its whole history with data. */
async function executionTraces(requestId: string): Promise<Trace[]> {
  const traces: Trace[] = [];
  for (const stateMachineArn of Object.values(ctx.aws.stateMachineArns)) {
    let listToken: string | undefined;
    do {
      const listed = await ctx.sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken: listToken }));
      for (const execution of listed.executions ?? []) {
        if (execution.name !== requestId && !execution.name!.startsWith(`${requestId}-replay-`)) continue;
        const described = await ctx.sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
        traces.push({ where: `${execution.name} DescribeExecution`, text: JSON.stringify([described.input, described.output, described.error, described.cause]) });
        let historyToken: string | undefined;
        do {
          const page = await ctx.sfn.send(
            new GetExecutionHistoryCommand({ executionArn: execution.executionArn, includeExecutionData: true, maxResults: 1000, nextToken: historyToken }),
          );
          traces.push(...(page.events ?? []).map((event) => ({ where: `${execution.name} history event ${event.id} ${event.type}`, text: JSON.stringify(event) })));
          historyToken = page.nextToken;
        } while (historyToken);
      }
      listToken = listed.nextToken;
    } while (listToken);
  }
  return traces;
}

/** The logged status-change events of a request: the pipeline's `dsr.request` events and Step Functions' own. */
async function requestEvents(requestId: string) {
  await ctx.aws.eventBridge.idle();
  return (await readEventLog(ctx.aws.dataDir)).filter((event) => {
    const detail = (event.detail ?? {}) as { requestId?: string; name?: string };
    return detail.requestId === requestId || detail.name === requestId || detail.name?.startsWith(`${requestId}-replay-`);
  });
}

/** The status and execution events of a request (not its Art. 19 notifications, addressed to one recipient each). */
async function statusEventTraces(requestId: string): Promise<Trace[]> {
  return (await requestEvents(requestId))
    .filter((event) => event.source !== RECIPIENT_EVENT_SOURCE)
    .map((event) => ({ where: `event ${event.source} ${JSON.stringify((event.detail as { status?: string }).status)}`, text: JSON.stringify(event) }));
}

/** The Art. 19 notifications of a request, each with the one identifier the data map gives its recipient. */
async function recipientNotifications(requestId: string) {
  return (await requestEvents(requestId))
    .filter((event) => event.source === RECIPIENT_EVENT_SOURCE)
    .map((event) => {
      const detail = event.detail as { recipientId: string };
      const recipient = DATA_MAP.flatMap((store) => store.recipients).find((candidate) => candidate.id === detail.recipientId);
      const identifier = recipient?.notification.notify ? recipient.notification.identifier : undefined;
      return { recipientId: detail.recipientId, identifier, text: JSON.stringify(event) };
    });
}

/** `where: field` for every trace that contains one of the values. */
function leaks(traces: Trace[], values: Record<string, string>): string[] {
  return traces.flatMap((trace) => Object.entries(values).flatMap(([field, value]) => (trace.text.includes(value) ? [`${trace.where}: ${field}`] : [])));
}

describe('erasure scope through the HTTP API', () => {
  it('exports and erases a photo library stored under other brands\' prefixes, certifies every file and leaves other customers untouched', async () => {
    const extras = [
      { key: 'onskefoto/c3/al-misfiled/f-misfiled-1.jpg', body: labelledJpeg(901, 'onskefoto/c3') },
      { key: 'albelli/c3/al-misfiled/f-misfiled-2.jpg', body: labelledJpeg(902, 'albelli/c3') },
    ];
    for (const extra of extras) {
      await ctx.s3.send(
        new PutObjectCommand({
          Bucket: resourceName(library),
          Key: extra.key,
          Body: extra.body,
          ContentType: 'image/jpeg',
          Metadata: { 'album-name': 'Misfiled', 'original-filename': encodeURIComponent(`${extra.key.split('/').pop()}`), 'added-at': '2025-05-01T00:00:00.000Z' },
        }),
      );
    }
    const seededKeys = await libraryKeys('c3');
    const seededHashes = await Promise.all(
      seededKeys.map(async (key) => sha256(Buffer.from(await (await ctx.s3.send(new GetObjectCommand({ Bucket: resourceName(library), Key: key }))).Body!.transformToByteArray()))),
    );
    const othersBefore = await snapshotExcept(ctx, [{ customerId: 'c3', brand: 'fotoknudsen' }]);

    const exported = await runRequest('export', 'c3', 'fotoknudsen');
    const entries = await exportedEntries(exported.requestId, (exported.view.result as { volumeCount: number }).volumeCount);
    const erased = await runRequest('erasure', 'c3', 'fotoknudsen');

    expect(seededKeys.filter((key) => !key.startsWith('fotoknudsen/')).length).toBe(extras.length);
    expect(exported.view.status).toBe('completed');
    const archivedHashes = entries.filter((entry) => entry.name.startsWith('files/photo-library/')).map((entry) => sha256(entry.data));
    expect(archivedHashes.sort()).toEqual([...seededHashes].sort());
    expect(archivedHashes).toEqual(expect.arrayContaining(extras.map((extra) => sha256(extra.body))));
    expect(erased.view.status).toBe('completed');
    expect(await libraryKeys('c3')).toEqual([]);
    expect(await snapshotExcept(ctx, [{ customerId: 'c3', brand: 'fotoknudsen' }])).toEqual(othersBefore);
    const summary = (erased.view.result as { certificate: { bucket: string; key: string; stores: Record<string, { deleted: number }> } }).certificate;
    expect(summary.stores['photo-library']!.deleted).toBe(seededKeys.length);
    const certificate = await readJson<ErasureCertificate>(ctx.s3, summary.bucket, summary.key);
    expect(certificate.stores.find((entry) => entry.store === 'photo-library')).toMatchObject({ deleted: seededKeys.length });
  });

  it('an export and an erasure leave no customer id, email, name or phone in any execution history, input, output or status event; a recipient notification carries only its data-map identifier', async () => {
    const customerId = `subject-${randomBytes(12).toString('hex')}`;
    await seedSyntheticCustomer({ s3: ctx.s3, doc: ctx.doc }, { customerId, brand: 'onskefoto', photos: 2, photoBytes: 0, orders: 1, contacts: 3, libraryPhotos: 2 });
    const profile = (await ctx.doc.send(new GetCommand({ TableName: resourceName(getStore('customer-profile')), Key: { customerId } }))).Item!;
    // The id is long and random, so its bare text catches it as a JSON value ("<id>") and as a path segment (/<id>/).
    const personal = { customerId, email: profile.email, firstName: profile.firstName, lastName: profile.lastName, phone: profile.phone };

    const exported = await runRequest('export', customerId, 'onskefoto');
    const erased = await runRequest('erasure', customerId, 'onskefoto');

    expect([exported.view.status, erased.view.status]).toEqual(['completed', 'completed']);
    for (const requestId of [exported.requestId, erased.requestId]) {
      const histories = await executionTraces(requestId);
      const events = await statusEventTraces(requestId);
      expect(histories.length).toBeGreaterThan(10);
      expect(events.some((event) => event.text.includes('"completed"'))).toBe(true);
      expect(leaks([...histories, ...events], personal)).toEqual([]);
    }
    const notifications = await recipientNotifications(erased.requestId);
    const { customerId: _id, ...contactAndName } = personal;
    expect(notifications.length).toBeGreaterThan(0);
    for (const notification of notifications) {
      expect(leaks([{ where: notification.recipientId, text: notification.text }], contactAndName)).toEqual([]);
      expect({ recipient: notification.recipientId, carriesId: notification.text.includes(customerId) }).toEqual({
        recipient: notification.recipientId,
        carriesId: notification.identifier === 'customer-id',
      });
    }
  });
});
