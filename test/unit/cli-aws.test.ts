import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { cliLedger } from '../../cli/aws';
import { customerKey } from '../../functions/core/keyed-hash';
import { newRequestRecord } from '../../functions/core/ledger';

/** `cliLedger`: the ledger the `dsr` commands write through, named as the functions name it. */

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const events = new EventBridgeClient({ region: 'eu-west-1' });
const docMock = mockClient(doc);
const eventsMock = mockClient(events);

beforeEach(() => {
  docMock.reset();
  eventsMock.reset();
  docMock.onAnyCommand().resolves({});
  eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });
});

/** Emits, through a command's ledger built from `env`, the status event a request still owes; returns the table read and the bus told. */
async function emitOwedThrough(env: NodeJS.ProcessEnv): Promise<{ table?: string; bus?: string }> {
  const record = newRequestRecord({ requestId: 'req-cli-1', type: 'export', customerId: 'c1', customerKey: customerKey('c1', 'test-key'), brand: 'albelli', bodyHash: 'h', receivedAt: new Date('2030-01-01T00:00:00Z') });
  docMock.on(GetCommand).resolves({ Item: { ...record, status: 'in_progress', pendingEvent: 'in_progress', pendingEventSince: '2030-01-01T00:00:00.000Z', pendingEventVersion: record.version } });
  const ledger = cliLedger({ doc, events }, env);
  await ledger.transition(record.requestId, 'in_progress');
  return { table: docMock.commandCalls(GetCommand)[0]?.args[0].input.TableName, bus: eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.EventBusName };
}

describe('cliLedger', () => {
  it('reads the ledger table the data map names and tells the bus the settings name, with their defaults', async () => {
    // Act
    const configured = await emitOwedThrough({ DSR_TABLE_REQUEST_LEDGER: 'prod-request-ledger', DSR_EVENT_BUS_NAME: 'prod-dsr' });
    docMock.resetHistory();
    eventsMock.resetHistory();
    const defaults = await emitOwedThrough({});

    // Assert
    expect(configured).toEqual({ table: 'prod-request-ledger', bus: 'prod-dsr' });
    expect(defaults).toEqual({ table: 'dsr-request-ledger', bus: 'dsr' });
  });
});
