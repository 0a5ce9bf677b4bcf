import { Command, InvalidArgumentError } from 'commander';
import { PENDING_EVENT_GRACE_SECONDS } from '../../functions/core/ledger';
import { cliAws, cliLedger, withAwsOptions, type AwsOptions } from '../aws';

/** Options of `dsr flush-status-events`. */
interface FlushOptions extends AwsOptions {
  olderThan: number;
}

/** Parses a non-negative whole number of seconds. */
function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 0) throw new InvalidArgumentError('must be a whole number of seconds, 0 or more');
  return seconds;
}

/** `dsr flush-status-events [--older-than SECONDS]`: the scheduled outbox sweep (`flush-status-events`), run by hand. */
export function flushStatusEventsCommand(): Command {
  const command = new Command('flush-status-events')
    .description('emit the status events the ledger still owes (every 5 minutes in AWS; by hand locally)')
    .option('--older-than <seconds>', 'only events owed for at least this long', parseSeconds, PENDING_EVENT_GRACE_SECONDS);
  return withAwsOptions(command).action(async (options: FlushOptions) => {
    const aws = await cliAws(options);
    try {
      const ledger = cliLedger(aws);
      console.log(JSON.stringify(await ledger.flushPendingEvents(options.olderThan)));
    } finally {
      aws.destroy();
    }
  });
}
