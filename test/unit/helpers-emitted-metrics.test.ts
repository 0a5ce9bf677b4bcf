import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { withEmittedMetrics } from './helpers/emitted-metrics';

describe('withEmittedMetrics', () => {
  it('gives back the result and the metric records printed meanwhile, leaving other output out', async () => {
    // Arrange
    const metrics = new Metrics({ namespace: 'DSR', serviceName: 'dsr' });

    // Act
    const { result, records } = await withEmittedMetrics(async () => {
      process.stdout.write('not json\n{"level":"INFO","message":"a log line"}\n');
      metrics.addMetric('Probe', MetricUnit.Count, 3);
      metrics.publishStoredMetrics();
      return 'done';
    });

    // Assert
    expect(result).toBe('done');
    expect(records).toHaveLength(1);
    expect(records[0]!._aws.CloudWatchMetrics[0]!.Namespace).toBe('DSR');
    expect(records[0]!.Probe).toBe(3);
  });

  it('puts standard output back when the work fails', async () => {
    // Arrange
    const write = process.stdout.write;

    // Act
    const attempt = withEmittedMetrics(async () => {
      throw new Error('failed');
    });

    // Assert
    await expect(attempt).rejects.toThrow('failed');
    expect(process.stdout.write).toBe(write);
  });
});
