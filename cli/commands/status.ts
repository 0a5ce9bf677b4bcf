import { Command } from 'commander';
import { ApiClient, withApiOptions, type ApiOptions } from '../api-client';
import { printJson, waitForRequest } from '../request-commands';

/** Options of `dsr status`. */
interface StatusOptions extends ApiOptions {
  wait?: boolean;
}

/** `dsr status ID [--wait]`: the request record as the API returns it; with `--wait`, after following its execution to the end. */
export function statusCommand(): Command {
  const command = new Command('status')
    .description('show a request')
    .argument('<requestId>', 'request id')
    .option('--wait', 'follow a running execution (live per-store table) until it ends; exit non-zero when it fails');
  return withApiOptions(command).action(async (requestId: string, options: StatusOptions) => {
    const api = await ApiClient.fromOptions(options);
    const record = await api.get(requestId);
    const open = record.status === 'pending' || record.status === 'in_progress';
    printJson(options.wait && open && record.executionArn ? await waitForRequest(options, api, requestId, record.executionArn) : record);
  });
}
