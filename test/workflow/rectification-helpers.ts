import path from 'node:path';
import { GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { getFunction } from '../../functions/catalog';
import type { Brand } from '../../functions/core/brands';
import { customerKey } from '../../functions/core/keyed-hash';
import { newRequestRecord, type RequestType } from '../../functions/core/ledger';
import type { Corrections } from '../../functions/core/rectification/corrections';
import { localFunctionName, type LambdaHandler } from '../../local/lambda-runtime';
import type { Replacements } from '../unit/helpers/replacements';
import { settled, type ErasureContext, type ExecutionOutcome } from './erasure-helpers';

/** Helpers of the rectification and consent-withdrawal workflow and e2e tests (local AWS only). */

/** Writes a pending request of a type to the ledger, as the request API does (a rectification with its corrections). */
export async function createRequestRecord(
  ctx: ErasureContext,
  requestId: string,
  type: RequestType,
  customerId: string,
  brand: Brand,
  corrections?: Corrections,
): Promise<void> {
  await ctx.ledger.create(
    newRequestRecord({ requestId, type, customerId, customerKey: customerKey(customerId), brand, bodyHash: requestId, receivedAt: new Date(), corrections }),
  );
}

/** Starts an execution of a workflow (name = request id, or a replay name) and waits for it to end. */
export async function runWorkflow(
  ctx: ErasureContext,
  workflow: 'rectification' | 'consent-withdrawal',
  name: string,
  input: { requestId: string; brand: Brand },
): Promise<ExecutionOutcome & { executionArn: string }> {
  const started = await ctx.sfn.send(
    new StartExecutionCommand({ stateMachineArn: ctx.aws.stateMachineArns[`dsr-${workflow}`], name, input: JSON.stringify({ type: workflow, ...input }) }),
  );
  return { executionArn: started.executionArn!, ...(await settled(ctx, started.executionArn!)) };
}

/** The whole execution history as JSON text (every input, output and error of every state). */
export async function historyText(ctx: ErasureContext, executionArn: string): Promise<string> {
  const events: unknown[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return JSON.stringify(events);
}

/** The real handler of a catalog function. */
export async function realHandler(functionId: string): Promise<LambdaHandler> {
  const module = (await import(path.resolve(import.meta.dirname, '../..', getFunction(functionId).entry))) as { handler: LambdaHandler };
  return module.handler;
}

/** Replaces a catalog function by a test double until the test ends (the real handler is registered again even when the test fails). */
export async function replaceFunction(ctx: ErasureContext, replacements: Replacements, functionId: string, fake: (real: LambdaHandler) => LambdaHandler): Promise<void> {
  const real = await realHandler(functionId);
  const name = localFunctionName(functionId);
  replacements.replace(
    () => ctx.aws.lambda.register(name, { handler: fake(real), timeoutSeconds: 120 }),
    () => ctx.aws.lambda.register(name, { handler: real, timeoutSeconds: 120 }),
  );
}

/** A double that throws `error` on its first `times` calls, then runs the real handler. */
export function failing(error: () => Error, times = Number.POSITIVE_INFINITY): (real: LambdaHandler) => LambdaHandler {
  let calls = 0;
  return (real) => async (event, context, callback) => {
    calls += 1;
    if (calls <= times) throw error();
    return real(event, context, callback);
  };
}
