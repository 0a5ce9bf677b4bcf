import { randomUUID } from 'node:crypto';
import { DescribeExecutionCommand, ListStateMachinesCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { Command } from 'commander';
import { readOptionalJson } from '../../functions/core/connectors/s3-store';
import { getStore, resourceName } from '../../functions/core/data-map';
import { reportKey } from '../../functions/core/retention/plan';
import { cliAws, withAwsOptions, type AwsOptions } from '../aws';
import { parseDate } from '../parse';

/** Options of `dsr sweep-retention`. */
interface SweepOptions extends AwsOptions {
  dryRun: boolean;
  wait: boolean;
  now?: Date;
  stateMachine: string;
}

/** How often `--wait` asks for the execution's status. */
const POLL_MS = 500;

/** Default name of the retention state machine (`<prefix>-retention`, prefix `dsr`). */
export const RETENTION_STATE_MACHINE = 'dsr-retention';

/** The ARN of the state machine with that name (or the ARN itself); throws when there is none. */
export async function stateMachineArnOf(sfn: SFNClient, nameOrArn: string): Promise<string> {
  if (nameOrArn.startsWith('arn:')) return nameOrArn;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListStateMachinesCommand({ nextToken }));
    const found = (page.stateMachines ?? []).find((machine) => machine.name === nameOrArn);
    if (found) return found.stateMachineArn!;
    nextToken = page.nextToken;
  } while (nextToken);
  throw new Error(`No state machine named ${nameOrArn}`);
}

/** A run id for a sweep started by hand: `manual-<UTC date and time>-<random>` (the execution name). */
export function manualRunId(now: Date = new Date()): string {
  return `manual-${now.toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
}

/**
 * `dsr sweep-retention [--dry-run] [--wait] [--now DATE]`: starts the retention workflow (the daily
 * schedule in AWS) and, with `--wait`, follows it to the end and prints its report from the audit bucket.
 */
export function sweepRetentionCommand(): Command {
  const command = new Command('sweep-retention')
    .description('start the retention sweep (daily in AWS): remove what is past its retention rule; --wait prints the report')
    .option('--dry-run', 'count what is past its rule, remove nothing', false)
    .option('--wait', 'wait for the sweep to end and print its report', false)
    .option('--now <date>', 'sweep as if it were this date (default: now; a later date only with --dry-run)', parseDate)
    .option('--state-machine <name-or-arn>', 'the retention state machine', RETENTION_STATE_MACHINE);
  return withAwsOptions(command).action(async (options: SweepOptions) => {
    const aws = await cliAws(options);
    try {
      const stateMachineArn = await stateMachineArnOf(aws.sfn, options.stateMachine);
      const runId = manualRunId();
      const input = { dryRun: options.dryRun, ...(options.now ? { now: options.now.toISOString() } : {}) };
      const started = await aws.sfn.send(new StartExecutionCommand({ stateMachineArn, name: runId, input: JSON.stringify(input) }));
      if (!options.wait) {
        console.log(JSON.stringify({ runId, executionArn: started.executionArn }));
        return;
      }
      process.stderr.write(`sweep ${runId} started; follow its Map Run in the Step Functions console\n`);
      for (;;) {
        const execution = await aws.sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
        if (execution.status !== 'RUNNING') {
          const report = await readOptionalJson(aws.s3, 'audit', resourceName(getStore('audit')), reportKey(runId));
          console.log(JSON.stringify(report ?? { runId, status: execution.status, error: execution.error }, null, 2));
          if (execution.status !== 'SUCCEEDED') process.exitCode = 1;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } finally {
      aws.destroy();
    }
  });
}
