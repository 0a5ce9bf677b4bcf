import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { BRANDS } from '../brands';
import { CUSTOMER_ID_PATTERN, CUSTOMER_STORE_IDS, getStore } from '../data-map';
import { InvalidInput } from '../errors';
import { eraseBucket } from './bucket-eraser';
import { DEFAULT_RETRY, type RetryPolicy } from './config';
import { eraseTable, type EraseCounts } from './table-eraser';

/** Input of an eraser (`erase-<storeId>`), one Map iteration of the erasure workflow. */
export const eraseStoreInput = z.object({
  requestId: z.string().min(1).max(128),
  customerId: z.string().regex(CUSTOMER_ID_PATTERN),
  brand: z.enum(BRANDS),
  store: z.enum(CUSTOMER_STORE_IDS),
});

/** Parsed eraser input. */
export type EraseStoreInput = z.infer<typeof eraseStoreInput>;

/** Result of one store's erasure: the action and counts (zeros on a replay: nothing was left). */
export interface EraseResult extends EraseCounts {
  store: string;
  action: 'delete' | 'anonymise-and-retain';
  finishedAt: string;
}

/** The clients and settings an eraser needs. */
export interface EraseDeps {
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  retry?: RetryPolicy;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

/** Erases one store of a customer as the data map says (delete, or anonymise and retain). */
export async function eraseStore(deps: EraseDeps, input: EraseStoreInput): Promise<EraseResult> {
  const store = getStore(input.store);
  const action = store.erasure.action;
  if (action === 'none') throw new InvalidInput(`Store "${store.id}" is not erased`);
  if (!store.brands.includes(input.brand)) throw new InvalidInput(`Store "${store.id}" does not apply to brand ${input.brand}`);
  const retry = deps.retry ?? DEFAULT_RETRY;
  const counts =
    store.kind === 's3-bucket'
      ? await eraseBucket({ s3: deps.s3, retry, env: deps.env }, store, input.customerId, input.brand)
      : await eraseTable({ doc: deps.doc, retry, env: deps.env }, store, input.customerId, input.brand);
  return { store: store.id, action, ...counts, finishedAt: (deps.now?.() ?? new Date()).toISOString() };
}
