import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, ListMapRunsCommand, StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { MiddlewareStack } from '@smithy/types';
import pLimit from 'p-limit';
import { BRANDS } from '../functions/core/brands';
import { getStore, resourceName } from '../functions/core/data-map';
import { segmentsOf } from '../functions/core/retention/plan';
import { sweptStores } from '../functions/core/retention/rules';
import { dynamoClient, s3Client, sfnClient } from '../functions/shared/clients';
import { startLocalAws } from '../local/runtime';
import { recordingKey, type ContactRecord } from '../local/seed/records';
import { benchLatencyProfile } from './latency-proxy';
import { benchScratchDir, startBenchStorage } from './storage';

/**
 * Retention benchmark (issue 10) on the embedded local AWS: N contacts and M call recordings spread over
 * C customers, 10 % of each past its rule (contacts closed more than 2 years ago, recordings made more
 * than 90 days ago; the other contacts half open, half closed a year ago, the other recordings a month
 * old), swept by the real retention workflow (`dsr-retention`: planner, Distributed Map of sweep tasks
 * on the local endpoint, report) at each MaxConcurrency (`DSR_RETENTION_MAX_CONCURRENCY`). An SDK
 * middleware on the shared clients counts every S3 and DynamoDB call. The theoretical minimum per swept
 * store: the Scan/List pages of one pass over the planner's segments (measured here, uncounted, with the
 * same segments) + ceil(expired/25) BatchWriteItem (tables) or ceil(expired/1000) DeleteObjects
 * (buckets); target ≤ 1.05. Each run is checked against the stores (exactly the expired records gone),
 * then the expired records are seeded again for the next run. S3 sits behind the latency proxy
 * (`BENCH_S3_LATENCY_MS`, 30 ms), DynamoDB behind its own (`BENCH_DYNAMODB_LATENCY_MS`, 10 ms), each
 * store with its proxy in a process of its own (bench/storage.ts); seeding goes around them. Task seconds: the sum of every Lambda task's duration (TaskStarted → end), children
 * and parent, from the execution histories.
 *
 * Settings: `BENCH_RETENTION_CONTACTS` (200000), `BENCH_RETENTION_RECORDINGS` (20000),
 * `BENCH_RETENTION_CUSTOMERS` (20000), `BENCH_RETENTION_CONCURRENCIES` (`1,4,16`),
 * `BENCH_RETENTION_WRITE_DOCS` (`1` writes docs/performance.md; default: only at the default sizes).
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const contacts = Number(process.env.BENCH_RETENTION_CONTACTS || 200_000);
const recordings = Number(process.env.BENCH_RETENTION_RECORDINGS || 20_000);
const customers = Number(process.env.BENCH_RETENTION_CUSTOMERS || 20_000);
const concurrencies = (process.env.BENCH_RETENTION_CONCURRENCIES || '1,4,16').split(',').map(Number);
const defaults = contacts === 200_000 && recordings === 20_000;
const writeDocs = process.env.BENCH_RETENTION_WRITE_DOCS ? process.env.BENCH_RETENTION_WRITE_DOCS === '1' : defaults;
const DAY = 86_400_000;
const now = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
const contactsStore = getStore('contact-history');
const recordingsStore = getStore('call-recordings');

/** A customer id from its number: 12 base64url characters, so customers spread over every key-prefix segment. */
const customerId = (n: number) => createHash('sha256').update(`bench-customer-${n}`).digest('base64url').slice(0, 12);

/** Contact i: every tenth past its rule (closed 2 years and a month ago); of the rest, half open, half closed a year ago. */
function contact(i: number): ContactRecord {
  const expired = i % 10 === 0;
  const open = !expired && i % 2 === 1;
  const closedAt = expired ? now - 760 * DAY : now - 365 * DAY;
  return {
    contactId: `ct-bench-${i}`,
    customerId: customerId(i % customers),
    createdAt: iso(closedAt - 3 * DAY),
    brand: BRANDS[i % BRANDS.length]!,
    channel: 'email',
    subject: 'Question about an order',
    messages: [{ from: 'customer', at: iso(closedAt - 3 * DAY), text: 'Where is my photo book? It was due last week.' }],
    legalClaim: false,
    status: open ? 'open' : 'closed',
    ...(open ? {} : { closedAt: iso(closedAt) }),
  };
}

/** Recording j: every tenth made 120 days ago (past its 90 days), the rest 30 days ago. */
function recording(j: number): { key: string; metadata: Record<string, string> } {
  const recordedAt = j % 10 === 0 ? now - 120 * DAY : now - 30 * DAY;
  return { key: recordingKey(customerId(j % customers), `call-bench-${j}`, iso(recordedAt)), metadata: { 'contact-id': `ct-bench-call-${j}`, 'recorded-at': iso(recordedAt), 'duration-seconds': '60' } };
}

/** Where calls are counted (by `<table or bucket>|<command>`); nothing is counted while undefined. */
let sink: Map<string, number> | undefined;

/** The store whose sweep an expired-records work file serves (`retention/<runId>/expired/<store>/<segment>.json`), or undefined. */
const expiredFileStore = (key: string | undefined) => (key ? /^retention\/[^/]+\/expired\/([^/]+)\//.exec(key)?.[1] : undefined);

/**
 * Adds the call counter to a client's middleware stack (once per logical call, before retries). The
 * planner's expired-records files stand in for a second read of orders and contacts, so their PutObject
 * and GetObject calls count as calls on those tables.
 */
function countCalls(stack: MiddlewareStack<object, object>): void {
  stack.add(
    (next, context) => async (args) => {
      if (sink) {
        const input = args.input as { TableName?: string; Bucket?: string; Key?: string; RequestItems?: Record<string, unknown> };
        const served = expiredFileStore(input.Key);
        const resource = served ? resourceName(getStore(served)) : (input.TableName ?? input.Bucket ?? Object.keys(input.RequestItems ?? {})[0] ?? '-');
        const key = `${resource}|${context.commandName}`;
        sink.set(key, (sink.get(key) ?? 0) + 1);
      }
      return next(args);
    },
    { step: 'initialize', name: 'benchCallCounter' },
  );
}

const dataDir = await benchScratchDir('retention');
// The stores, each behind its latency proxy, in processes of their own; the functions reach them through the proxies.
const storage = await startBenchStorage(join(dataDir, 'stores'));
const aws = await startLocalAws({ dataDir: join(dataDir, 'runtime'), reset: true, backend: storage.backend, log: () => {} });
if (!aws.stateMachineArns['dsr-retention']) {
  console.error('statemachines/retention.asl.json is not there yet: nothing to benchmark');
  await aws.close();
  await storage.close();
  process.exit(2);
}
const { direct } = storage;
const contactsTable = resourceName(contactsStore);
const recordingsBucket = resourceName(recordingsStore);

/** Writes contacts (BatchWriteItem, 25 a time) and recordings, around the proxies. */
async function seed(contactIndexes: number[], recordingIndexes: number[]): Promise<void> {
  const limit = pLimit(8);
  const batches: number[][] = [];
  for (let start = 0; start < contactIndexes.length; start += 25) batches.push(contactIndexes.slice(start, start + 25));
  await Promise.all(
    batches.map((batch) =>
      limit(async () => {
        let requests: Record<string, unknown>[] = batch.map((i) => ({ PutRequest: { Item: contact(i) } }));
        while (requests.length > 0) {
          const result = await direct.doc.send(new BatchWriteCommand({ RequestItems: { [contactsTable]: requests as never } }));
          requests = (result.UnprocessedItems?.[contactsTable] ?? []) as Record<string, unknown>[];
        }
      }),
    ),
  );
  const body = Buffer.alloc(64);
  await Promise.all(
    recordingIndexes.map((j) =>
      limit(async () => {
        const { key, metadata } = recording(j);
        await direct.s3.send(new PutObjectCommand({ Bucket: recordingsBucket, Key: key, Body: body, ContentType: 'audio/wav', Metadata: metadata }));
      }),
    ),
  );
}

/** Items left in the contacts table and objects left in the recordings bucket (uncounted). */
async function remaining(): Promise<{ contacts: number; recordings: number }> {
  let left = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await direct.doc.send(new ScanCommand({ TableName: contactsTable, Select: 'COUNT', ExclusiveStartKey: start }));
    left += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  let objects = 0;
  let token: string | undefined;
  do {
    const page = await direct.s3.send(new ListObjectsV2Command({ Bucket: recordingsBucket, ContinuationToken: token }));
    objects += page.KeyCount ?? 0;
    token = page.NextContinuationToken;
  } while (token);
  return { contacts: left, recordings: objects };
}

/** The Scan/List pages one pass over the planner's segments takes, per store (uncounted, direct). */
async function onePassPages(): Promise<Map<string, number>> {
  const pages = new Map<string, number>();
  const add = (store: string) => pages.set(store, (pages.get(store) ?? 0) + 1);
  // Every swept store, the hold-scan tables included: the planner reads those in the same segments.
  for (const segment of sweptStores().flatMap(({ store }) => segmentsOf(store, Number(aws.env.DSR_RETENTION_SCAN_SEGMENTS ?? 8)))) {
    const store = getStore(segment.store);
    if ('segment' in segment) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await direct.doc.send(new ScanCommand({ TableName: resourceName(store), Segment: segment.segment, TotalSegments: segment.totalSegments, Select: 'COUNT', ExclusiveStartKey: start }));
        add(store.id);
        start = page.LastEvaluatedKey;
      } while (start);
    } else if ('prefix' in segment) {
      let token: string | undefined;
      do {
        const page = await direct.s3.send(new ListObjectsV2Command({ Bucket: resourceName(store), Prefix: segment.prefix, ContinuationToken: token }));
        add(store.id);
        token = page.NextContinuationToken;
      } while (token);
    }
  }
  return pages;
}

/** Seconds of every Lambda task of the execution and of its Map Runs' children (TaskStarted → TaskSucceeded/Failed). */
async function taskSeconds(executionArn: string): Promise<{ seconds: number; children: number }> {
  const histories: HistoryEvent[][] = [];
  const historyOf = async (arn: string) => {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfnClient().send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000, nextToken, includeExecutionData: false }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  };
  histories.push(await historyOf(executionArn));
  let children = 0;
  for (const run of (await sfnClient().send(new ListMapRunsCommand({ executionArn }))).mapRuns ?? []) {
    let nextToken: string | undefined;
    do {
      const page = await sfnClient().send(new ListExecutionsCommand({ mapRunArn: run.mapRunArn, maxResults: 1000, nextToken }));
      for (const child of page.executions ?? []) histories.push(await historyOf(child.executionArn!));
      children += page.executions?.length ?? 0;
      nextToken = page.nextToken;
    } while (nextToken);
  }
  let seconds = 0;
  for (const events of histories) {
    let started: number | undefined;
    for (const event of events) {
      if (event.type === 'TaskStarted') started = event.timestamp!.getTime();
      else if ((event.type === 'TaskSucceeded' || event.type === 'TaskFailed' || event.type === 'TaskTimedOut') && started !== undefined) {
        seconds += (event.timestamp!.getTime() - started) / 1000;
        started = undefined;
      }
    }
  }
  return { seconds, children };
}

/** The failure events of an execution and of its Map Runs' children (type, state, error, cause), for a failed run. */
async function failuresOf(executionArn: string): Promise<string[]> {
  const failures: string[] = [];
  const collect = async (arn: string) => {
    const { events = [] } = await sfnClient().send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000, reverseOrder: true }));
    let state: string | undefined;
    for (const event of [...events].reverse()) {
      state = event.stateEnteredEventDetails?.name ?? state;
      const details = (event.taskFailedEventDetails ?? event.taskTimedOutEventDetails ?? event.mapRunFailedEventDetails ?? event.executionFailedEventDetails) as { error?: string; cause?: string } | undefined;
      if (details) failures.push(`${arn.split(':').slice(-2).join(':')} ${event.type} in ${state}: ${details.error} ${String(details.cause).slice(0, 400)}`);
    }
  };
  await collect(executionArn);
  for (const run of (await sfnClient().send(new ListMapRunsCommand({ executionArn }))).mapRuns ?? []) {
    const { executions = [] } = await sfnClient().send(new ListExecutionsCommand({ mapRunArn: run.mapRunArn, maxResults: 1000 }));
    for (const child of executions.filter((execution) => execution.status !== 'SUCCEEDED')) await collect(child.executionArn!);
  }
  return failures;
}

interface RunResult {
  concurrency: number;
  seconds: number;
  taskSeconds: number;
  children: number;
  calls: Map<string, number>;
  output: unknown;
}

const expiredContacts = Array.from({ length: contacts }, (_, i) => i).filter((i) => i % 10 === 0);
const expiredRecordings = Array.from({ length: recordings }, (_, j) => j).filter((j) => j % 10 === 0);
process.stdout.write(`seeding ${contacts} contacts and ${recordings} recordings over ${customers} customers... `);
let seedStarted = Date.now();
await seed(Array.from({ length: contacts }, (_, i) => i), Array.from({ length: recordings }, (_, j) => j));
console.log(`${((Date.now() - seedStarted) / 1000).toFixed(0)} s`);
const pages = await onePassPages();
const s3Profile = benchLatencyProfile();
const dynamoProfile = { latencyMs: Number(process.env.BENCH_DYNAMODB_LATENCY_MS ?? 10) };
countCalls(dynamoClient().middlewareStack as MiddlewareStack<object, object>);
countCalls(s3Client().middlewareStack as MiddlewareStack<object, object>);
const results: RunResult[] = [];
try {
  for (const [index, concurrency] of concurrencies.entries()) {
    if (index > 0) {
      process.stdout.write(`seeding the ${expiredContacts.length} expired contacts and ${expiredRecordings.length} expired recordings again... `);
      seedStarted = Date.now();
      await seed(expiredContacts, expiredRecordings);
      console.log(`${((Date.now() - seedStarted) / 1000).toFixed(0)} s`);
    }
    process.env.DSR_RETENTION_MAX_CONCURRENCY = String(concurrency);
    process.stdout.write(`sweep at MaxConcurrency ${concurrency}... `);
    const calls = new Map<string, number>();
    sink = calls;
    const started = Date.now();
    const { executionArn = '' } = await sfnClient().send(
      new StartExecutionCommand({ stateMachineArn: aws.stateMachineArns['dsr-retention'], name: `bench-retention-c${concurrency}-${started}`, input: JSON.stringify({ dryRun: false }) }),
    );
    let described = await sfnClient().send(new DescribeExecutionCommand({ executionArn }));
    while (described.status === 'RUNNING') {
      await new Promise((wait) => setTimeout(wait, 200));
      described = await sfnClient().send(new DescribeExecutionCommand({ executionArn }));
    }
    const seconds = (Date.now() - started) / 1000;
    sink = undefined;
    if (described.status !== 'SUCCEEDED') {
      for (const failure of await failuresOf(executionArn)) console.error(failure);
      throw new Error(`retention sweep ended ${described.status}: ${described.error} ${described.cause}`);
    }
    const left = await remaining();
    if (left.contacts !== contacts - expiredContacts.length || left.recordings !== recordings - expiredRecordings.length) {
      throw new Error(`after the sweep ${left.contacts} contacts and ${left.recordings} recordings are left; expected ${contacts - expiredContacts.length} and ${recordings - expiredRecordings.length}`);
    }
    const tasks = await taskSeconds(executionArn);
    results.push({ concurrency, seconds, taskSeconds: tasks.seconds, children: tasks.children, calls, output: described.output ? JSON.parse(described.output) : undefined });
    console.log(`${seconds.toFixed(1)} s, ${tasks.children} child executions, ${tasks.seconds.toFixed(0)} task-seconds`);
  }
} finally {
  await aws.close();
  await storage.close();
  await rm(dataDir, { recursive: true, force: true });
}

/** Calls of a run on one resource (table or bucket), by command. */
const callsOn = (calls: Map<string, number>, resource: string) =>
  [...calls].filter(([key]) => key.split('|')[0] === resource).map(([key, count]) => [key.split('|')[1]!, count] as const);
const writesOf = (storeId: string) => (storeId === 'contact-history' ? Math.ceil(expiredContacts.length / 25) : storeId === 'call-recordings' ? Math.ceil(expiredRecordings.length / 1000) : 0);
const sweptStoreIds = [...pages.keys()];
const minimum = new Map(sweptStoreIds.map((id) => [id, pages.get(id)! + writesOf(id)]));
const totalMinimum = [...minimum.values()].reduce((sum, value) => sum + value, 0);
const last = results.at(-1)!;
const storeCalls = (run: RunResult, id: string) => callsOn(run.calls, resourceName(getStore(id))).reduce((sum, [, count]) => sum + count, 0);
const sweptResources = new Set(sweptStoreIds.map((id) => resourceName(getStore(id))));
const otherCalls = (run: RunResult) => [...run.calls].filter(([key]) => !sweptResources.has(key.split('|')[0]!)).reduce((sum, [, count]) => sum + count, 0);
const table = [
  '| swept store | one-pass pages | expired | S3 + DynamoDB calls (by command) | theoretical minimum |',
  '|---|---:|---:|---|---:|',
  ...sweptStoreIds.map((id) => {
    const expired = id === 'contact-history' ? expiredContacts.length : id === 'call-recordings' ? expiredRecordings.length : 0;
    const byCommand = callsOn(last.calls, resourceName(getStore(id))).map(([command, count]) => `${command.replace(/Command$/, '')} ${count}`).join(', ');
    return `| ${id} | ${pages.get(id)} | ${expired} | ${storeCalls(last, id)} (${byCommand}) | ${minimum.get(id)} |`;
  }),
  `| **swept stores** | | | **${sweptStoreIds.reduce((sum, id) => sum + storeCalls(last, id), 0)}** | **${totalMinimum}** |`,
].join('\n');
const ratio = (run: RunResult) => sweptStoreIds.reduce((sum, id) => sum + storeCalls(run, id), 0) / totalMinimum;
const wallTable = [
  '| MaxConcurrency | wall time | child executions | Lambda task-seconds | call ratio | other calls (run file, manifest, results, report, ledger, ...) |',
  '|---:|---:|---:|---:|---:|---:|',
  ...results.map((run) => `| ${run.concurrency} | ${run.seconds.toFixed(1)} s | ${run.children} | ${run.taskSeconds.toFixed(0)} | ${ratio(run).toFixed(3)} | ${otherCalls(run)} |`),
].join('\n');
const summary = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}: ` +
    `${contacts} contacts and ${recordings} call recordings over ${customers} customers, 10 % past their rule; S3 behind the latency proxy at ${s3Profile.latencyMs} ms per request, DynamoDB at ${dynamoProfile.latencyMs} ms. Calls per store: the run at MaxConcurrency ${last.concurrency}.`,
  '',
  table,
  '',
  wallTable,
  '',
  `- Call ratio to the theoretical minimum: **${ratio(last).toFixed(3)}** (target ≤ 1.05: ${ratio(last) <= 1.05 ? 'met' : 'NOT met'}).`,
  `- Every run removed exactly the expired contacts and recordings and left the rest (checked against the stores).`,
].join('\n');
console.log(`\n${summary}`);
for (const run of results) console.log(`report at ${run.concurrency}: ${JSON.stringify(run.output)}`);
if (writeDocs) {
  const file = join(ROOT, 'docs/performance.md');
  const text = await readFile(file, 'utf8');
  const start = '<!-- retention-bench:start -->';
  const end = '<!-- retention-bench:end -->';
  if (text.includes(start) && text.includes(end)) {
    await writeFile(file, `${text.slice(0, text.indexOf(start) + start.length)}\n${summary}\n${text.slice(text.indexOf(end))}`);
    console.log(`results written to ${file}`);
  }
}
process.exit(ratio(last) <= 1.05 ? 0 : 1);
