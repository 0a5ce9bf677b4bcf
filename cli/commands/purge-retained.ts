import { Command, InvalidArgumentError } from 'commander';
import { purgeRetained } from '../../functions/core/erasure/purge';
import { cliAws, withAwsOptions, type AwsOptions } from '../aws';

/** Options of `dsr purge-retained`. */
interface PurgeOptions extends AwsOptions {
  now?: Date;
}

/** Parses an ISO date or date-time argument. */
export function parseDate(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('must be an ISO date, e.g. 2032-01-01 or 2032-01-01T00:00:00Z');
  return date;
}

/** `dsr purge-retained [--now DATE]`: the scheduled purge of retained invoice records, run by hand. */
export function purgeRetainedCommand(): Command {
  const command = new Command('purge-retained')
    .description('delete retained (anonymised) invoice records whose retainUntil has passed (the daily schedule in AWS)')
    .option('--now <date>', 'purge as if it were this date (default: now)', parseDate);
  return withAwsOptions(command).action(async (options: PurgeOptions) => {
    const aws = await cliAws(options);
    try {
      console.log(JSON.stringify(await purgeRetained({ doc: aws.doc }, options.now ?? new Date())));
    } finally {
      aws.destroy();
    }
  });
}
