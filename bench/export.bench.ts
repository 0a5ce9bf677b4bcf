import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectStore, type CollectResult } from '../functions/core/export/collect';
import { exportConfig } from '../functions/core/export/config';
import { planVolumes } from '../functions/core/export/plan';
import { CUSTOMER_STORES } from '../functions/core/data-map';
import { customerKey } from '../functions/core/keyed-hash';
import { documentClient, s3Client } from '../functions/shared/clients';
import { ledgerFromEnv } from '../functions/shared/ledger-from-env';
import { newRequestRecord } from '../functions/core/ledger';
import { startLocalAws } from '../local/runtime';
import { seedSyntheticCustomer } from '../local/seed/synthetic';

/**
 * Export benchmark (issue 4), on the embedded local S3 (s3rver, disk-backed, loopback), for one
 * synthetic customer per size: the streaming archive builder vs a raw stream copy of the same bytes
 * (throughput ratio, target ≥ 0.85 at 1 GiB), the builder's peak RSS per size (target: growth ≤ 64 MiB
 * from the smallest to the largest), and an in-memory ZIP as the naive peer. Each run is a child
 * process (its own peak RSS); medians over the runs.
 *
 * Settings: `BENCH_EXPORT_SIZES_MIB` (default `256,1024,4096`), `BENCH_EXPORT_RUNS` (default 3),
 * `BENCH_EXPORT_PHOTO_MIB` (default 4), `BENCH_EXPORT_BUFFER_MAX_MIB` (largest size the in-memory peer
 * runs at, default 1024), `BENCH_EXPORT_WRITE_DOCS` (`1` writes the results into docs/performance.md;
 * default: only when the default sizes ran).
 */

const MIB = 1024 * 1024;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_SIZES = '256,1024,4096';
const sizesText = process.env.BENCH_EXPORT_SIZES_MIB || DEFAULT_SIZES;
const sizes = sizesText.split(',').map((value) => Number(value.trim())).filter((value) => value > 0);
const runs = Number(process.env.BENCH_EXPORT_RUNS || 3);
const photoMib = Number(process.env.BENCH_EXPORT_PHOTO_MIB || 4);
const bufferMaxMib = Number(process.env.BENCH_EXPORT_BUFFER_MAX_MIB || 1024);
const writeDocs = process.env.BENCH_EXPORT_WRITE_DOCS ? process.env.BENCH_EXPORT_WRITE_DOCS === '1' : sizesText === DEFAULT_SIZES;

type Mode = 'archive' | 'raw' | 'buffer';

interface RunResult {
  mode: Mode;
  seconds: number;
  inputBytes: number;
  outputBytes: number;
  peakRssBytes: number;
}

interface Row {
  sizeMib: number;
  mode: Mode;
  seconds: number;
  mibPerSecond: number;
  peakRssMib: number;
  runs: number;
}

/** The median of numbers. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs one measured build in a child process with the local AWS environment. */
function runWorker(mode: Mode, requestId: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
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
      else resolvePromise(JSON.parse(line) as RunResult);
    });
  });
}

/** Seeds a customer of `sizeMib` MiB of photos, collects and plans a single-volume export; returns the request id. */
async function prepare(sizeMib: number): Promise<string> {
  const customerId = `bench-${sizeMib}m`;
  const photos = Math.max(1, Math.round(sizeMib / photoMib));
  const clients = { s3: s3Client(), doc: documentClient() };
  await seedSyntheticCustomer(clients, { customerId, brand: 'albelli', photos, photoBytes: photoMib * MIB, orders: 5, contacts: 3 });
  const requestId = `bench-export-${sizeMib}m`;
  const record = newRequestRecord({
    requestId, type: 'export', customerId, customerKey: customerKey(customerId), brand: 'albelli', bodyHash: 'bench', receivedAt: new Date('2025-06-01T00:00:00.000Z'),
  });
  await ledgerFromEnv().create({ ...record, status: 'in_progress' });
  const config = { ...exportConfig(), volumeBytes: Number.MAX_SAFE_INTEGER };
  const collected: CollectResult[] = [];
  for (const store of CUSTOMER_STORES) {
    collected.push((await collectStore({ ...clients, config }, { requestId, customerId, store: store.id as never, mode: 'export' })) as CollectResult);
  }
  await planVolumes({ ...clients, config, requestedAt: async () => record.createdAt }, { requestId, brand: 'albelli', collected: collected.map(({ store, items, bytes, stagingKey }) => ({ store: store as never, items, bytes, stagingKey })) });
  return requestId;
}

/** The results as a Markdown table. */
function table(rows: Row[]): string {
  const lines = ['| photos | approach | median time (s) | throughput (MiB/s) | peak RSS (MiB) | runs |', '|---:|---|---:|---:|---:|---:|'];
  const names: Record<Mode, string> = { archive: 'streaming archive (build-volume)', raw: 'raw stream copy (no ZIP)', buffer: 'in-memory ZIP (naive peer)' };
  for (const row of rows) {
    lines.push(`| ${row.sizeMib} MiB | ${names[row.mode]} | ${row.seconds.toFixed(1)} | ${row.mibPerSecond.toFixed(1)} | ${row.peakRssMib.toFixed(0)} | ${row.runs} |`);
  }
  return lines.join('\n');
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}/${process.arch}`;
console.log(`export benchmark: sizes ${sizes.join(', ')} MiB, ${runs} runs each, ${photoMib} MiB photos; ${machine}`);
const aws = await startLocalAws({ dataDir: join(ROOT, '.bench-tmp/export'), reset: true, log: () => undefined });
const rows: Row[] = [];
try {
  const env = { ...process.env, ...aws.env };
  for (const sizeMib of sizes) {
    console.log(`seeding ${sizeMib} MiB ...`);
    const requestId = await prepare(sizeMib);
    const modes: Mode[] = sizeMib <= bufferMaxMib ? ['archive', 'raw', 'buffer'] : ['archive', 'raw'];
    const results = new Map<Mode, RunResult[]>(modes.map((mode) => [mode, []]));
    for (let run = 0; run < runs; run += 1) {
      for (const mode of run % 2 ? [...modes].reverse() : modes) {
        const result = await runWorker(mode, requestId, env);
        results.get(mode)!.push(result);
        console.log(`  ${sizeMib} MiB ${mode} run ${run + 1}: ${result.seconds.toFixed(2)} s, peak RSS ${(result.peakRssBytes / MIB).toFixed(0)} MiB`);
      }
    }
    for (const mode of modes) {
      const measured = results.get(mode)!;
      const seconds = median(measured.map((result) => result.seconds));
      rows.push({ sizeMib, mode, seconds, mibPerSecond: measured[0]!.inputBytes / MIB / seconds, peakRssMib: median(measured.map((result) => result.peakRssBytes)) / MIB, runs: measured.length });
    }
  }
} finally {
  await aws.close();
}

const at = (sizeMib: number, mode: Mode) => rows.find((row) => row.sizeMib === sizeMib && row.mode === mode);
const ratioSize = sizes.includes(1024) ? 1024 : Math.max(...sizes.filter((size) => size <= 1024), Math.min(...sizes));
const ratio = at(ratioSize, 'archive')!.mibPerSecond / at(ratioSize, 'raw')!.mibPerSecond;
const growth = at(Math.max(...sizes), 'archive')!.peakRssMib - at(Math.min(...sizes), 'archive')!.peakRssMib;
const archiveThroughput = median(rows.filter((row) => row.mode === 'archive').map((row) => row.mibPerSecond));
const summary = [
  `- Throughput ratio archive / raw copy at ${ratioSize} MiB: **${ratio.toFixed(2)}** (target ≥ 0.85: ${ratio >= 0.85 ? 'met' : 'NOT met'}).`,
  `- Peak RSS growth of the archive build from ${Math.min(...sizes)} MiB to ${Math.max(...sizes)} MiB: **${growth.toFixed(0)} MiB** (target ≤ 64 MiB: ${growth <= 64 ? 'met' : 'NOT met'}).`,
  `- Median archive throughput: ${archiveThroughput.toFixed(1)} MiB/s, so a 2 GiB volume takes about ${(2048 / archiveThroughput / 60).toFixed(1)} min here.`,
].join('\n');
const report = `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}; embedded local S3 (s3rver on loopback, disk-backed); photos of ${photoMib} MiB; median of ${runs} runs, each in its own process.\n\n${table(rows)}\n\n${summary}\n`;
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
