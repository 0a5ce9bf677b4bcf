import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import dynalite from 'dynalite';
import { getStore } from '../../../functions/core/data-map';
import { Ledger, type RequestEventDetail } from '../../../functions/core/ledger';
import { tableDefinition } from '../../../local/runtime';

/** An in-memory dynalite holding the ledger table, a ledger over it, and the events it emitted. */
export interface LedgerTable {
  ledger: Ledger;
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Details of every PutEvents entry the bus took, in order. */
  events: RequestEventDetail[];
  /** The detail type of each of `events`. */
  detailTypes: string[];
  /** Makes the next `times` PutEvents calls throw `error` (nothing is put). */
  failPutEvents(error: Error, times?: number): void;
  close(): Promise<void>;
}

/** Starts dynalite in memory with the `request-ledger` table (data-map schema) and a mocked event bus. */
export async function startLedgerTable(now?: () => Date): Promise<LedgerTable> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const dynamo = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const tableName = 'ledger-test';
  await dynamo.send(new CreateTableCommand(tableDefinition(getStore('request-ledger'), tableName)));
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const eventBridge = new EventBridgeClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const events: RequestEventDetail[] = [];
  const detailTypes: string[] = [];
  const failures: Error[] = [];
  mockClient(eventBridge)
    .on(PutEventsCommand)
    .callsFake((input: { Entries: { Detail: string; DetailType: string }[] }) => {
      const failure = failures.shift();
      if (failure) throw failure;
      for (const entry of input.Entries) {
        events.push(JSON.parse(entry.Detail) as RequestEventDetail);
        detailTypes.push(entry.DetailType);
      }
      return { FailedEntryCount: 0, Entries: input.Entries.map((_, index) => ({ EventId: `event-${events.length + index}` })) };
    });
  const ledger = new Ledger({ doc, events: eventBridge, tableName, eventBusName: 'test-bus', now });
  return {
    ledger,
    doc,
    tableName,
    events,
    detailTypes,
    failPutEvents: (error, times = 1) => failures.push(...Array.from({ length: times }, () => error)),
    close: async () => {
      dynamo.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
