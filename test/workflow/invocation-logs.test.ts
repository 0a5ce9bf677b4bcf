import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { documentClient, s3Client } from '../../functions/shared/clients';
import { startLocalAws, type LocalAws } from '../../local/runtime';
import { seedDemoData } from '../../local/seed/demo';
import { createExportRecord, runExport } from './export-helpers';

const EXPORT_ASL = resolve(import.meta.dirname, '../../statemachines/export.asl.json');

/** A structured log line of the functions (Powertools JSON). */
interface LogLine {
  message: string;
  function?: string;
  requestId?: string;
  function_request_id?: string;
  store?: string;
}

/** What one Lambda invocation was: the function invoked and the DSR request it served. */
interface Invocation {
  function: string;
  requestId: string | undefined;
}

let aws: LocalAws;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-invocation-logs-'));
  aws = await startLocalAws({ dataDir, stepFunctions: { retryOverrideMs: 1 }, stateMachineFiles: [EXPORT_ASL], log: () => undefined });
  await seedDemoData({ s3: s3Client(), doc: documentClient() });
});

afterAll(async () => {
  vi.restoreAllMocks();
  await aws?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Every JSON line written to stdout or stderr while `action` runs (Powertools Logger writes there). */
async function captureLogLines(action: () => Promise<void>): Promise<LogLine[]> {
  const written: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  }
  try {
    await action();
  } finally {
    vi.mocked(process.stdout.write).mockRestore();
    vi.mocked(process.stderr.write).mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine & { service?: string })
    .filter((line) => line.service === 'dsr');
}

describe('function logs under concurrent invocations (local Lambda runtime)', () => {
  it('carry the function name and request id of the invocation that wrote them, across two concurrent exports', async () => {
    const requests = [await createExportRecord('c1', 'albelli'), await createExportRecord('c2', 'bonusprint')];
    const invocations = new Map<string, Invocation>();
    const invoke = aws.lambda.invoke.bind(aws.lambda);
    vi.spyOn(aws.lambda, 'invoke').mockImplementation(async (nameOrArn, payload) => {
      const result = await invoke(nameOrArn, payload);
      // A task gets the request id in its input, an event target (deliver-callback) in the event detail.
      const event = payload as { requestId?: unknown; detail?: { requestId?: unknown } };
      const requestId = event.requestId ?? event.detail?.requestId;
      invocations.set(result.SdkResponseMetadata.RequestId, {
        function: nameOrArn.split(':function:').pop()!.replace(/:\$LATEST$/, ''),
        requestId: typeof requestId === 'string' ? requestId : undefined,
      });
      return result;
    });
    const sfn = new SFNClient({ region: aws.region, credentials: aws.credentials });
    const statuses: string[] = [];

    const lines = await captureLogLines(async () => {
      const executions = await Promise.all([
        runExport(sfn, { requestId: requests[0]!, brand: 'albelli' }),
        runExport(sfn, { requestId: requests[1]!, brand: 'bonusprint' }),
      ]);
      statuses.push(...executions.map((execution) => execution.status!));
    });

    expect(statuses).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const taskLines = lines.filter((line) => line.function_request_id !== undefined && invocations.has(line.function_request_id));
    const collected = taskLines.filter((line) => line.message === 'store collected');
    expect(collected.length).toBeGreaterThanOrEqual(2 * 8);
    expect(new Set(collected.map((line) => line.requestId))).toEqual(new Set(requests));
    for (const line of taskLines) {
      const invocation = invocations.get(line.function_request_id!)!;
      expect({ function: line.function, requestId: line.requestId }).toEqual(invocation);
      if (line.store !== undefined) expect(line.function).toBe(`dsr-collect-${line.store}`);
    }
    expect(taskLines.length).toBe(lines.filter((line) => line.function !== 'api').length);
  });
});
