import { Command } from 'commander';
import { ApiClient, withApiOptions, type ApiOptions } from '../api-client';
import { printJson } from '../request-commands';

/** `dsr status ID`: the request record as the API returns it. */
export function statusCommand(): Command {
  return withApiOptions(new Command('status').description('show a request').argument('<requestId>', 'request id')).action(
    async (requestId: string, options: ApiOptions) => {
      const api = await ApiClient.fromOptions(options);
      printJson(await api.get(requestId));
    },
  );
}
