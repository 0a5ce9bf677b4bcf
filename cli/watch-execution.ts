import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import ora from 'ora';

/**
 * Live progress of a Step Functions execution for `dsr ... --wait`: every state entered, from
 * GetExecutionHistory, as a spinner on a TTY and as plain lines otherwise.
 */

/** How an execution ended. */
export interface ExecutionOutcome {
  status: string;
  error?: string;
  cause?: string;
}

/** Options of `watchExecution`. */
export interface WatchOptions {
  /** Spinner on a TTY; plain lines otherwise. */
  tty: boolean;
  /** Where plain lines go (default stderr, so stdout stays the result). */
  write?: (line: string) => void;
  pollMs?: number;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/** A one-line description of a history event, or undefined for events not worth showing. */
function describeEvent(event: HistoryEvent): string | undefined {
  if (event.stateEnteredEventDetails?.name) return `→ ${event.stateEnteredEventDetails.name}`;
  if (event.type === 'TaskFailed' || event.type === 'LambdaFunctionFailed') {
    const details = event.taskFailedEventDetails ?? event.lambdaFunctionFailedEventDetails;
    return `  ✗ ${details?.error ?? 'failed'}${event.type === 'TaskFailed' ? ' (may be retried)' : ''}`;
  }
  return undefined;
}

/** Follows an execution until it ends, printing each state as it is entered; returns the outcome. */
export async function watchExecution(sfn: SFNClient, executionArn: string, options: WatchOptions): Promise<ExecutionOutcome> {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const spinner = options.tty ? ora({ text: 'starting', stream: process.stderr }).start() : undefined;
  const seen = new Set<number>();
  try {
    for (;;) {
      const description = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
        for (const event of page.events ?? []) {
          if (event.id === undefined || seen.has(event.id)) continue;
          seen.add(event.id);
          const line = describeEvent(event);
          if (!line) continue;
          if (spinner) spinner.text = line.replace(/^→ /, '');
          else write(line);
        }
        nextToken = page.nextToken;
      } while (nextToken);
      const status = description.status ?? 'UNKNOWN';
      if (TERMINAL.has(status)) {
        const outcome = { status, error: description.error, cause: description.cause };
        if (spinner) {
          if (status === 'SUCCEEDED') spinner.succeed(`execution ${status}`);
          else spinner.fail(`execution ${status}${outcome.error ? `: ${outcome.error}` : ''}`);
        } else write(`execution ${status}${outcome.error ? `: ${outcome.error}` : ''}`);
        return outcome;
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
    }
  } finally {
    if (spinner?.isSpinning) spinner.stop();
  }
}
