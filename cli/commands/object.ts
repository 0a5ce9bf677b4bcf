import { Command, Option } from 'commander';
import { OBJECTION_PURPOSES, type ObjectionPurpose } from '../../functions/core/processing/parameters';
import { ApiClient, withApiOptions } from '../api-client';
import { createFields, parseCustomerId, printJson, submitRequest, withCreateOptions, type CreateOptions } from '../request-commands';

/** Options of `dsr object`. */
interface ObjectOptions extends CreateOptions {
  purpose: ObjectionPurpose;
}

/** `dsr object <customerId> --brand B --purpose P [--wait]`: a customer's objection (GDPR Art. 21) to direct marketing or to the smart-creation tracking. */
export function objectCommand(): Command {
  const command = withCreateOptions(
    new Command('object')
      .description('record a customer\'s objection (GDPR Art. 21): direct-marketing withdraws every consent, deletes segments and audiences and suppresses the contact points; smart-creation deletes the tracked product edits')
      .argument('<customerId>', 'customer id', parseCustomerId),
  ).addOption(new Option('--purpose <purpose>', 'what the customer objects to').choices(OBJECTION_PURPOSES).makeOptionMandatory());
  return withApiOptions(command).action(async (customerId: string, options: ObjectOptions) => {
    const api = await ApiClient.fromOptions(options);
    const record = await submitRequest(options, api, { type: 'objection', customerId, purpose: options.purpose, ...createFields(options) });
    if (record) printJson(record);
  });
}
