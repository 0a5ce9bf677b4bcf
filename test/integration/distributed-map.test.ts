import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  SFNClient,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStore, resourceName } from '../../functions/core/data-map';
import { enableLocalIam, LocalIam } from '../../local/iam-enforcement';
import type { PolicyDocument } from '../../local/iam-policies';
import { LambdaRuntime, LOCAL_ACCOUNT_ID } from '../../local/lambda-runtime';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalAws, type LocalAws } from '../../local/runtime';
import { startStepFunctionsServer } from '../../local/stepfunctions-server';

/**
 * The local Step Functions endpoint runs a Distributed Map as AWS does (local/distributed-map.ts): items
 * from an S3 JSON array, batches as child executions of the ItemProcessor with at most MaxConcurrency at
 * once, ToleratedFailurePercentage 0 failing the Map for one failed child (seen by the Map's Retry and
 * Catch), ResultWriter files in the AWS layout, the state machine's role checked for every S3 and
 * Step Functions call, and every field it does not implement refused when the definition loads.
 */

const FIXTURE = resolve(import.meta.dirname, '../fixtures/distributed-map.asl.json');
const MACHINE = 'dsr-distributed-map';
const MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stateMachine:${MACHINE}`;
const BUCKET = resourceName(getStore('exports'));
const FUNCTION = 'test-batch';

/** A manifest item; `fail` fails its batch every time, `fail-once` only the first time. */
interface Item {
  id: string;
  behaviour?: 'fail' | 'fail-once';
}

let local: LocalAws;
let dataDir: string;
let sfn: SFNClient;
let s3: S3Client;
let running = 0;
let maxRunning = 0;
const failedOnce = new Set<string>();

/** The batch task: counts concurrent invocations and fails as its items say. */
async function processBatch(event: unknown): Promise<unknown> {
  const { Items } = event as { Items: Item[] };
  running += 1;
  maxRunning = Math.max(maxRunning, running);
  try {
    await new Promise((wait) => setTimeout(wait, 40));
    for (const item of Items) {
      const fails = item.behaviour === 'fail' || (item.behaviour === 'fail-once' && !failedOnce.has(item.id));
      if (item.behaviour === 'fail-once') failedOnce.add(item.id);
      if (fails) throw Object.assign(new Error(`batch with ${item.id} failed`), { name: 'BatchFailed' });
    }
    return { processed: Items.length };
  } finally {
    running -= 1;
  }
}

/** Writes a manifest of items and runs the fixture on it to its end. */
async function sweep(name: string, items: Item[], maxConcurrency = 2): Promise<{ execution: DescribeExecutionCommandOutput; output: Record<string, any> }> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `manifests/${name}.json`, Body: JSON.stringify(items) }));
  maxRunning = 0;
  const input = { runId: name, functionName: FUNCTION, maxConcurrency, manifest: { bucket: BUCKET, key: `manifests/${name}.json` }, report: { bucket: BUCKET, prefix: `reports/${name}` } };
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArns[MACHINE], name, input: JSON.stringify(input) }));
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return { execution, output: JSON.parse(execution.output ?? '{}') };
    await new Promise((wait) => setTimeout(wait, 20));
  }
}

const items = (count: number, behaviours: Record<number, Item['behaviour']> = {}): Item[] =>
  Array.from({ length: count }, (_, index) => ({ id: `i${index}`, ...(behaviours[index] ? { behaviour: behaviours[index] } : {}) }));

async function history(executionArn: string): Promise<HistoryEvent[]> {
  return (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
}

async function readJson(key: string): Promise<any> {
  return JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString());
}

/** Turns local IAM on with a role for the fixture machine holding the given statements; returns what turns it off. */
async function withRole(statements: Record<string, unknown>[]): Promise<() => void> {
  const policy: PolicyDocument = { Version: '2012-10-17', Statement: statements };
  return enableLocalIam(new LocalIam({ principals: { [`stateMachine:${MACHINE}`]: [policy] }, roles: { [`stateMachine:${MACHINE}`]: 'fixture-role' }, secretArns: {} }), LOCAL_REGION);
}

const GRANTS = {
  invoke: { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*' },
  read: { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/manifests/*` },
  write: { Effect: 'Allow', Action: 's3:PutObject', Resource: `arn:aws:s3:::${BUCKET}/reports/*` },
  start: { Effect: 'Allow', Action: 'states:StartExecution', Resource: MACHINE_ARN },
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-distributed-map-'));
  local = await startLocalAws({ dataDir, iam: false, stateMachineFiles: [FIXTURE], stepFunctions: { retryOverrideMs: 10 }, extraFunctions: { [FUNCTION]: processBatch } });
  sfn = new SFNClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: local.endpoints.stepfunctions });
  s3 = new S3Client({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: local.endpoints.s3, forcePathStyle: true });
}, 120_000);

afterAll(async () => {
  await local?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('local Distributed Map', () => {
  it('runs each batch of MaxItemsPerBatch items as a child execution, at most MaxConcurrency at once, with the Map events in the parent history', async () => {
    const { execution, output } = await sweep('batches', items(10), 2);

    expect(execution.status).toBe('SUCCEEDED');
    expect(maxRunning).toBe(2);
    const { mapRuns } = await sfn.send(new ListMapRunsCommand({ executionArn: execution.executionArn }));
    expect(mapRuns!.map((run) => run.mapRunArn)).toEqual([output.mapRun.MapRunArn]);
    const mapRunId = output.mapRun.MapRunArn.split(':').pop();
    const children = (await sfn.send(new ListExecutionsCommand({ mapRunArn: output.mapRun.MapRunArn }))).executions!;
    expect(children.map((child) => child.name).sort()).toEqual([0, 1, 2, 3].map((n) => `${mapRunId}:${n}`));
    expect(children.every((child) => child.status === 'SUCCEEDED' && child.mapRunArn === output.mapRun.MapRunArn)).toBe(true);
    const first = await sfn.send(new DescribeExecutionCommand({ executionArn: children.find((child) => child.name === `${mapRunId}:0`)!.executionArn }));
    expect(JSON.parse(first.input!)).toEqual({ Items: items(3), BatchInput: { runId: 'batches', functionName: FUNCTION } });
    expect(first.stateMachineArn).toBe(`${MACHINE_ARN}/Sweep-Items`);
    expect((await history(first.executionArn!)).map((event) => event.type)).toEqual([
      'ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'TaskStateExited', 'ExecutionSucceeded',
    ]);
    expect((await history(execution.executionArn!)).map((event) => event.type)).toEqual([
      'ExecutionStarted', 'MapStateEntered', 'MapStateStarted', 'MapRunStarted', 'MapRunSucceeded', 'MapStateSucceeded', 'MapStateExited',
      'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded',
    ]);
    const described = await sfn.send(new DescribeMapRunCommand({ mapRunArn: output.mapRun.MapRunArn }));
    expect(described).toMatchObject({ status: 'SUCCEEDED', maxConcurrency: 2, toleratedFailurePercentage: 0, itemCounts: { total: 10, succeeded: 10 }, executionCounts: { total: 4, succeeded: 4 } });
  });

  it('bounds the children by MaxConcurrency 1', async () => {
    const { execution } = await sweep('one-at-a-time', items(6), 1);

    expect(execution.status).toBe('SUCCEEDED');
    expect(maxRunning).toBe(1);
  });

  it('writes the ResultWriter manifest and result files in the AWS shape and outputs their location', async () => {
    const { output } = await sweep('results', items(4), 4);

    const mapRunId = output.mapRun.MapRunArn.split(':').pop();
    expect(output.mapRun).toEqual({ MapRunArn: expect.stringMatching(/^arn:aws:states:[a-z0-9-]+:\d{12}:mapRun:dsr-distributed-map\/Sweep-Items:/), ResultWriterDetails: { Bucket: BUCKET, Key: `reports/results/${mapRunId}/manifest.json` } });
    const manifest = await readJson(output.mapRun.ResultWriterDetails.Key);
    expect(manifest).toEqual({
      DestinationBucket: BUCKET,
      MapRunArn: output.mapRun.MapRunArn,
      ResultFiles: { FAILED: [], PENDING: [], SUCCEEDED: [{ Key: `reports/results/${mapRunId}/SUCCEEDED_0.json`, Size: expect.any(Number) }] },
    });
    const succeeded = await readJson(manifest.ResultFiles.SUCCEEDED[0].Key);
    expect(succeeded).toHaveLength(2);
    expect(succeeded[0]).toEqual({
      ExecutionArn: expect.stringContaining(`:execution:dsr-distributed-map/Sweep-Items:${mapRunId}:`),
      Input: expect.any(String),
      InputDetails: { Included: true },
      Name: expect.stringMatching(new RegExp(`^${mapRunId}:[01]$`)),
      Output: JSON.stringify({ processed: 3 }),
      OutputDetails: { Included: true },
      RedriveCount: 0,
      RedriveStatus: 'NOT_REDRIVABLE',
      StartDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      StateMachineArn: `${MACHINE_ARN}/Sweep-Items`,
      Status: 'SUCCEEDED',
      StopDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('fails the Map with States.ExceedToleratedFailureThreshold for one failed child: its Retry re-runs it, then its Catch routes', async () => {
    const { execution, output } = await sweep('always-fails', items(9, { 4: 'fail' }), 1);

    expect(execution.status).toBe('SUCCEEDED');
    expect(output.failure).toEqual({ Error: 'States.ExceedToleratedFailureThreshold', Cause: expect.stringContaining('ToleratedFailurePercentage') });
    const events = await history(execution.executionArn!);
    expect(events.filter((event) => event.type === 'MapRunStarted')).toHaveLength(2);
    expect(events.filter((event) => event.type === 'MapRunFailed').map((event) => event.mapRunFailedEventDetails?.error)).toEqual([
      'States.ExceedToleratedFailureThreshold',
      'States.ExceedToleratedFailureThreshold',
    ]);
    expect(events.map((event) => event.stateEnteredEventDetails?.name).filter(Boolean)).toEqual(['Sweep Items', 'Caught']);
    // MaxConcurrency 1: batch 0 succeeded, batch 1 failed, batch 2 never started.
    const [lastRun] = (await sfn.send(new ListMapRunsCommand({ executionArn: execution.executionArn }))).mapRuns!.slice(-1);
    const children = (await sfn.send(new ListExecutionsCommand({ mapRunArn: lastRun!.mapRunArn }))).executions!;
    expect(children.map((child) => child.status).sort()).toEqual(['FAILED', 'SUCCEEDED']);
    const prefix = `reports/always-fails/${lastRun!.mapRunArn!.split(':').pop()}`;
    const failed = await readJson(`${prefix}/FAILED_0.json`);
    expect(failed).toEqual([expect.objectContaining({ Status: 'FAILED', Error: 'BatchFailed', Cause: expect.stringContaining('batch with i4 failed') })]);
    expect(await readJson(`${prefix}/PENDING_0.json`)).toHaveLength(1);
  });

  it('succeeds on the Retry when the failed child succeeds the second time', async () => {
    const { execution, output } = await sweep('fails-once', items(5, { 2: 'fail-once' }), 2);

    expect(execution.status).toBe('SUCCEEDED');
    expect(output.failure).toBeUndefined();
    const { mapRuns } = await sfn.send(new ListMapRunsCommand({ executionArn: execution.executionArn }));
    expect(mapRuns).toHaveLength(2);
    expect(output.mapRun.MapRunArn).toBe(mapRuns![1]!.mapRunArn);
    const events = await history(execution.executionArn!);
    expect(events.filter((event) => event.type?.startsWith('MapRun')).map((event) => event.type)).toEqual(['MapRunStarted', 'MapRunFailed', 'MapRunStarted', 'MapRunSucceeded']);
  });

  it.each([
    { missing: 'read', error: 'States.ItemReaderFailed', action: 's3:GetObject' },
    { missing: 'start', error: 'States.Runtime', action: 'states:StartExecution' },
    { missing: 'write', error: 'States.ResultWriterFailed', action: 's3:PutObject' },
  ] as const)('fails the Map with $error when the role lacks $action', async ({ missing, error, action }) => {
    const disable = await withRole(Object.entries(GRANTS).filter(([grant]) => grant !== missing).map(([, statement]) => statement));
    try {
      const { output } = await sweep(`denied-${missing}`, items(2));

      expect(output.failure).toEqual({ Error: error, Cause: expect.stringContaining(`is not authorized to perform: ${action}`) });
    } finally {
      disable();
    }
  });

  it('runs with every grant the role needs', async () => {
    const disable = await withRole(Object.values(GRANTS));
    try {
      const { output } = await sweep('granted', items(2));

      expect(output.failure).toBeUndefined();
      expect(output.mapRun.ResultWriterDetails.Key).toMatch(/^reports\/granted\/.+\/manifest\.json$/);
    } finally {
      disable();
    }
  });
});

describe('local Distributed Map tolerated failures', () => {
  it.each([
    { failing: 'i0', failed: 3, status: 'FAILED' },
    { failing: 'i3', failed: 1, status: 'SUCCEEDED' },
  ])('with ToleratedFailurePercentage 50, $failed of 4 items failed: the Map Run $status', async ({ failing, status }) => {
    const definition = JSON.parse(await readFile(FIXTURE, 'utf8'));
    const map = definition.States['Sweep Items'];
    delete map.ItemReader;
    delete map.ResultWriter;
    delete map.Retry;
    Object.assign(map, { ItemsPath: '$.items', ToleratedFailurePercentage: 50 });
    const file = join(dataDir, `tolerated-${failing}.asl.json`);
    await writeFile(file, JSON.stringify(definition));
    const lambda = new LambdaRuntime({ region: LOCAL_REGION, functions: [], extraFunctions: { [FUNCTION]: processBatch } });
    const server = await startStepFunctionsServer({ port: 0, region: LOCAL_REGION, dataDir: join(dataDir, `tolerated-${failing}`), stateMachineFiles: [file], lambda, functionArn: (id) => lambda.arnOf(id) });
    try {
      const client = new SFNClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: server.url });
      const input = { runId: failing, functionName: FUNCTION, maxConcurrency: 2, items: items(4).map((item) => (item.id === failing ? { ...item, behaviour: 'fail' } : item)) };

      const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: server.stateMachineArns[`dsr-tolerated-${failing}`], input: JSON.stringify(input) }));
      let execution = await client.send(new DescribeExecutionCommand({ executionArn }));
      while (execution.status === 'RUNNING') {
        await new Promise((wait) => setTimeout(wait, 20));
        execution = await client.send(new DescribeExecutionCommand({ executionArn }));
      }

      const [run] = (await client.send(new ListMapRunsCommand({ executionArn }))).mapRuns!;
      expect((await client.send(new DescribeMapRunCommand({ mapRunArn: run!.mapRunArn }))).status).toBe(status);
    } finally {
      await server.close();
    }
  });
});

describe('local Distributed Map refusals', () => {
  it.each([
    { field: 'ItemReader.ReaderConfig.InputType CSV', change: (map: any) => (map.ItemReader.ReaderConfig.InputType = 'CSV') },
    { field: 'ItemProcessor.ProcessorConfig.ExecutionType EXPRESS', change: (map: any) => (map.ItemProcessor.ProcessorConfig.ExecutionType = 'EXPRESS') },
    { field: 'field ItemSelector', change: (map: any) => (map.ItemSelector = { 'value.$': '$$.Map.Item.Value' }) },
    { field: 'field WriterConfig', change: (map: any) => (map.ResultWriter.WriterConfig = { OutputType: 'JSONL' }) },
    { field: 'ItemReader.Resource arn:aws:states:::s3:listObjectsV2', change: (map: any) => (map.ItemReader.Resource = 'arn:aws:states:::s3:listObjectsV2') },
  ])('refuses to load a definition with $field, naming it', async ({ field, change }) => {
    const definition = JSON.parse(await readFile(FIXTURE, 'utf8'));
    change(definition.States['Sweep Items']);
    const file = join(dataDir, 'refused.asl.json');
    await writeFile(file, JSON.stringify(definition));
    const lambda = new LambdaRuntime({ region: LOCAL_REGION, functions: [] });

    const started = startStepFunctionsServer({ port: 0, region: LOCAL_REGION, dataDir: join(dataDir, 'refused'), stateMachineFiles: [file], lambda, functionArn: (id) => lambda.arnOf(id) });

    await expect(started).rejects.toThrow(`state "Sweep Items" (Map, DISTRIBUTED)`);
    await expect(started).rejects.toThrow(field);
  });
});
