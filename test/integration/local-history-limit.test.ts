import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, type DescribeExecutionCommandOutput, type HistoryEvent } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaRuntime } from '../../local/lambda-runtime';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/runtime';
import { MAX_HISTORY_EVENTS, startStepFunctionsServer, type StepFunctionsServer } from '../../local/stepfunctions-server';

/**
 * The local Step Functions endpoint enforces the execution history quota as AWS does: at one event short
 * of it, the next event ends the execution; unless that is ExecutionSucceeded, it is ExecutionFailed
 * (States.Runtime) and nothing else is recorded or run, Catch included.
 */

const FIXTURE = resolve(import.meta.dirname, '../fixtures/history-limit.asl.json');
/** A Choice, then one Lambda task (`Call Function`): 4 events before the task is scheduled. */
const TASK_FIXTURE = resolve(import.meta.dirname, '../fixtures/data-limit.asl.json');
/** History events of the fixture for n items: the execution's 2, the Map's 4, and 4 per item. */
const eventsFor = (items: number): number => 4 * items + 6;
/** A small quota the 3-item run meets exactly. */
const SMALL_LIMIT = eventsFor(3);

let dataDir: string;
const servers: StepFunctionsServer[] = [];
/** Invocations of the task fixture's function. */
let invocations = 0;

/** A local endpoint with the given quota (undefined: the default) and a client for it. */
async function endpoint(maxHistoryEvents: number | undefined): Promise<{ server: StepFunctionsServer; sfn: SFNClient }> {
  const lambda = new LambdaRuntime({
    region: LOCAL_REGION,
    functions: [],
    extraFunctions: { 'test-size': async () => ({ bytes: ++invocations }) },
  });
  const server = await startStepFunctionsServer({
    port: 0,
    region: LOCAL_REGION,
    dataDir: join(dataDir, String(maxHistoryEvents ?? 'default')),
    stateMachineFiles: [FIXTURE, TASK_FIXTURE],
    lambda,
    functionArn: (id) => lambda.arnOf(id),
    maxHistoryEvents,
  });
  servers.push(server);
  return { server, sfn: new SFNClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: server.url }) };
}

/** Runs a state machine of the endpoint to its end. */
async function run(target: { server: StepFunctionsServer; sfn: SFNClient }, machine: string, name: string, input: unknown): Promise<DescribeExecutionCommandOutput> {
  const { executionArn } = await target.sfn.send(new StartExecutionCommand({ stateMachineArn: target.server.stateMachineArns[machine], name, input: JSON.stringify(input) }));
  for (;;) {
    const described = await target.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return described;
    await new Promise((wait) => setTimeout(wait, 20));
  }
}

/** The Map fixture's input with n items. */
const itemsInput = (items: number) => ({ items: Array.from({ length: items }, (_, index) => index) });

async function history(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: false }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-history-limit-'));
});

afterAll(async () => {
  for (const server of servers) await server.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('local Step Functions execution history quota', () => {
  it('succeeds when the event that reaches the quota is ExecutionSucceeded', async () => {
    const small = await endpoint(SMALL_LIMIT);

    const execution = await run(small, 'dsr-history-limit', 'exactly-at-quota', itemsInput(3));

    expect(execution.status).toBe('SUCCEEDED');
    const events = await history(small.sfn, execution.executionArn!);
    expect(events).toHaveLength(SMALL_LIMIT);
    expect(events.at(-1)!.type).toBe('ExecutionSucceeded');
  });

  it('fails with States.Runtime as the last event at the quota, and the Map Catch never runs', async () => {
    const small = await endpoint(SMALL_LIMIT);

    const execution = await run(small, 'dsr-history-limit', 'one-item-too-many', itemsInput(4));

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.Runtime');
    expect(execution.cause).toBe(`The execution reached the maximum number of history events (${SMALL_LIMIT}).`);
    const events = await history(small.sfn, execution.executionArn!);
    expect(events).toHaveLength(SMALL_LIMIT);
    expect(events.at(-1)!.type).toBe('ExecutionFailed');
    expect(events.map((event) => event.type)).not.toContain('MapStateExited');
    expect(events.filter((event) => event.stateEnteredEventDetails?.name === 'Caught')).toEqual([]);
  });

  it('runs no task whose scheduling event reaches the quota', async () => {
    const tiny = await endpoint(5);
    invocations = 0;

    const execution = await run(tiny, 'dsr-data-limit', 'task-at-quota', { mode: 'small', functionName: 'test-size' });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.Runtime');
    expect(invocations).toBe(0);
    const events = await history(tiny.sfn, execution.executionArn!);
    expect(events.map((event) => event.type)).toEqual(['ExecutionStarted', 'ChoiceStateEntered', 'ChoiceStateExited', 'TaskStateEntered', 'ExecutionFailed']);
  });

  it('applies the real quota of 25,000 events by default', async () => {
    const real = await endpoint(undefined);
    const items = Math.ceil(MAX_HISTORY_EVENTS / 4);

    const execution = await run(real, 'dsr-history-limit', 'past-the-real-quota', itemsInput(items));

    expect(eventsFor(items)).toBeGreaterThan(25_000);
    expect(execution.status).toBe('FAILED');
    expect(execution.cause).toBe('The execution reached the maximum number of history events (25000).');
    const events = await history(real.sfn, execution.executionArn!);
    expect(events).toHaveLength(25_000);
    expect(events.at(-1)!.type).toBe('ExecutionFailed');
  });
});
