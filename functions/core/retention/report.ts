import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { ruleText } from '../data-map';
import { storeError } from '../errors';
import { readJson } from '../export/staging-io';
import { noStoreCounts, storeCountsSchema, sumCounts, type StoreCounts } from './counts';
import { reportKey, runIdSchema } from './plan';
import { sweptStores } from './rules';
import { sweepSegmentOutput } from './sweep';

/**
 * The report of a retention run (`Write Report`): reads the Distributed Map's ResultWriter files (the
 * manifest, then every SUCCEEDED file with each child execution's output), sums the counts per store,
 * writes `retention/<runId>/report.json` to the audit bucket and, unless it was a dry run, publishes
 * per-store CloudWatch metrics (EMF, namespace `DSR`, dimension `store`): `RetentionExamined`,
 * `RetentionExpired`, `RetentionRemoved`, `RetentionHeldSkipped` and `RetentionRemaining` (past the
 * rule and still there after the run; an alarm fires when it is not zero). `Record Failure` writes a
 * failed run's report the same way.
 */

/** The metric names by count. */
export const RETENTION_METRICS = {
  namespace: 'DSR',
  dimension: 'store',
  examined: 'RetentionExamined',
  expired: 'RetentionExpired',
  removed: 'RetentionRemoved',
  heldSkipped: 'RetentionHeldSkipped',
  remaining: 'RetentionRemaining',
} as const;

/** Input of `write-retention-report`: the run and the Map's ResultWriter details. */
export const writeReportInput = z.strictObject({
  runId: runIdSchema,
  dryRun: z.boolean(),
  results: z.looseObject({ Bucket: z.string(), Key: z.string() }),
});

/** Output of `write-retention-report` (and of `record-retention-failure`): where the report is and its totals. */
export const writeReportOutput = z.strictObject({
  reportKey: z.string(),
  status: z.enum(['succeeded', 'failed']),
  totals: storeCountsSchema.omit({ store: true }),
});

/** Input of `record-retention-failure`: the run and the error the Catch recorded. */
export const recordFailureInput = z.strictObject({
  runId: runIdSchema,
  options: z.looseObject({ dryRun: z.boolean().optional() }).default({}),
  error: z.looseObject({ Error: z.string().optional(), Cause: z.string().optional() }),
});

/** A run's report (`retention/<runId>/report.json`). */
export interface RetentionReport {
  runId: string;
  status: 'succeeded' | 'failed';
  dryRun: boolean;
  writtenAt: string;
  /** Per swept store: its rule as told to the customer, and its counts. */
  stores: (StoreCounts & { rule: string })[];
  totals: Omit<StoreCounts, 'store'>;
  /** Child executions of the Map run (batches of segments). */
  batches?: number;
  error?: { name: string; message: string };
}

/** What the report step needs. */
export interface ReportDeps {
  s3: S3Client;
  auditBucket: string;
  metrics: Metrics;
  now?: () => Date;
}


const resultManifestSchema = z.looseObject({
  ResultFiles: z.looseObject({ SUCCEEDED: z.array(z.looseObject({ Key: z.string() })).default([]) }),
});

const resultEntrySchema = z.looseObject({ Output: z.string() });

/** The counts of every child execution the ResultWriter recorded as succeeded. */
export async function readResults(s3: S3Client, results: { Bucket: string; Key: string }): Promise<{ counts: StoreCounts[]; batches: number }> {
  const manifest = resultManifestSchema.parse(await readJson(s3, results.Bucket, results.Key));
  const counts: StoreCounts[] = [];
  let batches = 0;
  for (const file of manifest.ResultFiles.SUCCEEDED) {
    for (const entry of z.array(resultEntrySchema).parse(await readJson(s3, results.Bucket, file.Key))) {
      counts.push(...sweepSegmentOutput.parse(JSON.parse(entry.Output)).stores);
      batches += 1;
    }
  }
  return { counts, batches };
}

/** Totals over every store. */
export function totalsOf(stores: readonly StoreCounts[]): Omit<StoreCounts, 'store'> {
  const { store: _store, ...totals } = sumCounts(stores.map((entry) => ({ ...entry, store: 'all' })))[0] ?? noStoreCounts('all');
  return totals;
}

/** Every swept store with its counts (zero when no segment reported it) and its rule text. */
export function reportStores(counts: readonly StoreCounts[]): RetentionReport['stores'] {
  const summed = new Map(sumCounts(counts).map((entry) => [entry.store, entry]));
  return sweptStores().map(({ store, rule }) => ({ ...(summed.get(store.id) ?? noStoreCounts(store.id)), rule: ruleText(rule) }));
}

/** Writes the report to the audit bucket. */
async function putReport(deps: Pick<ReportDeps, 's3' | 'auditBucket'>, report: RetentionReport): Promise<string> {
  const key = reportKey(report.runId);
  try {
    await deps.s3.send(new PutObjectCommand({ Bucket: deps.auditBucket, Key: key, Body: JSON.stringify(report, null, 2), ContentType: 'application/json' }));
  } catch (error) {
    throw storeError('audit', error);
  }
  return key;
}

/** Publishes the per-store metrics of a run. */
export function publishMetrics(metrics: Metrics, stores: readonly StoreCounts[]): void {
  for (const entry of stores) {
    metrics.addDimension(RETENTION_METRICS.dimension, entry.store);
    for (const count of ['examined', 'expired', 'removed', 'heldSkipped', 'remaining'] as const) metrics.addMetric(RETENTION_METRICS[count], MetricUnit.Count, entry[count]);
    metrics.publishStoredMetrics();
  }
}

/** Writes the report of a finished Map run and publishes its metrics (none for a dry run). */
export async function writeReport(deps: ReportDeps, input: z.infer<typeof writeReportInput>): Promise<z.infer<typeof writeReportOutput>> {
  const { counts, batches } = await readResults(deps.s3, input.results);
  const stores = reportStores(counts);
  const report: RetentionReport = {
    runId: input.runId,
    status: 'succeeded',
    dryRun: input.dryRun,
    writtenAt: (deps.now ? deps.now() : new Date()).toISOString(),
    stores,
    totals: totalsOf(stores),
    batches,
  };
  const key = await putReport(deps, report);
  if (!input.dryRun) publishMetrics(deps.metrics, stores);
  return { reportKey: key, status: report.status, totals: report.totals };
}

/** Writes the report of a failed run: the error name and message, no counts (what was removed stays removed; the next run continues). */
export async function recordFailure(deps: Pick<ReportDeps, 's3' | 'auditBucket' | 'now'>, input: z.infer<typeof recordFailureInput>): Promise<z.infer<typeof writeReportOutput>> {
  const report: RetentionReport = {
    runId: input.runId,
    status: 'failed',
    dryRun: input.options.dryRun === true,
    writtenAt: (deps.now ? deps.now() : new Date()).toISOString(),
    stores: [],
    totals: totalsOf([]),
    error: { name: input.error.Error ?? 'unknown', message: (input.error.Cause ?? '').slice(0, 1000) },
  };
  return { reportKey: await putReport(deps, report), status: report.status, totals: report.totals };
}
