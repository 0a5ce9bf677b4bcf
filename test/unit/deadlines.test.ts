import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkDeadlines, deadlineState } from '../../functions/core/deadlines';
import type { Ledger, RequestRecord, RequestStatus } from '../../functions/core/ledger';
import { withEmittedMetrics } from './helpers/emitted-metrics';
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
    const metrics = new Metrics({ namespace: 'DSR', serviceName: 'dsr' });

    // Act
    const { result: report, records: [emf] } = await withEmittedMetrics(() => checkDeadlines({ ledger: table.ledger, metrics, now: () => NOW }));

    // Assert
    expect(report.overdue.map((entry) => entry.requestId)).toEqual(['overdue-pending', 'overdue-failed']);
    expect(report.dueSoon.map((entry) => entry.requestId)).toEqual(['soon']);
    expect(emf!._aws.CloudWatchMetrics[0]!.Namespace).toBe('DSR');
    expect(emf!.OverdueRequests).toBe(2);
    expect(emf!.DueSoonRequests).toBe(1);
  });
});

describe('checkDeadlines (boundaries and fields)', () => {
  /** A ledger answering `openDueBefore` with the given records, remembering the horizon asked for. */
  function ledgerOf(records: RequestRecord[]): { ledger: Ledger; horizons: string[] } {
    const horizons: string[] = [];
    const ledger = { openDueBefore: async (dueBefore: string) => (horizons.push(dueBefore), records) } as unknown as Ledger;
    return { ledger, horizons };
  }

  /** Metrics that record what is added and whether it was published. */
  function metricsSpy(): { metrics: Metrics; added: [string, string, number][]; published: () => number } {
    const added: [string, string, number][] = [];
    let published = 0;
    const metrics = {
      addMetric: (name: string, unit: string, value: number) => added.push([name, unit, value]),
      publishStoredMetrics: () => (published += 1),
    } as unknown as Metrics;
    return { metrics, added, published: () => published };
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks for requests due within 5 days, counts one due exactly now as due soon and one a millisecond earlier as overdue', async () => {
    const { ledger, horizons } = ledgerOf([
      record('due-now', 'pending', '2025-06-10T12:00:00.000Z'),
      record('just-late', 'pending', '2025-06-10T11:59:59.999Z'),
    ]);
    const { metrics, added, published } = metricsSpy();

    const report = await checkDeadlines({ ledger, metrics, now: () => NOW });

    expect(horizons).toEqual(['2025-06-15T12:00:00.000Z']);
    expect(report.overdue.map((entry) => entry.requestId)).toEqual(['just-late']);
    expect(report.dueSoon.map((entry) => entry.requestId)).toEqual(['due-now']);
    expect(added).toEqual([
      ['OverdueRequests', 'Count', 1],
      ['DueSoonRequests', 'Count', 1],
      ['OverdueConsentWithdrawals', 'Count', 0],
      ['DueSoonConsentWithdrawals', 'Count', 0],
    ]);
    expect(published()).toBe(1);
  });

  it('counts a consent withdrawal as due soon only within 24 hours of its due date, and publishes its own metrics beside the totals', async () => {
    // Arrange
    const withdrawal = (requestId: string, dueAt: string): RequestRecord => ({ ...record(requestId, 'pending', dueAt), type: 'consent-withdrawal' });
    const { ledger } = ledgerOf([
      withdrawal('cw-late', '2025-06-10T11:00:00.000Z'),
      withdrawal('cw-within-a-day', '2025-06-11T12:00:00.000Z'),
      withdrawal('cw-in-two-days', '2025-06-12T12:00:00.000Z'),
      record('export-in-two-days', 'pending', '2025-06-12T12:00:00.000Z'),
    ]);
    const { metrics, added } = metricsSpy();

    // Act
    const report = await checkDeadlines({ ledger, metrics, now: () => NOW });

    // Assert
    expect(report.overdue.map((entry) => entry.requestId)).toEqual(['cw-late']);
    expect(report.dueSoon.map((entry) => entry.requestId)).toEqual(['cw-within-a-day', 'export-in-two-days']);
    expect(added).toEqual([
      ['OverdueRequests', 'Count', 1],
      ['DueSoonRequests', 'Count', 2],
      ['OverdueConsentWithdrawals', 'Count', 1],
      ['DueSoonConsentWithdrawals', 'Count', 1],
    ]);
  });

  it('reports entries by due date with the request id, type, brand, status and due date only (never the customer id)', async () => {
    const { ledger } = ledgerOf([
      record('b', 'in_progress', '2025-06-13T00:00:00.000Z'),
      record('a', 'pending', '2025-06-11T00:00:00.000Z'),
      record('c', 'failed', '2025-06-01T00:00:00.000Z'),
      record('d', 'pending', '2025-05-01T00:00:00.000Z'),
    ]);

    const report = await checkDeadlines({ ledger, metrics: metricsSpy().metrics, now: () => NOW });

    expect(report).toStrictEqual({
      checkedAt: '2025-06-10T12:00:00.000Z',
      overdue: [
        { requestId: 'd', type: 'export', brand: 'resnap', status: 'pending', dueAt: '2025-05-01T00:00:00.000Z' },
        { requestId: 'c', type: 'export', brand: 'resnap', status: 'failed', dueAt: '2025-06-01T00:00:00.000Z' },
      ],
      dueSoon: [
        { requestId: 'a', type: 'export', brand: 'resnap', status: 'pending', dueAt: '2025-06-11T00:00:00.000Z' },
        { requestId: 'b', type: 'export', brand: 'resnap', status: 'in_progress', dueAt: '2025-06-13T00:00:00.000Z' },
      ],
    });
  });

  it('checks against the current time by default', async () => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
    const { ledger, horizons } = ledgerOf([]);

    const report = await checkDeadlines({ ledger, metrics: metricsSpy().metrics });

    expect(report).toEqual({ checkedAt: '2025-06-10T12:00:00.000Z', overdue: [], dueSoon: [] });
    expect(horizons).toEqual(['2025-06-15T12:00:00.000Z']);
  });
});

describe('deadlineState', () => {
  const now = new Date('2026-03-10T12:00:00.000Z');

  it.each([
    ['export', '2026-03-10T11:59:59.999Z', 'overdue'],
    ['export', '2026-03-10T12:00:00.000Z', 'due-soon'],
    ['erasure', '2026-03-15T12:00:00.000Z', 'due-soon'],
    ['erasure', '2026-03-15T12:00:00.001Z', undefined],
    ['consent-withdrawal', '2026-03-10T11:00:00.000Z', 'overdue'],
    ['consent-withdrawal', '2026-03-11T12:00:00.000Z', 'due-soon'],
    ['consent-withdrawal', '2026-03-11T12:00:00.001Z', undefined],
    ['consent-withdrawal', '2026-03-12T12:00:00.000Z', undefined],
  ] as const)('a %s due at %s is %s: 5 days for every type, 24 hours for a consent withdrawal', (type, dueAt, state) => {
    expect(deadlineState(type, dueAt, now)).toBe(state);
  });
});
