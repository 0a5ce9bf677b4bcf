import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { reapplyErasures } from '../../functions/core/erasure/reapply';
import { cliAws, cliLedger, withAwsOptions, type AwsOptions } from '../aws';
import { parseDate } from '../parse';

/** Options of `dsr reapply-erasures`. */
interface ReapplyOptions extends AwsOptions {
  since: Date;
}

/**
 * The hash key: `DSR_HASH_KEY` from the environment (required with `--aws`), else the local
 * pipeline's `<data-dir>/secrets.json`.
 */
async function hashKeyFor(options: ReapplyOptions): Promise<string> {
  if (process.env.DSR_HASH_KEY) return process.env.DSR_HASH_KEY;
  if (options.aws) throw new Error('set DSR_HASH_KEY to the pipeline\'s hash key (from Secrets Manager) to match erased customers');
  const secrets = JSON.parse(await readFile(join(resolve(options.dataDir), 'secrets.json'), 'utf8')) as { hashKey: string };
  return secrets.hashKey;
}

/** `dsr reapply-erasures --since DATE`: erases again what a restore from backup brought back. */
export function reapplyErasuresCommand(): Command {
  const command = new Command('reapply-erasures')
    .description('after a restore from backup: find data of customers erased since DATE (by keyed hash) and erase it again')
    .requiredOption('--since <date>', 'the backup\'s point in time: erasures completed at or after it are re-applied', parseDate);
  return withAwsOptions(command).action(async (options: ReapplyOptions) => {
    const aws = await cliAws(options);
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, DSR_HASH_KEY: await hashKeyFor(options) };
      const ledger = cliLedger(aws, env);
      console.log(JSON.stringify(await reapplyErasures({ doc: aws.doc, s3: aws.s3, ledger, env }, options.since)));
    } finally {
      aws.destroy();
    }
  });
}
