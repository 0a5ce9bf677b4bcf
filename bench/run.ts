import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm run bench`: runs every `bench/*.bench.ts` one after another, each in its own Node process (so
 * one benchmark's memory never skews another's). `npm run bench -- export` runs only the benchmarks
 * whose name contains one of the arguments. Benchmarks read their sizes from `BENCH_*` variables.
 */

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

/** Runs one benchmark file with the same Node binary (TypeScript through tsx); resolves its exit code. */
function runBenchmark(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit', env: process.env });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

const filters = process.argv.slice(2);
const files = (await readdir(BENCH_DIR))
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(', ') || '*.bench.ts'}`);
  process.exit(1);
}
let failed = 0;
for (const name of files) {
  console.log(`\n=== ${name} ===`);
  const code = await runBenchmark(join(BENCH_DIR, name));
  if (code !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
