import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { InvalidInput, InvalidOutput } from '../core/errors';
import { subjectOf, type Subject } from '../core/subject';
import { ledgerFromEnv } from './ledger-from-env';
import { loadSecrets } from './secrets';

/**
 * One place for function defaults: secrets loaded at cold start, structured logging keyed by request id,
 * input validation with zod, and named errors. Handlers stay thin: `taskHandler(schema, core)`.
 */

/**
 * The shared logger; log ids and counts only, never names, emails, addresses, file names or transcripts.
 * Its keys are per invocation: one invocation per execution environment in AWS, and locally each
 * invocation runs in its own async context (local/invocation-scope.ts), so concurrent ones never mix.
 */
export const logger = new Logger({ serviceName: 'dsr' });

/** The step contract of a task: the schema of its input and, for a workflow step, of its output. */
export interface StepContract {
  input: z.ZodType;
  output?: z.ZodType;
}

/** A Lambda handler taking validated input; `contract` names its input and output schemas. */
export type TaskHandler<R> = ((event: unknown, context: Context) => Promise<R>) & { contract: StepContract };

/**
 * Builds a handler that validates its event with `schema`, runs `run` with the parsed input and, when
 * an `output` schema is given (a workflow step), checks the result against it: the schema the ASL's
 * ResultSelectors are tested against is the one every result is held to.
 */
export function taskHandler<S extends z.ZodType, R>(
  schema: S,
  run: (input: z.infer<S>, context: Context) => Promise<R>,
  output?: z.ZodType<R>,
): TaskHandler<R> {
  const handler = async (event: unknown, context: Context): Promise<R> => {
    await loadSecrets();
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
      throw new InvalidInput(`Invalid task input: ${detail}`);
    }
    const requestId = (parsed.data as { requestId?: unknown }).requestId;
    logger.resetKeys();
    logger.addContext(context);
    logger.appendKeys({ requestId: typeof requestId === 'string' ? requestId : undefined, function: context.functionName });
    try {
      const result = await run(parsed.data, context);
      if (output) {
        const checked = output.safeParse(result);
        if (!checked.success) throw new InvalidOutput(`Task result does not match its output schema: ${checked.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
      }
      return result;
    } catch (error) {
      logger.error('task failed', { errorName: error instanceof Error ? error.name : 'unknown' });
      throw error;
    }
  };
  return Object.assign(handler, { contract: { input: schema, ...(output ? { output } : {}) } });
}

/**
 * Builds a handler for a task that acts on the request's customer: validates `{ requestId, ... }`,
 * resolves the customer id from the ledger (it never travels in workflow state) and runs `run` with both.
 */
export function subjectTaskHandler<S extends z.ZodType<{ requestId: string }>, R>(
  schema: S,
  run: (input: z.infer<S> & Subject, context: Context) => Promise<R>,
  output?: z.ZodType<R>,
): TaskHandler<R> {
  return taskHandler(schema, async (input, context) => run({ ...input, ...(await subjectOf(ledgerFromEnv(), input.requestId)) }, context), output);
}
