import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../local/backend';
import { LOCAL_CREDENTIALS } from '../local/runtime';

/**
 * The benchmarks' stores in a process of their own (`bench/storage-process.ts`): the embedded
 * DynamoDB and S3, each behind its latency proxy. In AWS, S3 and DynamoDB do their work on other
 * machines, not on the Lambda's CPU; here, on two cores, the emulators in the same process as the
 * functions took the CPU the functions measured (one event loop for both). The local runtime reaches
 * them as an AWS-compatible backend (`local/backend.ts`) through the proxies; seeding goes direct.
 */

/** A request to the storage process. */
export type StorageRequest = { id: number; type: 'counts' | 'cpu' | 'close' };

/** A reply of the storage process (id 0: ready, with its endpoints). */
export interface StorageReply {
  id: number;
  endpoints?: { s3: string; dynamodb: string; s3Proxy: string; dynamodbProxy: string };
  s3ByBucket?: [string, number][];
  cpuSeconds?: number;
}

/** The running storage process. */
export interface BenchStorage {
  /** The emulators themselves (seeding, checks: no latency). */
  direct: { s3: string; dynamodb: string };
  /** The backend the local runtime is given: the stores through the latency proxies. */
  backend: Backend;
  /** Requests the S3 proxy forwarded so far, per bucket. */
  s3ByBucket(): Promise<Map<string, number>>;
  /** CPU seconds the storage process has used so far. */
  cpuSeconds(): Promise<number>;
  close(): Promise<void>;
}

const STORAGE_PROCESS = join(dirname(fileURLToPath(import.meta.url)), 'storage-process.ts');

/** Starts the storage process over `dataDir` (its `dynamodb/` and `s3/` folders). */
export async function startBenchStorage(dataDir: string): Promise<BenchStorage> {
  const child = fork(STORAGE_PROCESS, [dataDir], { execArgv: ['--import', 'tsx'], env: process.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, (reply: StorageReply) => void>();
  let nextId = 1;
  const exited = new Promise<never>((_resolve, reject) => child.once('exit', (code) => reject(new Error(`the benchmark storage process exited with ${code}`))));
  exited.catch(() => undefined);
  child.on('message', (reply: StorageReply) => {
    waiting.get(reply.id)?.(reply);
    waiting.delete(reply.id);
  });
  const ask = (type: StorageRequest['type']): Promise<StorageReply> => {
    const id = nextId++;
    const answered = new Promise<StorageReply>((resolve) => waiting.set(id, resolve));
    child.send({ id, type } satisfies StorageRequest);
    return Promise.race([answered, exited]);
  };
  const ready = await Promise.race([new Promise<StorageReply>((resolve) => waiting.set(0, resolve)), exited]);
  const { s3, dynamodb, s3Proxy, dynamodbProxy } = ready.endpoints!;
  return {
    direct: { s3, dynamodb },
    backend: { s3: s3Proxy, dynamodb: dynamodbProxy, secretsManagerRequired: false, credentials: { ...LOCAL_CREDENTIALS } },
    s3ByBucket: async () => new Map((await ask('counts')).s3ByBucket),
    cpuSeconds: async () => (await ask('cpu')).cpuSeconds!,
    close: async () => {
      await ask('close');
      await new Promise<void>((resolve) => (child.exitCode === null ? child.once('exit', () => resolve()) : resolve()));
    },
  };
}
