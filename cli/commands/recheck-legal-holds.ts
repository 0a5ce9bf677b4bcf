import { Command } from 'commander';
import { recheckLegalHolds } from '../../functions/core/erasure/legal-hold-recheck';
import { cliAws, cliLedger, withAwsOptions, type AwsOptions } from '../aws';
import { stateMachineArnOf } from './sweep-retention';

/** Options of `dsr recheck-legal-holds`. */
interface RecheckOptions extends AwsOptions {
  stateMachine: string;
}

/** Default name of the erasure state machine (`<prefix>-erasure`, prefix `dsr`). */
const ERASURE_STATE_MACHINE = 'dsr-erasure';

/** `dsr recheck-legal-holds`: the daily re-check (`recheck-legal-holds`) run by hand; prints how many were checked, resumed and still held. */
export function recheckLegalHoldsCommand(): Command {
  const command = new Command('recheck-legal-holds')
    .description('re-check every on_hold erasure now (daily in AWS) and resume those whose holds have cleared')
    .option('--state-machine <name-or-arn>', 'the erasure state machine', ERASURE_STATE_MACHINE);
  return withAwsOptions(command).action(async (options: RecheckOptions) => {
    const aws = await cliAws(options);
    try {
      const ledger = cliLedger(aws);
      const erasureStateMachineArn = await stateMachineArnOf(aws.sfn, options.stateMachine);
      console.log(JSON.stringify(await recheckLegalHolds({ ledger, sfn: aws.sfn, doc: aws.doc, erasureStateMachineArn }), null, 2));
    } finally {
      aws.destroy();
    }
  });
}
