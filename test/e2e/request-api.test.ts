import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getStore, resourceName } from '../../functions/core/data-map';
import type { RequestView } from '../../functions/core/requests';
import { documentClient } from '../../functions/shared/clients';
import { startApiServer, type ApiServer } from '../../local/api-server';
import { main } from '../../cli/dsr';
import { readEventLog } from '../../local/eventbridge-server';
import { startLocalAws, type LocalAws } from '../../local/runtime';
import { validateResponse } from '../unit/helpers/openapi';

/**
 * End to end through the embedded local AWS and the local HTTP API: an export runs to completed, an
 * erasure in its cooling-off period is cancelled, duplicate POSTs start one execution, a request of
 * another brand than the customer's profile or a second open export is refused, every status change
 * lands in the event log, and the `dsr` CLI drives the same API.
 */

let aws: LocalAws;
let api: ApiServer;
let dataDir: string;
let sfn: SFNClient;
const previousCoolingOff = process.env.DSR_ERASURE_COOLING_OFF_SECONDS;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: RequestView & Record<string, any> }> {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${aws.secrets.apiToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as RequestView & Record<string, any> };
}

async function pollUntil(requestId: string, done: (record: RequestView) => boolean): Promise<RequestView> {
  for (let attempt = 0; attempt < 240; attempt += 1) {
    const { body } = await call('GET', `/v1/requests/${requestId}`);
    if (done(body)) return body;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`request ${requestId} did not reach the expected status`);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-request-api-'));
  process.env.DSR_ERASURE_COOLING_OFF_SECONDS = '3600';
  aws = await startLocalAws({ dataDir, stepFunctions: { retryOverrideMs: 10 }, log: () => undefined });
  api = await startApiServer({ port: 0, token: aws.secrets.apiToken });
  sfn = new SFNClient({ region: aws.region, endpoint: aws.endpoints.stepfunctions, credentials: aws.credentials });
  await writeFile(
    join(dataDir, 'endpoints.json'),
    JSON.stringify({ api: api.url, s3: aws.endpoints.s3, dynamodb: aws.endpoints.dynamodb, stepfunctions: aws.endpoints.stepfunctions, token: aws.secrets.apiToken, region: aws.region, ...aws.credentials }),
  );
});

afterAll(async () => {
  sfn?.destroy();
  await api?.close();
  await aws?.close();
  if (previousCoolingOff === undefined) delete process.env.DSR_ERASURE_COOLING_OFF_SECONDS;
  else process.env.DSR_ERASURE_COOLING_OFF_SECONDS = previousCoolingOff;
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * The request's events in the local event log, once its `completed` status event is among them (or
 * after 5 s). The event goes out just after the status is written (the write marks it owed, the put
 * follows), so a GET can see the status a moment before the event is in the log.
 */
async function statusEventsOnceFinal(requestId: string): Promise<Awaited<ReturnType<typeof readEventLog>>> {
  for (let attempt = 0; ; attempt += 1) {
    const events = (await readEventLog(dataDir)).filter((event) => (event.detail as { requestId?: string }).requestId === requestId);
    if (attempt >= 100 || events.some((event) => (event.detail as { status?: string }).status === 'completed')) return events;
    await new Promise((wait) => setTimeout(wait, 50));
  }
}

describe('request API end to end', () => {
  it('POST export → poll GET → completed, with a status event per change and no customer id in them', async () => {
    // Arrange
    const requestId = randomUUID();

    // Act
    const created = await call('POST', '/v1/requests', { type: 'export', customerId: 'e2e-nobody', brand: 'resnap', requestId });
    const completed = await pollUntil(requestId, (record) => !['pending', 'in_progress'].includes(record.status));

    // Assert
    expect(created.status).toBe(202);
    expect(completed.status).toBe('completed');
    expect(completed.result).toHaveProperty('volumeCount', 1);
    const events = await statusEventsOnceFinal(requestId);
    expect(events.map((event) => [event.source, event.detailType, (event.detail as { status: string }).status])).toEqual([
      ['dsr.request', 'Request Status Changed', 'in_progress'],
      ['dsr.request', 'Request Status Changed', 'completed'],
    ]);
    expect(JSON.stringify(events)).not.toContain('e2e-nobody');
  });

  it('concurrent duplicate POSTs start exactly one execution', async () => {
    // Arrange
    const body = { type: 'export', customerId: 'e2e-twice', brand: 'albelli', requestId: randomUUID() };

    // Act
    const responses = await Promise.all(Array.from({ length: 5 }, () => call('POST', '/v1/requests', body)));
    await pollUntil(body.requestId, (record) => record.status === 'completed');

    // Assert
    expect(new Set(responses.map((response) => response.body.executionArn)).size).toBe(1);
    const executions = await sfn.send(new ListExecutionsCommand({ stateMachineArn: aws.env.DSR_EXPORT_STATE_MACHINE_ARN }));
    expect(executions.executions!.filter((execution) => execution.name === body.requestId)).toHaveLength(1);
  });

  it('cancels a pending erasure during its cooling-off period and ends its execution', async () => {
    // Arrange
    const created = await call('POST', '/v1/requests', { type: 'erasure', customerId: 'e2e-erase', brand: 'onskefoto' });
    expect(created.body.status).toBe('pending');

    // Act
    const cancelled = await call('DELETE', `/v1/requests/${created.body.requestId}`);
    const refused = await call('DELETE', `/v1/requests/${randomUUID()}`);

    // Assert
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.status).toBe('cancelled');
    expect(refused.status).toBe(404);
    await vi.waitFor(
      async () => {
        const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: created.body.executionArn }));
        expect(execution.status).not.toBe('RUNNING');
      },
      { timeout: 10_000, interval: 200 },
    );
    expect((await call('GET', `/v1/requests/${created.body.requestId}`)).body.status).toBe('cancelled');
  });

  it('the dsr CLI submits an export, follows it to completion and lists it by customer', async () => {
    // Arrange
    const output: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void output.push(String(line)));
    const progress = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);

    // Act
    await main(['node', 'dsr', 'export', '--customer', 'e2e-cli', '--brand', 'bonusprint', '--wait', '--data-dir', dataDir]);
    const exitCode = process.exitCode;
    const exported = JSON.parse(output.join('\n')) as RequestView;
    output.length = 0;
    await main(['node', 'dsr', 'list', '--customer', 'e2e-cli', '--json', '--data-dir', dataDir]);
    log.mockRestore();
    progress.mockRestore();

    // Assert
    expect(exitCode ?? 0).toBe(0);
    expect(exported.status).toBe('completed');
    expect((JSON.parse(output.join('\n')) as RequestView[]).map((record) => record.requestId)).toEqual([exported.requestId]);
  });

  it('a request naming another brand than the customer profile → 409 brand_mismatch; no ledger record, no execution', async () => {
    // Arrange
    await documentClient().send(
      new PutCommand({ TableName: resourceName(getStore('customer-profile')), Item: { customerId: 'e2e-branded', brand: 'fotoknudsen', email: 'e2e@example.com' } }),
    );
    const requestId = randomUUID();

    // Act
    const refused = await call('POST', '/v1/requests', { type: 'export', customerId: 'e2e-branded', brand: 'albelli', requestId });
    const lookup = await call('GET', `/v1/requests/${requestId}`);
    const listed = await call('GET', '/v1/requests?customerId=e2e-branded');

    // Assert
    expect(refused.status).toBe(409);
    expect(validateResponse('/v1/requests', 'post', 409, refused.body)).toBe('');
    expect(refused.body.error).toMatchObject({ code: 'brand_mismatch', message: expect.stringContaining('fotoknudsen') });
    expect(lookup.status).toBe(404);
    expect(listed.body.items).toEqual([]);
    const executions = await sfn.send(new ListExecutionsCommand({ stateMachineArn: aws.env.DSR_EXPORT_STATE_MACHINE_ARN }));
    expect(executions.executions!.filter((execution) => execution.name === requestId)).toEqual([]);
  });

  it('a second export while the first is open → 409 duplicate_request with the open id; after the first completes a new one is accepted', async () => {
    // Arrange
    const first = await call('POST', '/v1/requests', { type: 'export', customerId: 'e2e-dup', brand: 'resnap' });

    // Act
    const duplicate = await call('POST', '/v1/requests', { type: 'export', customerId: 'e2e-dup', brand: 'resnap' });
    await pollUntil(first.body.requestId, (record) => record.status === 'completed');
    const next = await call('POST', '/v1/requests', { type: 'export', customerId: 'e2e-dup', brand: 'resnap' });

    // Assert
    expect(first.status).toBe(202);
    expect(duplicate.status).toBe(409);
    expect(validateResponse('/v1/requests', 'post', 409, duplicate.body)).toBe('');
    expect(duplicate.body.error).toMatchObject({ code: 'duplicate_request', details: [{ field: 'openRequestId', message: first.body.requestId }] });
    expect(next.status).toBe(202);
    expect(next.body.requestId).not.toBe(first.body.requestId);
    expect((await pollUntil(next.body.requestId, (record) => record.status !== 'pending' && record.status !== 'in_progress')).status).toBe('completed');
  });
});
