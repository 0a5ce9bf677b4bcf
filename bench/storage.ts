import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Backend } from '../local/backend';
import { LOCAL_CREDENTIALS } from '../local/runtime';

/**
 * The benchmarks' stores in processes of their own (`bench/storage-process.ts`): the embedded S3 and
 * the embedded DynamoDB, each behind its latency proxy, each in its own process. In AWS, S3 and
 * DynamoDB do their work on other machines, not on the Lambda's CPU; here, in the functions' process,
 * the emulators took the CPU the functions were measured by (one event loop for all). The local
 * runtime reaches them as an AWS-compatible backend (`local/backend.ts`) through the proxies; seeding
 * goes direct.
 */

/** The store a storage process holds. */
export type StorageService = 's3' | 'dynamodb';

/** A request to a storage process. */
export type StorageRequest = { id: number; type: 'counts' | 'cpu' | 'close' };

/** A reply of a storage process (id 0: ready, with its endpoints). */
export interface StorageReply {
  id: number;
  endpoints?: { direct: string; proxied: string };
  byBucket?: [string, number][];
  cpuSeconds?: number;
}

/** The running storage processes. */
export interface BenchStorage {
  /** Clients of the emulators themselves (seeding, checks: no latency, not counted). */
  direct: { s3: S3Client; doc: DynamoDBDocumentClient };
  /** The backend the local runtime is given: the stores through the latency proxies. */
  backend: Backend;
  /** Requests the S3 proxy forwarded so far, per bucket. */
  s3ByBucket(): Promise<Map<string, number>>;
  /** CPU seconds each storage process has used so far. */
  cpuSeconds(): Promise<Record<StorageService, number>>;
  /** CPU seconds each storage process has used since `before` (an earlier `cpuSeconds()`). */
  cpuSecondsSince(before: Record<StorageService, number>): Promise<Record<StorageService, number>>;
  close(): Promise<void>;
}

const STORAGE_PROCESS = join(dirname(fileURLToPath(import.meta.url)), 'storage-process.ts');

/** One storage process and how to ask it something. */
interface StorageChild {
  endpoints: { direct: string; proxied: string };
  ask(type: StorageRequest['type']): Promise<StorageReply>;
  child: ChildProcess;
}

async function startChild(dataDir: string, service: StorageService): Promise<StorageChild> {
  const child = fork(STORAGE_PROCESS, [dataDir, service], { execArgv: ['--import', 'tsx'], env: process.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, (reply: StorageReply) => void>();
  let nextId = 1;
  const exited = new Promise<never>((_resolve, reject) => child.once('exit', (code) => reject(new Error(`the benchmark's ${service} process exited with ${code}`))));
  exited.catch(() => undefined);
  child.on('message', (reply: StorageReply) => {
    waiting.get(reply.id)?.(reply);
    waiting.delete(reply.id);
  });
  const ready = await Promise.race([new Promise<StorageReply>((resolve) => waiting.set(0, resolve)), exited]);
  const ask = (type: StorageRequest['type']): Promise<StorageReply> => {
    const id = nextId++;
    const answered = new Promise<StorageReply>((resolve) => waiting.set(id, resolve));
    child.send({ id, type } satisfies StorageRequest);
    return Promise.race([answered, exited]);
  };
  return { endpoints: ready.endpoints!, ask, child };
}

/**
 * A fresh folder for a benchmark's stores and local runtime: in memory (`/dev/shm`, tmpfs) where the
 * machine has it, as S3's and DynamoDB's disks are not the Lambda's. On this machine's overlay disk the
 * emulators' file operations per object (s3rver: a stat, three unlinks and an `rmdir` per deleted
 * object) cost more system CPU than the code measured. `BENCH_DATA_DIR` chooses another place.
 */
export function benchScratchDir(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const root = env.BENCH_DATA_DIR || (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
  return mkdtemp(join(root, `dsr-bench-${name}-`));
}

/** Starts the storage processes over `dataDir` (its `dynamodb/` and `s3/` folders). */
export async function startBenchStorage(dataDir: string): Promise<BenchStorage> {
  const [s3, dynamodb] = await Promise.all([startChild(dataDir, 's3'), startChild(dataDir, 'dynamodb')]);
  const children = [s3, dynamodb];
  const cpuSeconds = async (): Promise<Record<StorageService, number>> => {
    const [s3Cpu, dynamodbCpu] = await Promise.all(children.map((child) => child.ask('cpu')));
    return { s3: s3Cpu!.cpuSeconds!, dynamodb: dynamodbCpu!.cpuSeconds! };
  };
  return {
    direct: {
      s3: new S3Client({ endpoint: s3.endpoints.direct, forcePathStyle: true }),
      doc: DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamodb.endpoints.direct }), { marshallOptions: { removeUndefinedValues: true } }),
    },
    backend: { s3: s3.endpoints.proxied, dynamodb: dynamodb.endpoints.proxied, secretsManagerRequired: false, credentials: { ...LOCAL_CREDENTIALS } },
    s3ByBucket: async () => new Map((await s3.ask('counts')).byBucket),
    cpuSeconds,
    cpuSecondsSince: async (before) => {
      const now = await cpuSeconds();
      return { s3: now.s3 - before.s3, dynamodb: now.dynamodb - before.dynamodb };
    },
    close: async () => {
      await Promise.all(
        children.map(async ({ ask, child }) => {
          await ask('close');
          await new Promise<void>((resolve) => (child.exitCode === null ? child.once('exit', () => resolve()) : resolve()));
        }),
      );
    },
  };
}
