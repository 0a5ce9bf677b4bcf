import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { workflowRequestId } from '../workflow-input';
import { CUSTOMER_STORE_IDS, getStore } from '../data-map';
import { InvalidInput } from '../errors';
import type { Subject } from '../subject';
import { eraseBucket } from './bucket-eraser';
import { DEFAULT_ERASURE_CONCURRENCY, DEFAULT_RETRY, type RetryPolicy } from './config';
import { StoreProgressLog } from './progress';
import { eraseTable } from './table-eraser';

/** Input of an eraser (`erase-<storeId>`), one Map iteration of the erasure workflow (no customer id: see `Subject`). */
export const eraseStoreInput = z.object({
  requestId: workflowRequestId,
  store: z.enum(CUSTOMER_STORE_IDS),
});

/** Parsed eraser input, with the customer resolved from the ledger. */
export type EraseStoreInput = z.infer<typeof eraseStoreInput> & Subject;

/** Output of an eraser (`erase-<store>`, `erase-exports`): the action and this run's counts (zeros on a replay: nothing was left). */
export const eraseStoreOutput = z.object({
  store: z.string(),
  action: z.enum(['delete', 'anonymise-and-retain']),
  deleted: z.number().int().nonnegative(),
  retained: z.number().int().nonnegative(),
  versionsDeleted: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  finishedAt: z.string(),
});

/** Result of one store's erasure. */
export type EraseResult = z.infer<typeof eraseStoreOutput>;

/** The clients and settings an eraser needs. */
export interface EraseDeps {
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  /** The audit bucket, which holds the durable progress log (`progress/<requestId>/<store>/`). */
  auditBucket: string;
  retry?: RetryPolicy;
  /** Write calls in flight (default `DSR_ERASURE_CONCURRENCY`'s). */
  concurrency?: number;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

/** Erases one store of a customer as the data map says (delete, or anonymise and retain). */
export async function eraseStore(deps: EraseDeps, input: EraseStoreInput): Promise<EraseResult> {
  const store = getStore(input.store);
  const action = store.erasure.action;
  if (action === 'none') throw new InvalidInput(`Store "${store.id}" is not erased`);
  const retry = deps.retry ?? DEFAULT_RETRY;
  const concurrency = deps.concurrency ?? DEFAULT_ERASURE_CONCURRENCY;
  const progress = await StoreProgressLog.open({ s3: deps.s3, auditBucket: deps.auditBucket, requestId: input.requestId }, store.id);
  const counts =
    store.kind === 's3-bucket'
      ? await eraseBucket({ s3: deps.s3, retry, progress, concurrency, env: deps.env }, store, input.customerId)
      : await eraseTable({ doc: deps.doc, retry, progress, concurrency, env: deps.env }, store, input.customerId);
  return { store: store.id, action, ...counts, finishedAt: (deps.now?.() ?? new Date()).toISOString() };
}
