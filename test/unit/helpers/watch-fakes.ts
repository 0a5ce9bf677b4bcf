import { DescribeExecutionCommand, GetExecutionHistoryCommand, type SFNClient, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-sfn';
import type { AwsStub } from 'aws-sdk-client-mock';
import type { ProgressStream } from '../../../cli/watch-execution';
import type { RequestView } from '../../../functions/core/requests';

/** Fakes for the `dsr --wait` progress tests: an execution seen over two polls, its request record, a recording stream. */

/** When the faked execution started. */
export const START = Date.parse('2025-06-01T09:00:00.000Z');

/** The faked execution. */
export const ARN = 'arn:aws:states:eu-west-1:000000000000:execution:dsr-export:r1';

/** A stream that records what is written, as a terminal (`isTTY`, `columns`, `rows`) or as a pipe. */
export function recordingStream(tty: boolean): ProgressStream & { text: string } {
  const stream = {
    text: '',
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
    ...(tty ? { isTTY: true, columns: 120, rows: 40 } : {}),
  };
  return stream;
}

/** The export record after `done` of its stores completed collecting. */
function record(done: number): RequestView {
  const stores = [
    { store: 'customer-profile', phase: 'collect' as const, status: 'completed' as const, items: 1, bytes: 612, updatedAt: '2025-06-01T09:00:01.500Z' },
    { store: 'orders', phase: 'collect' as const, status: 'completed' as const, items: 3, bytes: 5_400, updatedAt: '2025-06-01T09:00:02.250Z' },
    { store: 'uploaded-photos', phase: 'collect' as const, status: 'completed' as const, items: 4, bytes: 2_500_000, updatedAt: '2025-06-01T09:00:04.000Z' },
  ];
  return {
    requestId: 'r1',
    type: 'export',
    customerKey: 'k'.repeat(64),
    brand: 'albelli',
    status: done === stores.length ? 'completed' : 'in_progress',
    createdAt: '2025-06-01T08:59:59.000Z',
    updatedAt: '2025-06-01T09:00:04.000Z',
    dueAt: '2025-07-01T09:00:00.000Z',
    stores: stores.slice(0, done),
  };
}

/** Two polls on the mocked client: running in "Collect Stores" with two stores done, then succeeded in "Build Volumes" with three. */
export function twoPolls(sfnMock: AwsStub<ServiceInputTypes, ServiceOutputTypes, SFNClient['config']>): { api: { get: () => Promise<RequestView> } } {
  const started = { id: 1, type: 'ExecutionStarted', timestamp: new Date(START) };
  const collect = { id: 2, type: 'TaskStateEntered', timestamp: new Date(START), stateEnteredEventDetails: { name: 'Collect Stores' } };
  const build = { id: 3, type: 'TaskStateEntered', timestamp: new Date(START), stateEnteredEventDetails: { name: 'Build Volumes' } };
  sfnMock
    .on(DescribeExecutionCommand)
    .resolvesOnce({ status: 'RUNNING', startDate: new Date(START) } as never)
    .resolves({ status: 'SUCCEEDED', startDate: new Date(START) } as never);
  sfnMock
    .on(GetExecutionHistoryCommand)
    .resolvesOnce({ events: [started, collect] } as never)
    .resolves({ events: [started, collect, build] } as never);
  const polls = [record(2), record(3)];
  return { api: { get: async () => polls.shift() ?? record(3) } };
}
