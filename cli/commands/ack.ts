import { Command } from 'commander';
import { ApiClient, withApiOptions, type ApiOptions } from '../api-client';
import { printJson } from '../request-commands';

/** `dsr ack ID RECIPIENT`: records that a recipient acknowledged its Art. 19 notification of a request (a repeat keeps the first time). */
export function ackCommand(): Command {
  const command = new Command('ack')
    .description('record that a recipient acknowledged its Art. 19 notification of a request (idempotent)')
    .argument('<requestId>', 'request id')
    .argument('<recipient>', 'recipient id of the data map, e.g. email-marketing-provider');
  return withApiOptions(command).action(async (requestId: string, recipient: string, options: ApiOptions) => {
    const api = await ApiClient.fromOptions(options);
    printJson(await api.acknowledge(requestId, recipient));
  });
}
