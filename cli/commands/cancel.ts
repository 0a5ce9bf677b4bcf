import { Command } from 'commander';
import { ApiClient, withApiOptions, type ApiOptions } from '../api-client';
import { printJson } from '../request-commands';

/** `dsr cancel ID`: cancels a pending request (an erasure in its cooling-off period) or a running export (its data removed). */
export function cancelCommand(): Command {
  const description = 'cancel a pending request, or stop a running export and remove its staging data and partial volumes';
  return withApiOptions(new Command('cancel').description(description).argument('<requestId>', 'request id')).action(
    async (requestId: string, options: ApiOptions) => {
      const api = await ApiClient.fromOptions(options);
      printJson(await api.cancel(requestId));
    },
  );
}
