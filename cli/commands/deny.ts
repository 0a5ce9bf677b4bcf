import { Command, Option } from 'commander';
import { DENIAL_REASONS, type DenialReason } from '../../functions/core/lifecycle';
import { ApiClient, withApiOptions, type ApiOptions } from '../api-client';
import { printJson } from '../request-commands';

/** Options of `dsr deny`. */
interface DenyOptions extends ApiOptions {
  reason: DenialReason;
  note: string;
}

/** `dsr deny ID --reason R --note TEXT`: refuses a pending or on_hold request (final status `denied`). */
export function denyCommand(): Command {
  const command = new Command('deny')
    .description('refuse a pending or on_hold request with the reason (Art. 12(4), 12(5)); its execution stops and the customer can ask again')
    .argument('<requestId>', 'request id')
    .addOption(new Option('--reason <reason>', 'why the request is refused').choices(DENIAL_REASONS).makeOptionMandatory())
    .requiredOption('--note <text>', 'the explanation (at most 500 characters, no personal data)');
  return withApiOptions(command).action(async (requestId: string, options: DenyOptions) => {
    const api = await ApiClient.fromOptions(options);
    printJson(await api.deny(requestId, { reason: options.reason, note: options.note }));
  });
}
