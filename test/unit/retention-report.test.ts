import { Readable } from 'node:stream';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { publishMetrics, readResults, recordFailure, recordFailureInput, RETENTION_METRICS, writeReport, writeReportInput, writeReportOutput, type RetentionReport } from '../../functions/core/retention/report';

/** The run report: the ResultWriter's files summed per store into retention/<runId>/report.json, per-store metrics unless a dry run. */

const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
const NOW = new Date('2030-06-15T12:00:00.000Z');
const body = (value: unknown) => Readable.from([Buffer.from(JSON.stringify(value))]) as never;
const counts = (store: string, n: number) => ({ store, examined: n * 10, expired: n * 2, removed: n, heldSkipped: n, remaining: 0 });
const metrics = { addDimension: vi.fn(), addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
const results = { Bucket: 'dsr-exports', Key: 'retention/run-1/results/m1/manifest.json' };

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
    Body: body({ DestinationBucket: 'dsr-exports', ResultFiles: { FAILED: [], PENDING: [], SUCCEEDED: [{ Key: 'retention/run-1/results/m1/SUCCEEDED_0.json', Size: 1 }] } }),
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

  it('names the exports bucket when a result file cannot be read, and refuses a child output that is not counts', async () => {
    // Arrange
    s3Mock.on(GetObjectCommand, { Key: 'retention/run-1/results/m1/SUCCEEDED_0.json' }).resolves({ Body: body([{ Output: JSON.stringify({ stores: [{ store: 'x', customerId: 'c1' }] }) }]) });

    // Act / Assert
    await expect(readResults(s3, results)).rejects.toThrow();
    s3Mock.on(GetObjectCommand, { Key: results.Key }).rejects(Object.assign(new Error('gone'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));
    await expect(readResults(s3, results)).rejects.toThrow('Store "exports" failed: NoSuchKey: gone');
  });
});

describe('writeReport without a clock, and its step contract', () => {
  it('stamps the report with the current time when no clock is given', async () => {
    // Arrange
    const before = Date.now();

    // Act
    await writeReport({ s3, auditBucket: 'dsr-audit', metrics: metrics as unknown as Metrics }, { runId: 'run-1', dryRun: true, results });

    // Assert
    const writtenAt = Date.parse(report().writtenAt);
    expect(writtenAt).toBeGreaterThanOrEqual(before);
    expect(writtenAt).toBeLessThanOrEqual(Date.now());
  });

  it('reads a manifest without succeeded files as no counts and no batches', async () => {
    // Arrange
    s3Mock.on(GetObjectCommand, { Key: results.Key }).resolves({ Body: body({ ResultFiles: { FAILED: [] } }) });

    // Act / Assert
    await expect(readResults(s3, results)).resolves.toEqual({ counts: [], batches: 0 });
  });

  it('names the audit bucket when the report cannot be written', async () => {
    // Arrange
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));

    // Act / Assert
    await expect(writeReport({ s3, auditBucket: 'dsr-audit', metrics: metrics as unknown as Metrics, now: () => NOW }, { runId: 'run-1', dryRun: false, results })).rejects.toThrow(
      'Store "audit" failed: AccessDenied: denied',
    );
    expect(metrics.addMetric).not.toHaveBeenCalled();
  });

  it('accepts the step input with the Map\'s ResultWriter details and refuses one without them', () => {
    // Arrange
    const input = { runId: 'run-1', dryRun: false, results: { ...results, MapRunArn: 'arn:aws:states:eu-west-1:1:mapRun:m/1' } };

    // Assert
    expect(writeReportInput.parse(input)).toEqual(input);
    expect(writeReportInput.safeParse({ runId: 'run-1', dryRun: false }).success).toBe(false);
    expect(writeReportInput.safeParse({ ...input, results: { Bucket: 'dsr-audit' } }).success).toBe(false);
  });
});

describe('publishMetrics', () => {
  it('publishes under the names and namespace the remaining-records alarm reads (the handler\'s namespace DSR), one flush per store', () => {
    // Act
    publishMetrics(metrics as unknown as Metrics, [counts('orders', 1), { ...counts('contact-history', 2), remaining: 4 }]);

    // Assert
    expect(RETENTION_METRICS.namespace).toBe('DSR');
    expect(metrics.addDimension.mock.calls).toEqual([
      ['store', 'orders'],
      ['store', 'contact-history'],
    ]);
    expect(metrics.addMetric.mock.calls).toEqual([
      ['RetentionExamined', 'Count', 10],
      ['RetentionExpired', 'Count', 2],
      ['RetentionRemoved', 'Count', 1],
      ['RetentionHeldSkipped', 'Count', 1],
      ['RetentionRemaining', 'Count', 0],
      ['RetentionExamined', 'Count', 20],
      ['RetentionExpired', 'Count', 4],
      ['RetentionRemoved', 'Count', 2],
      ['RetentionHeldSkipped', 'Count', 2],
      ['RetentionRemaining', 'Count', 4],
    ]);
    expect(metrics.publishStoredMetrics).toHaveBeenCalledTimes(2);
    expect(metrics.publishStoredMetrics.mock.invocationCallOrder[0]).toBeLessThan(metrics.addDimension.mock.invocationCallOrder[1]!);
  });

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
    expect(writeReportOutput.parse(output)).toEqual(output);
  });

  it('records an error without a name or cause as unknown with an empty message, not a dry run unless told, stamped now without a clock', async () => {
    // Arrange
    const before = Date.now();
    const input = recordFailureInput.parse({ runId: 'run-1', error: {} });

    // Act
    await recordFailure({ s3, auditBucket: 'dsr-audit' }, input);

    // Assert
    expect(input.options).toEqual({});
    const written = report();
    expect(written).toMatchObject({ runId: 'run-1', status: 'failed', dryRun: false, stores: [], error: { name: 'unknown', message: '' } });
    expect(written.batches).toBeUndefined();
    expect(Date.parse(written.writtenAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(written.writtenAt)).toBeLessThanOrEqual(Date.now());
  });

  it('records a failed real run as not a dry run', async () => {
    // Act
    await recordFailure({ s3, auditBucket: 'dsr-audit', now: () => NOW }, { runId: 'run-1', options: { dryRun: false }, error: { Error: 'States.TaskFailed', Cause: 'boom' } });

    // Assert
    expect(report()).toMatchObject({ dryRun: false, writtenAt: NOW.toISOString(), error: { name: 'States.TaskFailed', message: 'boom' } });
  });
});
