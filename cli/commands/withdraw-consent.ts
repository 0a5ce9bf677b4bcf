import { Command, Option } from 'commander';
import { CONSENT_SERVICES, type ConsentService } from '../../functions/core/consent-withdrawal';
import { ApiClient, withApiOptions } from '../api-client';
import { createFields, parseCustomerId, printJson, submitRequest, withCreateOptions, type CreateOptions } from '../request-commands';

/** Options of `dsr withdraw-consent`. */
interface WithdrawOptions extends CreateOptions {
  service: ConsentService;
}

/** `dsr withdraw-consent <customerId> --brand B [--service photo-library] [--wait]`: withdraw consent for a service (GDPR Art. 7(3)); its store is erased. */
export function withdrawConsentCommand(): Command {
  const command = withCreateOptions(
    new Command('withdraw-consent')
      .description('withdraw a customer\'s consent for a service (GDPR Art. 7(3)): erases that service\'s store only (fotoknudsen and onskefoto photo library)')
      .argument('<customerId>', 'customer id', parseCustomerId),
  ).addOption(new Option('--service <service>', 'the consent-based service').choices(CONSENT_SERVICES).default('photo-library'));
  return withApiOptions(command).action(async (customerId: string, options: WithdrawOptions) => {
    const api = await ApiClient.fromOptions(options);
    const record = await submitRequest(options, api, { type: 'consent-withdrawal', customerId, service: options.service, ...createFields(options) });
    if (record) printJson(record);
  });
}
