import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ListObjectsV2Command, PutObjectCommand, S3Client, GetObjectCommand } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomerNotFound, StoreUnavailable } from '../../functions/core/errors';
import { getStore, resourceName } from '../../functions/core/data-map';
import { documentClient } from '../../functions/shared/clients';
import { readEventLog, startEventBridgeServer } from '../../local/eventbridge-server';
import { LambdaRuntime } from '../../local/lambda-runtime';
import { startLocalAws, type LocalAws } from '../../local/runtime';
import { RUNTIME_STOPPED_CAUSE } from '../../local/stepfunctions-server';

const FIXTURE = resolve(import.meta.dirname, '../fixtures/local-runtime.asl.json');
const MACHINE = 'dsr-local-runtime';

/** Gates that hold a `block` invocation until the test releases it, by execution name. */
const gates = new Map<string, () => void>();
const attempts = new Map<string, number>();

/** The in-process function the fixture calls; its behaviour is chosen by `mode`. */
async function fixtureFunction(event: { mode: string; executionId: string; executionName: string; stateMachineName: string }, context: Context): Promise<unknown> {
  switch (event.mode) {
    case 'context':
      return {
        executionId: event.executionId,
        stateMachineName: event.stateMachineName,
        functionName: context.functionName,
        functionVersion: context.functionVersion,
        invokedFunctionArn: context.invokedFunctionArn,
        memoryLimitInMB: context.memoryLimitInMB,
        logGroupName: context.logGroupName,
        requestIdLength: context.awsRequestId.length,
        remainingMs: context.getRemainingTimeInMillis(),
      };
    case 'flaky': {
      const count = (attempts.get(event.executionName) ?? 0) + 1;
      attempts.set(event.executionName, count);
      if (count < 3) throw new StoreUnavailable(`store unavailable, attempt ${count}`);
      return { attempts: count };
    }
    case 'not-found':
      throw new CustomerNotFound('customer unknown for brand');
    case 'crash':
      throw new TypeError('unexpected shape');
    case 'read': {
      const { Item } = await documentClient().send(
        new GetCommand({ TableName: resourceName(getStore('customer-profile')), Key: { customerId: 'cust-0001' } }),
      );
      return { found: Item?.customerId ?? null };
    }
    case 'block':
      await new Promise<void>((release) => gates.set(event.executionName, release));
      return { released: true };
    default:
      throw new Error(`unknown mode ${event.mode}`);
  }
}

function clientConfig(aws: LocalAws) {
  return { region: aws.region, credentials: aws.credentials };
}

async function settled(sfn: SFNClient, executionArn: string): Promise<DescribeExecutionCommandOutput> {
  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return described;
    await new Promise((wait) => setTimeout(wait, 20));
  }
}

async function released(name: string): Promise<void> {
  while (!gates.has(name)) await new Promise((wait) => setTimeout(wait, 10));
  gates.get(name)!();
}

describe('embedded local AWS', () => {
  let dataDir: string;
  let aws: LocalAws;
  let sfn: SFNClient;
  let machineArn: string;

  const boot = async () => {
    aws = await startLocalAws({
      dataDir,
      stateMachineFiles: [FIXTURE],
      stepFunctions: { waitOverrideMs: 10, retryOverrideMs: 10 },
      extraFunctions: {
        'test-fixture': { handler: fixtureFunction as never, timeoutSeconds: 30, memoryMb: 256 },
        'test-hang': { handler: () => new Promise(() => undefined), timeoutSeconds: 1 },
      },
      log: () => undefined,
    });
    sfn = new SFNClient({ ...clientConfig(aws), endpoint: aws.endpoints.stepfunctions });
    machineArn = aws.stateMachineArns[MACHINE]!;
  };

  const start = async (name: string, input: Record<string, unknown>) =>
    sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn, name, input: JSON.stringify(input) }));

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dsr-local-'));
    await boot();
  });

  afterAll(async () => {
    sfn?.destroy();
    await aws?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('provisions every store and serves DynamoDB and S3 through the real SDK clients', async () => {
    // Arrange
    const dynamo = new DynamoDBClient({ ...clientConfig(aws), endpoint: aws.endpoints.dynamodb });
    const doc = DynamoDBDocumentClient.from(dynamo);
    const s3 = new S3Client({ ...clientConfig(aws), endpoint: aws.endpoints.s3, forcePathStyle: true });
    const bucket = resourceName(getStore('uploaded-photos'));
    const keys = Array.from({ length: 25 }, (_, index) => `albelli/cust-0001/photo-${String(index).padStart(2, '0')}.jpg`);

    // Act
    await doc.send(new PutCommand({ TableName: 'dsr-customer-profile', Item: { customerId: 'cust-0001', brand: 'albelli', email: 'a@example.com' } }));
    await doc.send(new PutCommand({ TableName: 'dsr-contact-history', Item: { contactId: 'ct-1', customerId: 'cust-0001', createdAt: '2024-01-01T00:00:00Z' } }));
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `bytes of ${key}` }));
    const profile = await doc.send(new GetCommand({ TableName: 'dsr-customer-profile', Key: { customerId: 'cust-0001' } }));
    const contacts = await doc.send(
      new QueryCommand({ TableName: 'dsr-contact-history', IndexName: 'byCustomer', KeyConditionExpression: 'customerId = :c', ExpressionAttributeValues: { ':c': 'cust-0001' } }),
    );
    const listed: string[] = [];
    let pages = 0;
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'albelli/cust-0001/', MaxKeys: 10, ContinuationToken: token }));
      listed.push(...(page.Contents ?? []).map((object) => object.Key!));
      token = page.NextContinuationToken;
      pages++;
    } while (token);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: keys[0] }));

    // Assert
    expect(profile.Item).toEqual({ customerId: 'cust-0001', brand: 'albelli', email: 'a@example.com' });
    expect(contacts.Items?.map((item) => item.contactId)).toEqual(['ct-1']);
    expect(pages).toBe(3);
    expect(listed).toEqual(keys);
    expect(await object.Body?.transformToString()).toBe(`bytes of ${keys[0]}`);
    dynamo.destroy();
    s3.destroy();
  });

  it('sets the function environment: endpoints, credentials, secrets and per-store function maps', () => {
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(aws.endpoints.dynamodb);
    expect(process.env.AWS_ENDPOINT_URL_S3).toBe(aws.endpoints.s3);
    expect(process.env.AWS_ENDPOINT_URL_SFN).toBe(aws.endpoints.stepfunctions);
    expect(process.env.AWS_ENDPOINT_URL_EVENTBRIDGE).toBe(aws.endpoints.eventbridge);
    expect(process.env.AWS_REGION).toBe('eu-west-1');
    expect(process.env.DSR_S3_FORCE_PATH_STYLE).toBe('true');
    expect(process.env.DSR_HASH_KEY).toBe(aws.secrets.hashKey);
    expect(process.env.DSR_HASH_KEY!.length).toBeGreaterThanOrEqual(32);
    expect(process.env.DSR_EVENT_BUS_NAME).toBe('dsr-local');
    expect(JSON.parse(process.env.DSR_COLLECT_FUNCTIONS!)).toEqual(expect.any(Object));
    expect(process.env.DSR_TABLE_CUSTOMER_PROFILE).toBe('dsr-customer-profile');
  });

  it('lists and describes the state machines built from the ASL files', async () => {
    const { stateMachines } = await sfn.send(new ListStateMachinesCommand({}));
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: machineArn }));

    expect(stateMachines?.map((machine) => machine.name)).toEqual([MACHINE]);
    expect(machineArn).toBe(`arn:aws:states:eu-west-1:000000000000:stateMachine:${MACHINE}`);
    expect(described.status).toBe('ACTIVE');
    expect(JSON.parse(described.definition!).StartAt).toBe('Call Function');
  });

  it('runs a lambda:invoke task with a faithful context and the lambda:invoke result shape', async () => {
    const { executionArn } = await start('ctx-1', { functionName: 'test-fixture', mode: 'context' });

    const described = await settled(sfn, executionArn!);

    expect(executionArn).toBe(`arn:aws:states:eu-west-1:000000000000:execution:${MACHINE}:ctx-1`);
    expect(described.status).toBe('SUCCEEDED');
    const output = JSON.parse(described.output!);
    expect(output.result.statusCode).toBe(200);
    expect(output.result.value).toMatchObject({
      executionId: executionArn,
      stateMachineName: MACHINE,
      functionName: 'test-fixture',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:test-fixture',
      memoryLimitInMB: '256',
      logGroupName: '/aws/lambda/test-fixture',
      requestIdLength: 36,
    });
    expect(output.result.value.remainingMs).toBeGreaterThan(0);
    expect(output.result.value.remainingMs).toBeLessThanOrEqual(30_000);
  });

  it('gives in-process functions the local endpoints through standard SDK configuration', async () => {
    const { executionArn } = await start('read-1', { functionName: 'test-fixture', mode: 'read' });

    const described = await settled(sfn, executionArn!);

    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output!).result.value).toEqual({ found: 'cust-0001' });
  });

  it('retries a named error and records the history in the AWS shapes', async () => {
    const { executionArn } = await start('flaky-1', { functionName: 'test-fixture', mode: 'flaky' });

    const described = await settled(sfn, executionArn!);
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));

    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output!).result.value).toEqual({ attempts: 3 });
    expect(history.events?.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    const events = history.events!;
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    expect(events[0]!.timestamp).toBeInstanceOf(Date);
    expect(events[2]!.taskScheduledEventDetails).toMatchObject({ resourceType: 'lambda', resource: 'invoke' });
    expect(JSON.parse(events[2]!.taskScheduledEventDetails!.parameters!).FunctionName).toBe('test-fixture');
    expect(events[4]!.taskFailedEventDetails?.error).toBe('StoreUnavailable');
    expect(JSON.parse(events[4]!.taskFailedEventDetails!.cause!)).toMatchObject({ errorType: 'StoreUnavailable', errorMessage: 'store unavailable, attempt 1' });
    expect(JSON.parse(events[10]!.taskSucceededEventDetails!.output!)).toMatchObject({ ExecutedVersion: '$LATEST', StatusCode: 200, Payload: { attempts: 3 } });
  });

  it('pages and reverses the history', async () => {
    const { executionArn } = await start('page-1', { functionName: 'test-fixture', mode: 'context' });
    await settled(sfn, executionArn!);

    const first = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 3 }));
    const second = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 3, nextToken: first.nextToken }));
    const reversed = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }));

    expect(first.events?.map((event) => event.id)).toEqual([1, 2, 3]);
    expect(second.events?.map((event) => event.id)).toEqual([4, 5, 6]);
    expect(reversed.events?.[0]?.type).toBe('ExecutionSucceeded');
  });

  it('routes a caught named error to the Catch with the Lambda error JSON as Cause', async () => {
    const { executionArn } = await start('caught-1', { functionName: 'test-fixture', mode: 'not-found' });

    const described = await settled(sfn, executionArn!);

    expect(described.status).toBe('SUCCEEDED');
    const output = JSON.parse(described.output!);
    expect(output.error).toBe('CustomerNotFound');
    expect(JSON.parse(output.cause)).toMatchObject({ errorType: 'CustomerNotFound', errorMessage: 'customer unknown for brand', trace: expect.any(Array) });
  });

  it('fails the execution on an uncaught error, a Lambda timeout and an unknown function', async () => {
    const crash = await start('crash-1', { functionName: 'test-fixture', mode: 'crash' });
    const hang = await start('hang-1', { functionName: 'test-hang', mode: 'hang' });
    const missing = await start('missing-1', { functionName: 'no-such-function', mode: 'x' });

    const crashed = await settled(sfn, crash.executionArn!);
    const timedOut = await settled(sfn, hang.executionArn!);
    const notFound = await settled(sfn, missing.executionArn!);

    expect(crashed).toMatchObject({ status: 'FAILED', error: 'TypeError' });
    expect(JSON.parse(crashed.cause!).errorMessage).toBe('unexpected shape');
    expect(timedOut).toMatchObject({ status: 'FAILED', error: 'Sandbox.Timedout' });
    expect(notFound).toMatchObject({ status: 'FAILED', error: 'Lambda.ResourceNotFoundException' });
  });

  it('keeps execution names unique: same name and input while running returns the first, otherwise ExecutionAlreadyExists', async () => {
    const input = { functionName: 'test-fixture', mode: 'block' };
    const first = await start('dup-1', input);

    const again = await start('dup-1', input);
    const otherInput = start('dup-1', { ...input, extra: true });
    await expect(otherInput).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await released('dup-1');
    await settled(sfn, first.executionArn!);
    const afterClose = start('dup-1', input);

    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate?.getTime()).toBe(first.startDate?.getTime());
    await expect(afterClose).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('rejects invalid names and unknown machines or executions with the AWS error types', async () => {
    await expect(start('has space', {})).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(start('x'.repeat(81), {})).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:dsr-nope', name: 'n' })),
    ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(
      sfn.send(new DescribeExecutionCommand({ executionArn: `arn:aws:states:eu-west-1:000000000000:execution:${MACHINE}:nope` })),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });

  it('stops a running execution: ABORTED with the error and cause given', async () => {
    const { executionArn } = await start('stop-1', { functionName: 'test-fixture', mode: 'block' });
    while (!gates.has('stop-1')) await new Promise((wait) => setTimeout(wait, 10));

    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Ops.Cancelled', cause: 'requested by ops' }));
    await released('stop-1');
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }));

    expect(described).toMatchObject({ status: 'ABORTED', error: 'Ops.Cancelled', cause: 'requested by ops' });
    expect(described.stopDate).toBeInstanceOf(Date);
    expect(history.events?.[0]).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'Ops.Cancelled', cause: 'requested by ops' } });
  });

  it('lists executions newest first, filtered by status and paged', async () => {
    const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn }));
    const failed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn, statusFilter: 'FAILED' }));
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn, maxResults: 2 }));
    const next = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn, maxResults: 2, nextToken: page.nextToken }));

    const starts = all.executions!.map((execution) => execution.startDate!.getTime());
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
    expect(failed.executions?.map((execution) => execution.name).sort()).toEqual(['crash-1', 'hang-1', 'missing-1']);
    expect(page.executions).toHaveLength(2);
    expect(next.executions?.[0]?.executionArn).toBe(all.executions![2]!.executionArn);
  });

  it('appends PutEvents entries to the event log', async () => {
    const events = new EventBridgeClient({ ...clientConfig(aws), endpoint: aws.endpoints.eventbridge });

    const result = await events.send(
      new PutEventsCommand({ Entries: [{ EventBusName: 'dsr-local', Source: 'dsr.pipeline', DetailType: 'Export Ready', Detail: JSON.stringify({ requestId: 'r-1' }) }] }),
    );
    const log = await readEventLog(aws.dataDir);

    expect(result.FailedEntryCount).toBe(0);
    expect(log.at(-1)).toMatchObject({ id: result.Entries![0]!.EventId, eventBusName: 'dsr-local', source: 'dsr.pipeline', detailType: 'Export Ready', detail: { requestId: 'r-1' } });
    events.destroy();
  });

  it('keeps data, secrets and executions across a restart, and aborts executions left running', async () => {
    const secrets = aws.secrets;
    const { executionArn: runningArn } = await start('left-running', { functionName: 'test-fixture', mode: 'block' });
    while (!gates.has('left-running')) await new Promise((wait) => setTimeout(wait, 10));
    sfn.destroy();
    await aws.close();
    gates.get('left-running')!();

    await boot();
    const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ ...clientConfig(aws), endpoint: aws.endpoints.dynamodb }));
    const profile = await dynamo.send(new GetCommand({ TableName: 'dsr-customer-profile', Key: { customerId: 'cust-0001' } }));
    const earlier = await sfn.send(new DescribeExecutionCommand({ executionArn: `arn:aws:states:eu-west-1:000000000000:execution:${MACHINE}:flaky-1` }));
    const leftRunning = await sfn.send(new DescribeExecutionCommand({ executionArn: runningArn }));

    expect(aws.secrets).toEqual(secrets);
    expect(profile.Item?.email).toBe('a@example.com');
    expect(earlier.status).toBe('SUCCEEDED');
    expect(leftRunning).toMatchObject({ status: 'ABORTED', cause: RUNTIME_STOPPED_CAUSE });
    dynamo.destroy();
  });

  it('shuts every server and connection down on close', async () => {
    const before = process.getActiveResourcesInfo().filter((type) => type.startsWith('TCP'));

    sfn.destroy();
    await aws.close();
    const after = process.getActiveResourcesInfo().filter((type) => type.startsWith('TCP'));

    expect(before.length).toBeGreaterThan(0);
    expect(after).toEqual([]);
  });
});

describe('local EventBridge delivery', () => {
  it('delivers a matching event to the catalog function with that trigger, in the EventBridge shape', async () => {
    // Arrange
    const dataDir = await mkdtemp(join(tmpdir(), 'dsr-events-'));
    const received: unknown[] = [];
    const lambda = new LambdaRuntime({ region: 'eu-west-1', functions: [], extraFunctions: { 'dsr-on-export-ready': async (event) => void received.push(event) } });
    const server = await startEventBridgeServer({
      port: 0,
      region: 'eu-west-1',
      dataDir,
      lambda,
      functions: [
        { id: 'on-export-ready', entry: 'unused.ts', description: 'test', timeoutSeconds: 5, memoryMb: 128, stores: [], triggers: [{ kind: 'event', source: 'dsr.pipeline', detailType: 'Export Ready' }] },
      ],
    });
    const client = new EventBridgeClient({ region: 'eu-west-1', endpoint: server.url, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

    // Act
    await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'dsr.pipeline', DetailType: 'Export Ready', Detail: '{"requestId":"r-2"}' },
          { Source: 'dsr.pipeline', DetailType: 'Something Else', Detail: '{}' },
        ],
      }),
    );
    await server.idle();
    client.destroy();
    await server.close();

    // Assert
    expect(received).toEqual([
      expect.objectContaining({ version: '0', source: 'dsr.pipeline', 'detail-type': 'Export Ready', account: '000000000000', region: 'eu-west-1', detail: { requestId: 'r-2' } }),
    ]);
    expect((await readEventLog(dataDir)).map((event) => event.detailType)).toEqual(['Export Ready', 'Something Else']);
    await rm(dataDir, { recursive: true, force: true });
  });
});

describe('local Lambda runtime', () => {
  it('reports an unknown function as Lambda.ResourceNotFoundException and deep-copies events', async () => {
    const original = { nested: { value: 1 } };
    const lambda = new LambdaRuntime({
      region: 'eu-west-1',
      functions: [],
      extraFunctions: {
        mutator: async (event) => {
          (event as typeof original).nested.value = 2;
          return event;
        },
      },
    });

    const result = await lambda.invoke('arn:aws:lambda:eu-west-1:000000000000:function:mutator', original);

    expect(original.nested.value).toBe(1);
    expect(result).toMatchObject({ ExecutedVersion: '$LATEST', StatusCode: 200, Payload: { nested: { value: 2 } }, SdkHttpMetadata: { HttpStatusCode: 200 } });
    expect(result.SdkResponseMetadata.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    await expect(lambda.invoke('missing', {})).rejects.toMatchObject({ name: 'Lambda.ResourceNotFoundException' });
  });
});
