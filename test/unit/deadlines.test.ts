import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkDeadlines } from '../../functions/core/deadlines';
import type { RequestRecord, RequestStatus } from '../../functions/core/ledger';
import { startLedgerTable, type LedgerTable } from './helpers/ledger-table';

const NOW = new Date('2025-06-10T12:00:00.000Z');

function record(requestId: string, status: RequestStatus, dueAt: string): RequestRecord {
  return {
    requestId,
    type: 'export',
    customerId: 'c1',
    customerKey: 'a'.repeat(64),
    brand: 'resnap',
    status,
    createdAt: '2025-05-01T00:00:00.000Z',
    updatedAt: '2025-05-01T00:00:00.000Z',
    dueAt,
    bodyHash: 'hash',
    stores: {},
    version: 1,
  };
}

describe('checkDeadlines', () => {
  let table: LedgerTable;

  beforeEach(async () => {
    table = await startLedgerTable();
  });

  afterEach(async () => {
    await table.close();
  });

  it('counts open requests past due and due within 5 days, and publishes both metrics in the DSR namespace', async () => {
    // Arrange
    await table.ledger.create(record('overdue-pending', 'pending', '2025-06-01T00:00:00.000Z'));
    await table.ledger.create(record('overdue-failed', 'failed', '2025-06-09T00:00:00.000Z'));
    await table.ledger.create(record('soon', 'in_progress', '2025-06-14T00:00:00.000Z'));
    await table.ledger.create(record('later', 'pending', '2025-07-01T00:00:00.000Z'));
    await table.ledger.create(record('done-late', 'completed', '2025-06-01T00:00:00.000Z'));
    await table.ledger.create(record('cancelled-late', 'cancelled', '2025-06-01T00:00:00.000Z'));
    const emitted: string[] = [];
    const metrics = new Metrics({ namespace: 'DSR', serviceName: 'dsr' });
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      emitted.push(...String(chunk).split('\n').filter((line) => line.startsWith('{')));
      return true;
    });

    // Act
    const report = await checkDeadlines({ ledger: table.ledger, metrics, now: () => NOW });

    // Assert
    vi.restoreAllMocks();
    expect(report.overdue.map((entry) => entry.requestId)).toEqual(['overdue-pending', 'overdue-failed']);
    expect(report.dueSoon.map((entry) => entry.requestId)).toEqual(['soon']);
    const emf = emitted.map((line) => JSON.parse(line)).find((entry) => entry._aws);
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('DSR');
    expect(emf.OverdueRequests).toBe(2);
    expect(emf.DueSoonRequests).toBe(1);
  });
});
