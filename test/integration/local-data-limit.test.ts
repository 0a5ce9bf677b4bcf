import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../local/runtime';

/** The local Step Functions endpoint enforces the 256 KB payload limit on every state as AWS does. */

const FIXTURE = resolve(import.meta.dirname, '../fixtures/data-limit.asl.json');
const LIMIT = 256 * 1024;

/** Modes the fixture function was invoked with. */
const invoked: string[] = [];

/** `big` returns a result over the limit; anything else a small one. */
async function fixtureFunction(event: { mode: string }): Promise<unknown> {
  invoked.push(event.mode);
  return event.mode === 'big' ? { bytes: LIMIT, blob: 'x'.repeat(LIMIT) } : { bytes: 1 };
}

let aws: LocalAws;
let dataDir: string;
let sfn: SFNClient;

async function run(name: string, input: Record<string, unknown>): Promise<DescribeExecutionCommandOutput> {
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: aws.stateMachineArns['dsr-data-limit'], name, input: JSON.stringify(input) }));
  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return described;
    await new Promise((wait) => setTimeout(wait, 20));
  }
}

async function historyTypes(executionArn: string): Promise<string[]> {
  const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return (events ?? []).map((event) => event.type!);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-data-limit-'));
  aws = await startLocalAws({
    dataDir,
    stateMachineFiles: [FIXTURE],
    extraFunctions: { 'test-size': { handler: fixtureFunction as never, timeoutSeconds: 30 } },
    log: () => undefined,
  });
  sfn = new SFNClient({ region: aws.region, credentials: aws.credentials, endpoint: aws.endpoints.stepfunctions });
});

afterAll(async () => {
  sfn?.destroy();
  await aws?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  invoked.length = 0;
});

describe('local Step Functions payload limit (256 KB per state input and output)', () => {
  it('fails the execution with States.DataLimitExceeded when a Pass state outputs more, runs no later state and records no oversize payload', async () => {
    const input = { mode: 'pass', functionName: 'test-size', blob: 'b'.repeat(100 * 1024) };

    const execution = await run('pass-1', input);

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.DataLimitExceeded');
    expect(execution.cause).toContain("'Triple Blob'");
    expect(invoked).toEqual([]);
    const types = await historyTypes(execution.executionArn!);
    expect(types).toEqual(['ExecutionStarted', 'ChoiceStateEntered', 'ChoiceStateExited', 'PassStateEntered', 'ExecutionFailed']);
  });

  it('fails the execution when a task result is over the limit, and its Catch (States.ALL) never runs', async () => {
    const execution = await run('big-1', { mode: 'big', functionName: 'test-size' });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.DataLimitExceeded');
    expect(execution.cause).toContain("'Call Function'");
    expect(invoked).toEqual(['big']);
    const types = await historyTypes(execution.executionArn!);
    expect(types).not.toContain('PassStateEntered');
    expect(types.at(-1)).toBe('ExecutionFailed');
  });

  it('runs an execution whose payloads stay under the limit', async () => {
    const execution = await run('small-1', { mode: 'small', functionName: 'test-size' });

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!).result).toEqual({ bytes: 1 });
  });
});
