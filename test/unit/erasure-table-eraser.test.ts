import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { getStore } from '../../functions/core/data-map';
import type { RetryPolicy } from '../../functions/core/erasure/config';
import type { RecordedEntry, StoreProgressLog } from '../../functions/core/erasure/progress';
import { eraseTable } from '../../functions/core/erasure/table-eraser';
import { StoreFailed } from '../../functions/core/errors';
import { restoredAfterEach } from './helpers/replacements';

/**
 * The DynamoDB eraser on its own, with a progress log that only remembers what it was given. Entry ids
 * are known answers (`printf 'erasure-entry:<table>\0<key JSON>' | openssl dgst -sha256 -hmac "$KEY"`,
 * first 32 hex digits), record sizes counted by hand (UTF-8 bytes of the record's JSON).
 */

const KEY = 'kat-hash-key-0123456789abcdef0123';
const KEY_0001 = 'e8b449ab12ad65b6bc3bed67ef606872fe85adbc3a2ea2e750732a56e9c7afca';
const env = { DSR_HASH_KEY: KEY };
const replacements = restoredAfterEach();
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);
const retry: RetryPolicy = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, sleep: vi.fn(async () => {}) };

/** 88 bytes of JSON (87 characters: `ë` is two bytes). */
const ENTRY = { customerId: 'cust-0001', entryId: 'e1', channel: 'email', address: 'zoë@example.com' };
/** 126 bytes of JSON. */
const ORDER = { customerId: 'cust-0001', orderId: 'o-1', invoiceNumber: 'INV-1', invoiceDate: '2024-03-15T10:00:00.000Z', grossAmount: 1210 };

let timeline: string[];
let recorded: RecordedEntry[][];
const progress = {
  record: async (entries: readonly RecordedEntry[]) => {
    if (!entries.length) return; // as the real log: nothing to write
    timeline.push(`record ${entries.length}`);
    recorded.push([...entries]);
  },
} as unknown as StoreProgressLog;
const deps = { doc, retry, progress, concurrency: 1, env };

type Request = { PutRequest?: { Item: Record<string, unknown> }; DeleteRequest?: { Key: Record<string, unknown> } };

function writes(): { table: string; requests: Request[] }[] {
  return docMock.commandCalls(BatchWriteCommand).map((call) => {
    const [table, requests] = Object.entries(call.args[0].input.RequestItems!)[0]!;
    return { table, requests: requests as Request[] };
  });
}

const entries = (count: number, from = 0) => Array.from({ length: count }, (_, i) => ({ customerId: 'cust-0001', entryId: `e${from + i}` }));

beforeEach(() => {
  docMock.reset();
  timeline = [];
  recorded = [];
  docMock.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => {
    timeline.push(`write ${Object.values(input.RequestItems)[0]!.length}`);
    return {};
  });
});

describe('eraseTable', () => {
  it('records each record (keyed id, size in bytes) and then deletes it by its primary key, reading consistently', async () => {
    // Arrange
    docMock.on(QueryCommand).resolves({ Items: [ENTRY] });

    // Act
    const counts = await eraseTable(deps, getStore('marketing'), 'cust-0001');

    // Assert
    expect(recorded).toEqual([[{ id: '3b8eef9d932c0d7e0abe81c4db6a4ef2', deleted: 1, retained: 0, versionsDeleted: 0, bytes: 88 }]]);
    expect(writes()).toEqual([{ table: 'dsr-marketing', requests: [{ DeleteRequest: { Key: { customerId: 'cust-0001', entryId: 'e1' } } }] }]);
    expect(counts).toEqual({ deleted: 1, retained: 0, versionsDeleted: 0, bytes: 88 });
    expect(docMock.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({ TableName: 'dsr-marketing', ConsistentRead: true, ExpressionAttributeValues: { ':value': 'cust-0001' } });
  });

  it('retains an anonymised copy under the keyed partition before deleting the original, counting it retained', async () => {
    // Arrange
    docMock.on(QueryCommand).resolves({ Items: [ORDER] });

    // Act
    const counts = await eraseTable(deps, getStore('orders'), 'cust-0001');

    // Assert
    expect(recorded).toEqual([[{ id: '0c1658a634d29b120c4f6dd029eb437d', deleted: 1, retained: 1, versionsDeleted: 0, bytes: 126 }]]);
    const [put, remove] = writes();
    expect(put!.requests[0]!.PutRequest!.Item).toMatchObject({ customerId: `retained#${KEY_0001}`, orderId: 'o-1', invoiceNumber: 'INV-1' });
    expect(remove!.requests).toEqual([{ DeleteRequest: { Key: { customerId: 'cust-0001', orderId: 'o-1' } } }]);
    expect(counts).toEqual({ deleted: 1, retained: 1, versionsDeleted: 0, bytes: 126 });
    expect(docMock.commandCalls(QueryCommand).map((call) => call.args[0].input.ExpressionAttributeValues)).toEqual([{ ':value': 'cust-0001' }]);
  });

  it('erases each full batch of 25 of a page before reading the next page, and the rest at the end', async () => {
    // Arrange
    docMock.on(QueryCommand).callsFake((input: { ExclusiveStartKey?: unknown }) => {
      timeline.push('query');
      return input.ExclusiveStartKey ? { Items: entries(3, 25) } : { Items: entries(25), LastEvaluatedKey: { customerId: 'cust-0001', entryId: 'e24' } };
    });

    // Act
    const counts = await eraseTable(deps, getStore('marketing'), 'cust-0001');

    // Assert
    expect(timeline).toEqual(['query', 'record 25', 'write 25', 'query', 'record 3', 'write 3']);
    expect(counts.deleted).toBe(28);
  });

  it('keeps a part batch of a page for the next page', async () => {
    // Arrange
    docMock.on(QueryCommand).callsFake((input: { ExclusiveStartKey?: unknown }) => {
      timeline.push('query');
      return input.ExclusiveStartKey ? { Items: entries(24, 26) } : { Items: entries(26), LastEvaluatedKey: { customerId: 'cust-0001', entryId: 'e25' } };
    });

    // Act
    await eraseTable(deps, getStore('marketing'), 'cust-0001');

    // Assert
    expect(timeline).toEqual(['query', 'record 25', 'write 25', 'query', 'record 25', 'write 25']);
    expect(writes().flatMap((write) => write.requests.map((request) => request.DeleteRequest!.Key.entryId))).toEqual(entries(50).map((entry) => entry.entryId));
  });

  it('finds the customer by the index attribute of an index-located store', async () => {
    // Arrange
    docMock.on(QueryCommand).resolves({ Items: [{ contactId: 'k1', customerId: 'cust-0001' }] });

    // Act
    const counts = await eraseTable(deps, getStore('contact-history'), 'cust-0001');

    // Assert
    expect(writes()[0]!.requests).toEqual([{ DeleteRequest: { Key: { contactId: 'k1' } } }]);
    expect(counts.deleted).toBe(1);
  });

  it('writes to the table named in the environment', async () => {
    // Arrange
    docMock.on(QueryCommand).resolves({ Items: [ENTRY] });

    // Act
    await eraseTable({ ...deps, env: { ...env, DSR_TABLE_MARKETING: 'acme-marketing' } }, getStore('marketing'), 'cust-0001');

    // Assert
    expect(writes().map((write) => write.table)).toEqual(['acme-marketing']);
  });

  it("refuses a record of another customer, recording and deleting nothing", async () => {
    // Arrange
    docMock.on(QueryCommand).resolves({ Items: [ENTRY, { ...ENTRY, customerId: 'cust-00011' }] });

    // Act
    const outcome = eraseTable(deps, getStore('marketing'), 'cust-0001');

    // Assert
    await expect(outcome).rejects.toThrow(StoreFailed);
    await expect(outcome).rejects.toThrow(`Store "marketing": the customer query returned another customer's record`);
    expect(timeline).toEqual([]);
  });

  it.each(['uploaded-photos', 'request-ledger'])('refuses %s, which is not a DynamoDB store with a customer locator', async (id) => {
    await expect(eraseTable(deps, getStore(id), 'cust-0001')).rejects.toThrow(new RegExp(`^Store "${id}" is not a DynamoDB store$`));
  });

  it('keys the entry ids with the process environment\'s hash key when given no env', async () => {
    // Arrange
    docMock.on(QueryCommand).resolves({ Items: [ENTRY] });
    replacements.setEnv('DSR_HASH_KEY', KEY);

    // Act
    await eraseTable({ doc, retry, progress, concurrency: 1 }, getStore('marketing'), 'cust-0001');

    // Assert
    expect(recorded[0]![0]!.id).toBe('3b8eef9d932c0d7e0abe81c4db6a4ef2');
  });

  it('records nothing and writes nothing when nothing is left (a replay)', async () => {
    // Arrange
    docMock.on(QueryCommand).resolves({ Items: [] });

    // Act
    const counts = await eraseTable(deps, getStore('marketing'), 'cust-0001');

    // Assert
    expect(counts).toEqual({ deleted: 0, retained: 0, versionsDeleted: 0, bytes: 0 });
    expect(writes()).toEqual([]);
  });
});
