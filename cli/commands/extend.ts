import { Command, Option } from 'commander';
import { EXTENSION_REASONS, type ExtensionReason } from '../../functions/core/lifecycle';
import { ApiClient, withApiOptions, type ApiOptions } from '../api-client';
import { printJson } from '../request-commands';

/** Options of `dsr extend`. */
interface ExtendOptions extends ApiOptions {
  reason: ExtensionReason;
  note?: string;
}

/** `dsr extend ID --reason R [--note TEXT]`: extends an open request's deadline once, to three months after receipt. */
export function extendCommand(): Command {
  const command = new Command('extend')
    .description('extend an open request\'s deadline once, to three months after receipt (Art. 12(3)); the customer is told with the reason')
    .argument('<requestId>', 'request id')
    .addOption(new Option('--reason <reason>', 'why the request needs more time').choices(EXTENSION_REASONS).makeOptionMandatory())
    .option('--note <text>', 'a short explanation (at most 500 characters, no personal data)');
  return withApiOptions(command).action(async (requestId: string, options: ExtendOptions) => {
    const api = await ApiClient.fromOptions(options);
    printJson(await api.extend(requestId, { reason: options.reason, ...(options.note !== undefined ? { note: options.note } : {}) }));
  });
}
