import { Command } from 'commander';
import { ApiClient, withApiOptions, type ApiOptions } from '../api-client';
import { printJson } from '../request-commands';

/** `dsr cancel ID`: cancels a pending request (an erasure in its cooling-off period). */
export function cancelCommand(): Command {
  return withApiOptions(new Command('cancel').description('cancel a pending request').argument('<requestId>', 'request id')).action(
    async (requestId: string, options: ApiOptions) => {
      const api = await ApiClient.fromOptions(options);
      printJson(await api.cancel(requestId));
    },
  );
}
