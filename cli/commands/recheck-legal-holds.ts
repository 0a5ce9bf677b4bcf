import { Command } from 'commander';
import { getStore, resourceName } from '../../functions/core/data-map';
import { recheckLegalHolds } from '../../functions/core/erasure/legal-hold-recheck';
import { Ledger } from '../../functions/core/ledger';
import { cliAws, withAwsOptions, type AwsOptions } from '../aws';
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
      const ledger = new Ledger({
        doc: aws.doc,
        events: aws.events,
        tableName: resourceName(getStore('request-ledger')),
        eventBusName: process.env.DSR_EVENT_BUS_NAME || 'dsr',
      });
      const erasureStateMachineArn = await stateMachineArnOf(aws.sfn, options.stateMachine);
      console.log(JSON.stringify(await recheckLegalHolds({ ledger, sfn: aws.sfn, doc: aws.doc, erasureStateMachineArn }), null, 2));
    } finally {
      aws.destroy();
    }
  });
}
