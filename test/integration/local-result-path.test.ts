import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaRuntime } from '../../local/lambda-runtime';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/runtime';
import { startStepFunctionsServer, type StepFunctionsServer } from '../../local/stepfunctions-server';

/** The local endpoint gives `"ResultPath": "$"` its ASL meaning: the result replaces the input (states and catchers). */

const FIXTURE = resolve(import.meta.dirname, '../fixtures/result-path-root.asl.json');
let dataDir: string;
let server: StepFunctionsServer;
let sfn: SFNClient;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-result-path-'));
  const lambda = new LambdaRuntime({ region: LOCAL_REGION, functions: [] });
  server = await startStepFunctionsServer({ port: 0, region: LOCAL_REGION, dataDir, stateMachineFiles: [FIXTURE], lambda, functionArn: (id) => lambda.arnOf(id) });
  sfn = new SFNClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: server.url });
});

afterAll(async () => {
  await server?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('ResultPath "$" on the local endpoint', () => {
  it('replaces the input with the state result, then with the caught error', async () => {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: server.stateMachineArns['dsr-result-path-root'], input: JSON.stringify({ original: true }) }));
    let execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    while (execution.status === 'RUNNING') {
      await new Promise((wait) => setTimeout(wait, 20));
      execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    }

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toEqual({ Error: 'Lambda.ResourceNotFoundException', Cause: expect.stringContaining('test-missing') });
  });
});
