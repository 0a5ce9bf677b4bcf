import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { recheckLegalHolds, resumeExecutionName } from '../../functions/core/erasure/legal-hold-recheck';
import type { ListFilter, RecordPage, RequestRecord } from '../../functions/core/ledger';

const ERASURE_ARN = 'arn:aws:states:eu-west-1:000000000000:stateMachine:dsr-erasure';
const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);
const sfn = new SFNClient({ region: 'eu-west-1' });
const sfnMock = mockClient(sfn);

function held(requestId: string, customerId: string | undefined, overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    requestId,
    type: 'erasure',
    ...(customerId ? { customerId } : {}),
    customerKey: `key-${customerId}`,
    brand: 'albelli',
    status: 'on_hold',
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-09T00:00:00.000Z',
    dueAt: '2025-02-01T00:00:00.000Z',
    notBefore: '2025-01-08T00:00:00.000Z',
    hold: { reasons: ['order o1: not yet delivered (status shipped)'] },
    holds: [{ since: '2025-01-09T00:00:00.000Z', reasons: ['order o1: not yet delivered (status shipped)'] }],
    bodyHash: 'h',
    stores: {},
    version: 3,
    ...overrides,
  };
}

/** A ledger whose on_hold list comes in the given pages. */
function pagedLedger(pages: RequestRecord[][]): { list: (filter: ListFilter) => Promise<RecordPage>; filters: ListFilter[] } {
  const filters: ListFilter[] = [];
  return {
    filters,
    list: async (filter) => {
      filters.push(filter);
      const index = filter.nextToken ? Number(filter.nextToken) : 0;
      return { items: pages[index] ?? [], ...(index + 1 < pages.length ? { nextToken: String(index + 1) } : {}) };
    },
  };
}

beforeEach(() => {
  docMock.reset();
  sfnMock.reset();
  docMock.on(QueryCommand).resolves({ Items: [] });
  docMock.on(QueryCommand, { TableName: 'dsr-orders', ExpressionAttributeValues: { ':value': 'c-still' } }).resolves({ Items: [{ orderId: 'o7', status: 'shipped', paymentStatus: 'paid' }] });
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
});

describe('resumeExecutionName', () => {
  it('names the execution after the request and its hold count (1 for a record from before hold periods were kept)', () => {
    expect(resumeExecutionName(held('r1', 'c1'))).toBe('r1-resume-1');
    expect(resumeExecutionName(held('r1', 'c1', { holds: [{ since: 'a', until: 'b', reasons: ['x'] }, { since: 'c', reasons: ['y'] }] }))).toBe('r1-resume-2');
    expect(resumeExecutionName(held('r1', 'c1', { holds: undefined }))).toBe('r1-resume-1');
  });
});

describe('recheckLegalHolds', () => {
  it('resumes the on_hold erasures whose holds cleared, across pages, with the workflow input (no customer id), and leaves the held ones', async () => {
    // Arrange
    const ledger = pagedLedger([[held('r-cleared', 'c-cleared'), held('r-still', 'c-still')], [held('r-export', 'c-x', { type: 'export' }), held('r-redacted', undefined)]]);

    // Act
    const report = await recheckLegalHolds({ ledger, sfn, doc, erasureStateMachineArn: ERASURE_ARN, env });

    // Assert
    expect(report).toEqual({ checked: 2, resumed: ['r-cleared'], stillHeld: 1 });
    expect(ledger.filters.map((filter) => [filter.status, filter.nextToken])).toEqual([['on_hold', undefined], ['on_hold', '1']]);
    const starts = sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
    expect(starts).toEqual([
      { stateMachineArn: ERASURE_ARN, name: 'r-cleared-resume-1', input: JSON.stringify({ requestId: 'r-cleared', type: 'erasure', brand: 'albelli', notBefore: '2025-01-08T00:00:00.000Z' }) },
    ]);
    expect(starts[0]!.input).not.toContain('c-cleared');
  });

  it('counts a resume already started by an earlier run (same name) as resumed', async () => {
    // Arrange
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    // Act
    const report = await recheckLegalHolds({ ledger: pagedLedger([[held('r1', 'c1')]]), sfn, doc, erasureStateMachineArn: ERASURE_ARN, env });

    // Assert
    expect(report.resumed).toEqual(['r1']);
  });

  it('fails on any other StartExecution error', async () => {
    // Arrange
    sfnMock.on(StartExecutionCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    // Act
    const run = recheckLegalHolds({ ledger: pagedLedger([[held('r1', 'c1')]]), sfn, doc, erasureStateMachineArn: ERASURE_ARN, env });

    // Assert
    await expect(run).rejects.toThrow('denied');
  });
});
