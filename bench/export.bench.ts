import { spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectStore, type CollectResult } from '../functions/core/export/collect';
import { exportConfig } from '../functions/core/export/config';
import { planVolumes } from '../functions/core/export/plan';
import { CUSTOMER_STORES } from '../functions/core/data-map';
import { customerKey } from '../functions/core/keyed-hash';
import { ledgerFromEnv } from '../functions/shared/ledger-from-env';
import { tracingEnvironment } from '../functions/shared/tracing';
import { FUNCTIONS } from '../functions/catalog';
import { newRequestRecord } from '../functions/core/ledger';
import { startLocalAws } from '../local/runtime';
import { S3Client } from '@aws-sdk/client-s3';
import { benchLatencyProfile } from './latency-proxy';
import { startBenchStorage } from './storage';
import { seedSyntheticCustomer } from '../local/seed/synthetic';

/**
 * Export benchmark (issues 4 and 12), on the embedded local S3 (s3rver, disk-backed) behind the
 * latency proxy (bench/latency-proxy.ts: 30 ms to the first byte of every request, optional
 * per-connection bandwidth cap; the same proxy for every approach), for one synthetic customer per
 * case: a series of 4 MiB photos (256 MiB … 4 GiB; the 1 GiB one is case A) and case B, 10,000 photos
 * of 100 KB. Each case is exported by the streaming archive builder and copied by a raw parallel copy
 * at the same concurrency (throughput ratio, target ≥ 0.95 for A and B), the S3 requests per exported
 * file are counted at the proxy (collect + build, target ≤ 1.1 for A and B), the builder's peak RSS per size
 * (target: growth ≤ 64 MiB from the smallest to the largest of the series), and an in-memory ZIP as
 * the naive peer. Each run is a child process (its own peak RSS); medians over the runs.
 *
 * Settings: `BENCH_EXPORT_SIZES_MIB` (default `256,1024,4096`), `BENCH_EXPORT_RUNS` (default 3),
 * `BENCH_EXPORT_PHOTO_MIB` (default 4), `BENCH_EXPORT_SMALL_PHOTOS` (case B's count, default 10000,
 * 0 skips it), `BENCH_EXPORT_SMALL_PHOTO_KB` (default 100), `BENCH_EXPORT_BUFFER_MAX_MIB` (largest
 * size the in-memory peer runs at, default 1024), `BENCH_S3_LATENCY_MS` (30), `BENCH_S3_BANDWIDTH_MBPS`
 * (0 = off), `BENCH_EXPORT_WRITE_DOCS` (`1` writes the results into docs/performance.md; default: only
 * when the default sizes ran).
 */

const MIB = 1024 * 1024;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_SIZES = '256,1024,4096';
const sizesText = process.env.BENCH_EXPORT_SIZES_MIB || DEFAULT_SIZES;
const sizes = sizesText.split(',').map((value) => Number(value.trim())).filter((value) => value > 0);
const runs = Number(process.env.BENCH_EXPORT_RUNS || 3);
const photoMib = Number(process.env.BENCH_EXPORT_PHOTO_MIB || 4);
const smallPhotos = Number(process.env.BENCH_EXPORT_SMALL_PHOTOS ?? 10_000);
const smallPhotoKb = Number(process.env.BENCH_EXPORT_SMALL_PHOTO_KB || 100);
const bufferMaxMib = Number(process.env.BENCH_EXPORT_BUFFER_MAX_MIB || 1024);
const profile = benchLatencyProfile();
const writeDocs = process.env.BENCH_EXPORT_WRITE_DOCS ? process.env.BENCH_EXPORT_WRITE_DOCS === '1' : sizesText === DEFAULT_SIZES;

/** One benchmark case: a customer with `photos` photos of `photoBytes`. */
interface Case {
  label: string;
  /** Id-safe name (customer and request ids). */
  slug: string;
  photos: number;
  photoBytes: number;
  /** Part of the 4 MiB series (RSS growth). */
  series: boolean;
}

type Mode = 'archive' | 'raw' | 'buffer';

interface RunResult {
  mode: Mode;
  seconds: number;
  /** CPU seconds of the worker (the code measured). */
  cpuSeconds: number;
  /** CPU seconds of the S3 process (s3rver and its latency proxy) during the run. */
  storageCpuSeconds: number;
  inputBytes: number;
  outputBytes: number;
  peakRssBytes: number;
  files: number;
  /** Requests on the source buckets through the proxy during the run. */
  sourceRequests: number;
}

interface Row {
  label: string;
  series: boolean;
  mode: Mode;
  seconds: number;
  mibPerSecond: number;
  peakRssMib: number;
  runs: number;
  files: number;
  /** The run's own CPU seconds (median): the builder's, or the copy's. */
  cpuSeconds: number;
  /** S3 requests per exported file (collect + build; archive only). */
  requestsPerFile?: number;
}

/** The median of numbers. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs one measured build in a child process with the local AWS environment (S3 through the proxy). */
function runWorker(mode: Mode, requestId: string, env: NodeJS.ProcessEnv): Promise<Omit<RunResult, 'sourceRequests' | 'storageCpuSeconds'>> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/export-worker.ts'), mode, requestId], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = output.trim().split('\n').reverse().find((candidate) => candidate.startsWith('{"mode"'));
      if (code !== 0 || !line) reject(new Error(`worker ${mode} exited with ${code}`));
      else resolvePromise(JSON.parse(line) as Omit<RunResult, 'sourceRequests' | 'storageCpuSeconds'>);
    });
  });
}

/**
 * Seeds a customer (directly, not through the proxy), then collects (through the proxy, counting its
 * source requests) and plans a single-volume export; returns the request id and the collector's requests.
 */
async function prepare(item: Case, proxied: S3Client): Promise<{ requestId: string; collectRequests: number }> {
  const customerId = `bench-${item.slug}`;
  const clients = storage.direct;
  await seedSyntheticCustomer(clients, { customerId, brand: 'albelli', photos: item.photos, photoBytes: item.photoBytes, orders: 5, contacts: 3 });
  const requestId = `bench-export-${item.slug}`;
  const record = newRequestRecord({
    requestId, type: 'export', customerId, customerKey: customerKey(customerId), brand: 'albelli', bodyHash: 'bench', receivedAt: new Date('2025-06-01T00:00:00.000Z'),
  });
  await ledgerFromEnv().create({ ...record, status: 'in_progress' });
  const config = { ...exportConfig(), volumeBytes: Number.MAX_SAFE_INTEGER };
  const collected: CollectResult[] = [];
  const before = await sourceRequests();
  for (const store of CUSTOMER_STORES) {
    collected.push((await collectStore({ s3: proxied, doc: clients.doc, config }, { requestId, customerId, store: store.id as never, mode: 'export' })) as CollectResult);
  }
  const collectRequests = (await sourceRequests()) - before;
  await planVolumes({ ...clients, config, requestedAt: async () => record.createdAt }, { requestId, brand: 'albelli', collected: collected.map(({ store, items, bytes, stagingKey }) => ({ store: store as never, items, bytes, stagingKey })) });
  return { requestId, collectRequests };
}

/** Requests the proxy forwarded to the source buckets (every bucket but the exports bucket). */
async function sourceRequests(): Promise<number> {
  const exportsBucket = exportConfig().exportsBucket;
  return [...(await storage.s3ByBucket())].filter(([bucket]) => bucket !== exportsBucket).reduce((sum, [, count]) => sum + count, 0);
}

/** The results as a Markdown table. */
function table(rows: Row[]): string {
  const lines = ['| case | approach | median time (s) | throughput (MiB/s) | peak RSS (MiB) | S3 requests / file | runs |', '|---|---|---:|---:|---:|---:|---:|'];
  const names: Record<Mode, string> = { archive: 'streaming archive (build-volume)', raw: 'raw parallel copy (no ZIP)', buffer: 'in-memory ZIP (naive peer)' };
  for (const row of rows) {
    lines.push(
      `| ${row.label} | ${names[row.mode]} | ${row.seconds.toFixed(1)} | ${row.mibPerSecond.toFixed(1)} | ${row.peakRssMib.toFixed(0)} | ${row.requestsPerFile === undefined ? '' : row.requestsPerFile.toFixed(3)} | ${row.runs} |`,
    );
  }
  return lines.join('\n');
}

const cases: Case[] = [
  ...sizes.map((sizeMib) => ({ label: `${sizeMib} MiB of ${photoMib} MiB photos${sizeMib === 1024 ? ' (A)' : ''}`, slug: `${sizeMib}m`, photos: Math.max(1, Math.round(sizeMib / photoMib)), photoBytes: photoMib * MIB, series: true })),
  ...(smallPhotos > 0 ? [{ label: `${smallPhotos} photos of ${smallPhotoKb} KB (B)`, slug: `small-${smallPhotos}`, photos: smallPhotos, photoBytes: smallPhotoKb * 1000, series: false }] : []),
];
const exportSettings = exportConfig();
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}/${process.arch}`;
const proxyText = `${profile.latencyMs} ms to the first byte per request${profile.bytesPerSecond ? `, ${(profile.bytesPerSecond / 1e6).toFixed(0)} MB/s per connection` : ', no bandwidth cap'}`;
console.log(`export benchmark: ${cases.map((item) => item.label).join('; ')}; ${runs} runs each; S3 proxy ${proxyText}; ${machine}`);
const dataDir = join(ROOT, '.bench-tmp/export');
await rm(dataDir, { recursive: true, force: true });
// S3 (and DynamoDB) behind the latency proxy in a process of their own; each measured run in another.
const storage = await startBenchStorage(join(dataDir, 'stores'));
const aws = await startLocalAws({ dataDir: join(dataDir, 'runtime'), backend: storage.backend, log: () => undefined });
const proxied = new S3Client({ endpoint: storage.backend.s3, forcePathStyle: true });
const rows: Row[] = [];
try {
  // Every run in the volume builder's environment, its catalog tracing included (no X-Ray SDK in its process).
  const env = { ...process.env, ...aws.env, ...tracingEnvironment(FUNCTIONS.find((spec) => spec.id === 'build-volume')!.tracing) };
  for (const item of cases) {
    console.log(`seeding ${item.label} ...`);
    const { requestId, collectRequests } = await prepare(item, proxied);
    const modes: Mode[] = item.series && item.photos * item.photoBytes <= bufferMaxMib * MIB ? ['archive', 'raw', 'buffer'] : ['archive', 'raw'];
    const results = new Map<Mode, RunResult[]>(modes.map((mode) => [mode, []]));
    for (let run = 0; run < runs; run += 1) {
      for (const mode of run % 2 ? [...modes].reverse() : modes) {
        const before = await sourceRequests();
        const storageCpuBefore = await storage.cpuSeconds();
        const result = { ...(await runWorker(mode, requestId, env)), sourceRequests: 0, storageCpuSeconds: 0 };
        result.storageCpuSeconds = (await storage.cpuSecondsSince(storageCpuBefore)).s3;
        result.sourceRequests = (await sourceRequests()) - before;
        results.get(mode)!.push(result);
        console.log(
          `  ${item.label} ${mode} run ${run + 1}: ${result.seconds.toFixed(2)} s, CPU ${result.cpuSeconds.toFixed(1)} s (S3 side ${result.storageCpuSeconds.toFixed(1)} s), peak RSS ${(result.peakRssBytes / MIB).toFixed(0)} MiB, ${result.sourceRequests} source requests`,
        );
      }
    }
    for (const mode of modes) {
      const measured = results.get(mode)!;
      const seconds = median(measured.map((result) => result.seconds));
      const files = measured[0]!.files;
      rows.push({
        label: item.label,
        series: item.series,
        mode,
        seconds,
        mibPerSecond: measured[0]!.inputBytes / MIB / seconds,
        peakRssMib: median(measured.map((result) => result.peakRssBytes)) / MIB,
        runs: measured.length,
        files,
        cpuSeconds: median(measured.map((result) => result.cpuSeconds)),
        ...(mode === 'archive' ? { requestsPerFile: (collectRequests + median(measured.map((result) => result.sourceRequests))) / files } : {}),
      });
    }
  }
} finally {
  await aws.close();
  await storage.close();
}

const at = (label: string, mode: Mode) => rows.find((row) => row.label === label && row.mode === mode)!;
const ratioOf = (label: string) => at(label, 'archive').mibPerSecond / at(label, 'raw').mibPerSecond;
const series = cases.filter((item) => item.series);
const caseA = series.find((item) => item.label.endsWith('(A)')) ?? series.at(-1);
const caseB = cases.find((item) => !item.series);
const archiveRows = rows.filter((row) => row.mode === 'archive');
const targetCases = [caseA, caseB].filter((item): item is Case => item !== undefined);
const requestsOf = (item: Case) => at(item.label, 'archive').requestsPerFile!;
const worstTargetRequests = Math.max(...targetCases.map(requestsOf));
const mostRequests = archiveRows.reduce((most, row) => (row.requestsPerFile! > most.requestsPerFile! ? row : most));
const growth = series.length > 1 ? at(series.at(-1)!.label, 'archive').peakRssMib - at(series[0]!.label, 'archive').peakRssMib : undefined;
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

// Paper model: a 50 GiB library of 4 MiB photos in AWS, 2 GiB volumes built in parallel.
const seriesThroughput = caseA ? at(caseA.label, 'archive').mibPerSecond : archiveRows[0]!.mibPerSecond;
const libraryMib = 50 * 1024;
const volumeMib = exportSettings.volumeBytes / MIB;
const volumes = Math.ceil(libraryMib / volumeMib);
const mapConcurrency = 8;
// The volumes after the first are built in parallel, then volume 1 (its page needs their file details).
const waves = Math.ceil((volumes - 1) / mapConcurrency) + 1;
const volumeSeconds = volumeMib / seriesThroughput;
const collectSeconds = (libraryMib / photoMib / 1000) * (profile.latencyMs / 1000) + 5;
const wallSeconds = collectSeconds + waves * volumeSeconds + 10;
const lambdaGbSeconds = volumes * volumeSeconds * 2;
const lambdaCost = lambdaGbSeconds * 0.0000166667 + volumes * 0.0000002;
const requestCost = (libraryMib / photoMib) * (0.0004 / 1000) + (libraryMib / (exportSettings.partBytes / MIB)) * (0.005 / 1000);
/**
 * B in AWS, from the CPU per file: GetObjects at the proxy's latency with the fetch concurrency in
 * flight take at least latency ÷ concurrency per file, and an approach that needs more CPU per file
 * than that is bound by its CPU (the builder runs on one thread), as S3's own work is not on the
 * Lambda's CPU. Assumes a Lambda vCPU as fast as this machine's.
 */
const latencyFloor = profile.latencyMs / 1000 / exportSettings.fetchConcurrency;
const cpuPerFile = (item: Case, mode: Mode) => at(item.label, mode).cpuSeconds / at(item.label, mode).files;
const inAws = (item: Case) => {
  const raw = Math.max(latencyFloor, cpuPerFile(item, 'raw'));
  const ratio = raw / Math.max(latencyFloor, cpuPerFile(item, 'archive'));
  return `- ${item.label} in AWS, from the CPU per file (S3's work off the Lambda's CPU, a Lambda vCPU as fast as this machine's): the requests take at least ${(latencyFloor * 1000).toFixed(2)} ms per file (${profile.latencyMs} ms, ${exportSettings.fetchConcurrency} in flight); the archive needs ${(cpuPerFile(item, 'archive') * 1000).toFixed(2)} ms of CPU per file, the raw copy ${(cpuPerFile(item, 'raw') * 1000).toFixed(2)} ms: ratio about **${ratio.toFixed(2)}** (${ratio >= 0.95 ? 'at' : 'below'} 0.95; 0.95 needs the archive at ${((raw / 0.95) * 1000).toFixed(2)} ms or less).`;
};
const summary = [
  ...[caseA, caseB].filter((item): item is Case => item !== undefined).map((item) => `- Throughput ratio archive / raw parallel copy, ${item.label}: **${ratioOf(item.label).toFixed(2)}** (target ≥ 0.95: ${met(ratioOf(item.label) >= 0.95)}).`),
  ...(caseB ? [inAws(caseB)] : []),
  `- S3 requests per exported file (listing pages + GetObjects, collect and build; the plan, staging and upload parts not counted): ${targetCases.map((item) => `**${requestsOf(item).toFixed(3)}** for ${item.label}`).join(', ')} (target ≤ 1.1: ${met(worstTargetRequests <= 1.1)}); the most of any case: ${mostRequests.requestsPerFile!.toFixed(3)} (${mostRequests.label}, ${mostRequests.files} files, on which the collectors' listing calls of every store weigh).`,
  ...(growth === undefined ? [] : [`- Peak RSS growth of the archive build from ${series[0]!.label} to ${series.at(-1)!.label}: **${growth.toFixed(0)} MiB** (target ≤ 64 MiB: ${met(growth <= 64)}), at the default fetch budget of ${(exportSettings.fetchBudgetBytes / MIB).toFixed(0)} MiB and ${exportSettings.fetchConcurrency} requests in flight.`]),
  `- Paper model, 50 GiB of ${photoMib} MiB photos in AWS at the measured ${seriesThroughput.toFixed(0)} MiB/s per builder: ${volumes} volumes of ${volumeMib.toFixed(0)} MiB, ${waves} waves (up to ${mapConcurrency} parallel builders, then volume 1) × ${volumeSeconds.toFixed(0)} s + collect ≈ ${collectSeconds.toFixed(0)} s + 10 s of steps ≈ **${(wallSeconds / 60).toFixed(1)} min** (target < 5 min: ${met(wallSeconds < 300)}); Lambda ${lambdaGbSeconds.toFixed(0)} GB-s ≈ **$${lambdaCost.toFixed(3)}**, S3 requests ≈ $${requestCost.toFixed(3)}.`,
].join('\n');
const report = `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}; embedded local S3 (s3rver, disk-backed) behind the latency proxy (${proxyText}); median of ${runs} run${runs === 1 ? '' : 's'}, each in its own process.\n\n${table(rows)}\n\n${summary}\n`;
console.log(`\n${report}`);

if (writeDocs) {
  const file = join(ROOT, 'docs/performance.md');
  const start = '<!-- export-bench:start -->';
  const end = '<!-- export-bench:end -->';
  const text = await readFile(file, 'utf8');
  if (!text.includes(start) || !text.includes(end)) throw new Error(`docs/performance.md lacks the ${start} … ${end} markers`);
  await writeFile(file, `${text.slice(0, text.indexOf(start) + start.length)}\n${report}${text.slice(text.indexOf(end))}`);
  console.log('results written to docs/performance.md');
}
