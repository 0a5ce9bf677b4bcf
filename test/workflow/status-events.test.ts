import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signBody } from '../../functions/core/callback';
import { getStore, resourceName } from '../../functions/core/data-map';
import { customerKey } from '../../functions/core/keyed-hash';
import { Ledger, newRequestRecord } from '../../functions/core/ledger';
import { completeRequest, completeRequestInput } from '../../functions/core/ledger-tasks';
import { documentClient, eventBridgeClient } from '../../functions/shared/clients';
import { taskHandler } from '../../functions/shared/handler';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { main } from '../../cli/dsr';
import { readEventLog } from '../../local/eventbridge-server';
import { localFunctionName, type LambdaHandler } from '../../local/lambda-runtime';
import { startLocalAws, type LocalAws } from '../../local/runtime';
import { runExport } from './export-helpers';

/**
 * Status events survive retries: PutEvents fails once at `Complete Request` (after the ledger write);
 * the step's Retry re-emits the event the ledger still owes, so the status event and its signed
 * callback are delivered once and the execution ends SUCCEEDED over a completed record. An event left
 * owed with no retry to come (a crash after the write) goes out with the sweep, `dsr flush-status-events`.
 */

const EXPORT_ASL = resolve(import.meta.dirname, '../../statemachines/export.asl.json');

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

let aws: LocalAws;
let dataDir: string;
let sfn: SFNClient;
let receiver: Server;
let callbackUrl: string;
const deliveries: Delivery[] = [];

/** A ledger over the local AWS whose event bus throws a transient error on its first `failures` PutEvents, then works. */
function ledgerWithFlakyBus(failures: number, now?: () => Date): Ledger {
  let left = failures;
  const bus = eventBridgeClient();
  const flaky = {
    send: async (command: unknown) => {
      if (command instanceof PutEventsCommand && left > 0) {
        left -= 1;
        throw Object.assign(new Error('injected outage'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
      }
      return bus.send(command as PutEventsCommand);
    },
  } as unknown as EventBridgeClient;
  return new Ledger({ doc: documentClient(), events: flaky, tableName: resourceName(getStore('request-ledger')), eventBusName: process.env.DSR_EVENT_BUS_NAME!, now });
}

/** `complete-request` whose event bus fails its first PutEvents. */
function completeRequestFailingPutEventsOnce(): LambdaHandler {
  let ledger: Ledger | undefined;
  return taskHandler(completeRequestInput, (input) => completeRequest((ledger ??= ledgerWithFlakyBus(1)), input)) as LambdaHandler;
}

/** A pending export of a customer with no data, with the test receiver as its callback URL. */
async function createRequest(customerId: string): Promise<string> {
  const requestId = randomUUID();
  await ledgerFromEnv().create(
    newRequestRecord({ requestId, type: 'export', customerId, customerKey: customerKey(customerId), brand: 'albelli', bodyHash: 'test', receivedAt: new Date(), callbackUrl }),
  );
  return requestId;
}

/** The statuses of the callbacks delivered for a request, sorted. */
function deliveredStatuses(requestId: string): string[] {
  return deliveries
    .map((delivery) => JSON.parse(delivery.body) as { requestId: string; status: string })
    .filter((body) => body.requestId === requestId)
    .map((body) => body.status)
    .sort();
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-status-events-'));
  receiver = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
    response.writeHead(204).end();
  });
  await new Promise<void>((resolveListen) => receiver.listen(0, '127.0.0.1', () => resolveListen()));
  callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/dsr-callback`;
  aws = await startLocalAws({ dataDir, stepFunctions: { retryOverrideMs: 1 }, stateMachineFiles: [EXPORT_ASL], log: () => undefined });
  sfn = new SFNClient({ region: aws.region, credentials: aws.credentials });
  await writeFile(join(dataDir, 'endpoints.json'), JSON.stringify({ ...aws.endpoints, region: aws.region, ...aws.credentials }));
});

afterAll(async () => {
  sfn?.destroy();
  await aws?.close();
  await new Promise((resolveClose) => receiver?.close(resolveClose));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('status events through a PutEvents failure', () => {
  it('Complete Request retried after PutEvents failed once: the event and the signed callback are delivered, the execution SUCCEEDED', async () => {
    // Arrange
    aws.lambda.register(localFunctionName('complete-request'), { handler: completeRequestFailingPutEventsOnce(), timeoutSeconds: 30 });
    const requestId = await createRequest('wf-events-nobody');

    // Act
    const execution = await runExport(sfn, { requestId, brand: 'albelli' });
    await vi.waitFor(() => expect(deliveredStatuses(requestId)).toContain('completed'), { timeout: 10_000, interval: 100 });
    await aws.eventBridge.idle();

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    const record = await ledgerFromEnv().get(requestId);
    expect(record.status).toBe('completed');
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: execution.executionArn, maxResults: 1000 }));
    expect(history.events!.filter((event) => event.type === 'TaskFailed').map((event) => event.taskFailedEventDetails?.error)).toEqual(['EventsUnavailable']);
    const events = (await readEventLog(dataDir)).filter((event) => (event.detail as { requestId?: string }).requestId === requestId);
    expect(events.map((event) => (event.detail as { status: string }).status)).toEqual(['in_progress', 'completed']);
    expect(deliveredStatuses(requestId)).toEqual(['completed', 'in_progress']);
    const completed = deliveries.find((delivery) => JSON.parse(delivery.body).requestId === requestId && JSON.parse(delivery.body).status === 'completed')!;
    expect(completed.headers[SIGNATURE_HEADER.toLowerCase()]).toBe(signBody(completed.body, aws.secrets.callbackSecret));
    expect(completed.headers[EVENT_ID_HEADER.toLowerCase()]).toBe(`${requestId}:${record.version}`);
    expect(JSON.stringify(events)).not.toContain('wf-events-nobody');
    expect(JSON.stringify(events)).not.toContain(callbackUrl);
  });

  it('an event left owed with no retry to come goes out with `dsr flush-status-events`, callback included, once', async () => {
    // Arrange
    const requestId = await createRequest('wf-events-crashed');
    const crashed = ledgerWithFlakyBus(1);
    await ledgerFromEnv().transition(requestId, 'in_progress');
    await crashed.transition(requestId, 'failed', { error: { name: 'StoreFailed', message: 'x' } }).catch(() => undefined);
    await aws.eventBridge.idle();
    const before = deliveredStatuses(requestId);

    // Act
    const output: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void output.push(String(line)));
    await main(['node', 'dsr', 'flush-status-events', '--older-than', '0', '--data-dir', dataDir]);
    await main(['node', 'dsr', 'flush-status-events', '--older-than', '0', '--data-dir', dataDir]);
    log.mockRestore();
    await vi.waitFor(() => expect(deliveredStatuses(requestId)).toContain('failed'), { timeout: 10_000, interval: 100 });
    await aws.eventBridge.idle();

    // Assert
    expect(before).toEqual(['in_progress']);
    expect(output.map((line) => JSON.parse(line))).toEqual([{ emitted: 1 }, { emitted: 0 }]);
    const events = (await readEventLog(dataDir)).filter((event) => (event.detail as { requestId?: string }).requestId === requestId);
    expect(events.map((event) => (event.detail as { status: string }).status)).toEqual(['in_progress', 'failed']);
    expect(deliveredStatuses(requestId)).toEqual(['failed', 'in_progress']);
  });

  it('the scheduled flush-status-events function, under its own role, emits an event owed for over a minute', async () => {
    // Arrange
    const requestId = await createRequest('wf-events-scheduled');
    const twoMinutesAgo = () => new Date(Date.now() - 120_000);
    await ledgerWithFlakyBus(1, twoMinutesAgo).transition(requestId, 'cancelled').catch(() => undefined);

    // Act
    const result = await aws.lambda.invoke(localFunctionName('flush-status-events'), { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
    await vi.waitFor(() => expect(deliveredStatuses(requestId)).toEqual(['cancelled']), { timeout: 10_000, interval: 100 });

    // Assert
    expect(result.Payload).toEqual({ emitted: 1 });
    const events = (await readEventLog(dataDir)).filter((event) => (event.detail as { requestId?: string }).requestId === requestId);
    expect(events.map((event) => (event.detail as { status: string }).status)).toEqual(['cancelled']);
  });
});
