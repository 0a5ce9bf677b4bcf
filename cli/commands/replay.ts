import { DescribeExecutionCommand, ListExecutionsCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { Command } from 'commander';
import { ApiClient, withApiOptions, type ApiOptions } from '../api-client';
import { cliAws } from '../aws';
import { printJson, waitForRequest } from '../request-commands';

/** Options of `dsr replay`. */
interface ReplayOptions extends ApiOptions {
  wait?: boolean;
}

/** The next free replay number of a request on its state machine (`<requestId>-replay-<n>`). */
export async function nextReplayNumber(sfn: SFNClient, stateMachineArn: string, requestId: string): Promise<number> {
  const pattern = new RegExp(`^${requestId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-replay-(\\d+)$`);
  let highest = 0;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken, maxResults: 1000 }));
    for (const execution of page.executions ?? []) {
      const match = pattern.exec(execution.name ?? '');
      if (match) highest = Math.max(highest, Number(match[1]));
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return highest + 1;
}

/** `dsr replay ID`: a new execution with the same input as the request's first one (name `<id>-replay-<n>`). */
export function replayCommand(): Command {
  const command = new Command('replay')
    .description('start a new execution of a request with the same input (converges: completed stays completed)')
    .argument('<requestId>', 'request id')
    .option('--wait', 'follow the execution until it ends; exit non-zero when it fails');
  return withApiOptions(command).action(async (requestId: string, options: ReplayOptions) => {
    const api = await ApiClient.fromOptions(options);
    const record = await api.get(requestId);
    if (!record.executionArn) throw new Error(`request ${requestId} has no execution to replay (status ${record.status})`);
    const aws = await cliAws(options);
    let executionArn: string;
    try {
      const original = await aws.sfn.send(new DescribeExecutionCommand({ executionArn: record.executionArn }));
      const number = await nextReplayNumber(aws.sfn, original.stateMachineArn!, requestId);
      const started = await aws.sfn.send(
        new StartExecutionCommand({ stateMachineArn: original.stateMachineArn, name: `${requestId}-replay-${number}`, input: original.input }),
      );
      executionArn = started.executionArn!;
    } finally {
      aws.destroy();
    }
    process.stderr.write(`started ${executionArn}\n`);
    printJson(options.wait ? await waitForRequest(options, api, requestId, executionArn) : { requestId, executionArn });
  });
}
