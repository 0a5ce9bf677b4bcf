import { z } from 'zod';
import { BRANDS } from './brands';
import { REQUEST_TYPES } from './ledger';

/**
 * The Step Functions execution input of every workflow, declared once: ids and non-personal fields
 * only, never the customer id (tasks resolve it from the ledger). Every task input starts from the
 * same `requestId`.
 */

/** A request id as the workflows carry it. */
export const workflowRequestId = z.string().min(1).max(128);

/** The execution input of a request's workflow. */
export const workflowInputSchema = z.object({
  requestId: workflowRequestId,
  type: z.enum(REQUEST_TYPES),
  brand: z.enum(BRANDS),
  /** Erasure cooling-off end (ISO instant). */
  notBefore: z.string().optional(),
});

/** The execution input of a request's workflow. */
export type WorkflowInput = z.infer<typeof workflowInputSchema>;
