import { Command, Option } from 'commander';
import { PROCESSING_PURPOSES, type ProcessingPurpose } from '../../functions/core/processing/parameters';
import { ApiClient, withApiOptions, type ApiOptions } from '../api-client';
import { parseCustomerId, printJson } from '../request-commands';

/** Options of `dsr check-processing`. */
interface CheckProcessingOptions extends ApiOptions {
  purpose: ProcessingPurpose;
}

/** `dsr check-processing <customerId> --purpose P`: whether the customer's data may be used for the purpose (restriction, objection, erasure). */
export function checkProcessingCommand(): Command {
  const command = new Command('check-processing')
    .description('ask whether a customer\'s data may be used for a purpose: refused after an erasure, a restriction (Art. 18) or an objection (Art. 21), with the reason')
    .argument('<customerId>', 'customer id', parseCustomerId)
    .addOption(new Option('--purpose <purpose>', 'the processing about to happen').choices(PROCESSING_PURPOSES).makeOptionMandatory());
  return withApiOptions(command).action(async (customerId: string, options: CheckProcessingOptions) => {
    const api = await ApiClient.fromOptions(options);
    printJson(await api.checkProcessing({ customerId, purpose: options.purpose }));
  });
}
