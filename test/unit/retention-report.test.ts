import type { Metrics } from '@aws-lambda-powertools/metrics';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { publishMetrics, readResults, recordFailure, RETENTION_METRICS, writeReport, writeReportOutput, type RetentionReport } from '../../functions/core/retention/report';

/** The run report: the ResultWriter's files summed per store into retention/<runId>/report.json, per-store metrics unless a dry run. */

const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
const NOW = new Date('2030-06-15T12:00:00.000Z');
const body = (value: unknown) => ({ transformToString: async () => JSON.stringify(value) }) as never;
const counts = (store: string, n: number) => ({ store, examined: n * 10, expired: n * 2, removed: n, heldSkipped: n, remaining: 0 });
const metrics = { addDimension: vi.fn(), addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
const results = { Bucket: 'dsr-audit', Key: 'retention/run-1/results/m1/manifest.json' };

/** The report the PutObject call wrote. */
function report(): RetentionReport {
  const call = s3Mock.commandCalls(PutObjectCommand)[0]!;
  expect(call.args[0].input).toMatchObject({ Bucket: 'dsr-audit', Key: 'retention/run-1/report.json', ContentType: 'application/json' });
  return JSON.parse(String(call.args[0].input.Body)) as RetentionReport;
}

beforeEach(() => {
  s3Mock.reset();
  vi.clearAllMocks();
  s3Mock.on(PutObjectCommand).resolves({});
  s3Mock.on(GetObjectCommand, { Key: results.Key }).resolves({
    Body: body({ DestinationBucket: 'dsr-audit', ResultFiles: { FAILED: [], PENDING: [], SUCCEEDED: [{ Key: 'retention/run-1/results/m1/SUCCEEDED_0.json', Size: 1 }] } }),
  });
  s3Mock.on(GetObjectCommand, { Key: 'retention/run-1/results/m1/SUCCEEDED_0.json' }).resolves({
    Body: body([
      { Status: 'SUCCEEDED', Output: JSON.stringify({ stores: [counts('contact-history', 1), counts('orders', 2)] }) },
      { Status: 'SUCCEEDED', Output: JSON.stringify({ stores: [counts('contact-history', 3)] }) },
    ]),
  });
});

describe('writeReport', () => {
  it('sums the children\'s counts per store, lists every swept store with its rule, and writes the report', async () => {
    // Act
    const output = await writeReport({ s3, auditBucket: 'dsr-audit', metrics: metrics as unknown as Metrics, now: () => NOW }, { runId: 'run-1', dryRun: false, results });

    // Assert
    const written = report();
    expect(written).toMatchObject({ runId: 'run-1', status: 'succeeded', dryRun: false, writtenAt: NOW.toISOString(), batches: 2 });
    expect(written.stores.map(({ rule: _rule, ...entry }) => entry)).toEqual([
      { store: 'customer-profile', examined: 0, expired: 0, removed: 0, heldSkipped: 0, remaining: 0 },
      counts('orders', 2),
      counts('contact-history', 4),
      { store: 'call-recordings', examined: 0, expired: 0, removed: 0, heldSkipped: 0, remaining: 0 },
      { store: 'request-ledger', examined: 0, expired: 0, removed: 0, heldSkipped: 0, remaining: 0 },
    ]);
    expect(written.stores.find((entry) => entry.store === 'contact-history')!.rule).toBe('Up to 2 years after the contact is closed');
    expect(writeReportOutput.parse(output)).toEqual({ reportKey: 'retention/run-1/report.json', status: 'succeeded', totals: { examined: 60, expired: 12, removed: 6, heldSkipped: 6, remaining: 0 } });
    expect(metrics.publishStoredMetrics).toHaveBeenCalledTimes(5);
  });

  it('publishes no metrics for a dry run', async () => {
    // Act
    await writeReport({ s3, auditBucket: 'dsr-audit', metrics: metrics as unknown as Metrics, now: () => NOW }, { runId: 'run-1', dryRun: true, results });

    // Assert
    expect(report().dryRun).toBe(true);
    expect(metrics.addMetric).not.toHaveBeenCalled();
  });

  it('names the audit bucket when a result file cannot be read, and refuses a child output that is not counts', async () => {
    // Arrange
    s3Mock.on(GetObjectCommand, { Key: 'retention/run-1/results/m1/SUCCEEDED_0.json' }).resolves({ Body: body([{ Output: JSON.stringify({ stores: [{ store: 'x', customerId: 'c1' }] }) }]) });

    // Act / Assert
    await expect(readResults(s3, results)).rejects.toThrow();
    s3Mock.on(GetObjectCommand, { Key: results.Key }).rejects(Object.assign(new Error('gone'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));
    await expect(readResults(s3, results)).rejects.toThrow('Store "audit" failed: NoSuchKey: gone');
  });
});

describe('publishMetrics', () => {
  it('publishes the five counts of each store under its store dimension', () => {
    // Act
    publishMetrics(metrics as unknown as Metrics, [counts('orders', 1)]);

    // Assert
    expect(metrics.addDimension).toHaveBeenCalledWith('store', 'orders');
    expect(metrics.addMetric.mock.calls.map(([name, , value]) => [name, value])).toEqual([
      [RETENTION_METRICS.examined, 10],
      [RETENTION_METRICS.expired, 2],
      [RETENTION_METRICS.removed, 1],
      [RETENTION_METRICS.heldSkipped, 1],
      [RETENTION_METRICS.remaining, 0],
    ]);
  });
});

describe('recordFailure', () => {
  it('writes a failed run\'s report with the error, no counts', async () => {
    // Act
    const output = await recordFailure({ s3, auditBucket: 'dsr-audit', now: () => NOW }, { runId: 'run-1', options: { dryRun: true }, error: { Error: 'States.ExceedToleratedFailureThreshold', Cause: 'x'.repeat(2000) } });

    // Assert
    const written = report();
    expect(written).toMatchObject({ status: 'failed', dryRun: true, stores: [], error: { name: 'States.ExceedToleratedFailureThreshold' } });
    expect(written.error!.message).toHaveLength(1000);
    expect(output).toEqual({ reportKey: 'retention/run-1/report.json', status: 'failed', totals: { examined: 0, expired: 0, removed: 0, heldSkipped: 0, remaining: 0 } });
  });
});
