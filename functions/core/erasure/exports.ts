import type { S3Client } from '@aws-sdk/client-s3';
import { StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { workflowRequestId } from '../workflow-input';
import { countLeftUnder } from '../connectors/s3-store';
import { getStore, resourceName } from '../data-map';
import { ExportStillRunning, InvalidStatusTransition } from '../errors';
import { customerKey } from '../keyed-hash';
import type { Ledger, RequestRecord } from '../ledger';
import type { Subject } from '../subject';
import { erasePrefixes } from './bucket-eraser';
import { DEFAULT_ERASURE_CONCURRENCY, DEFAULT_RETRY, type RetryPolicy } from './config';
import type { EraseResult } from './erase-store';
import { StoreProgressLog } from './progress';
import type { VerifyResult } from '../export/collect';

/**
 * The pipeline's own copies of a customer's data: the archives and staging data of their exports
 * (store `exports`, keyed by request id, see `requestPrefixes` in the data map). Before the business
 * stores are erased the customer's exports are settled (open ones cancelled, running ones waited
 * for); the eraser then deletes every volume and staging object of every export of the customer, and
 * verification counts what is left there like any other store.
 */

const requestId = workflowRequestId;

/** Input of `settle-exports`. */
export const settleExportsInput = z.object({ requestId });

/** Input of `erase-exports` (an iteration of "Erase Stores"). */
export const eraseExportsInput = z.object({ requestId, store: z.literal('exports') });

/** Input of `collect-exports` (an iteration of "Verify Stores"; verify mode only). */
export const verifyExportsInput = z.object({ requestId, store: z.literal('exports'), mode: z.literal('verify') });

/** Output of `settle-exports`: how many of the customer's exports are still running. */
export const settleExportsOutput = z.object({ running: z.number().int().nonnegative() });

/** What the exports eraser and its verification need. */
export interface ExportsDeps {
  s3: S3Client;
  ledger: Pick<Ledger, 'ofCustomer'>;
  /** The audit bucket (progress log of the eraser). */
  auditBucket: string;
  retry?: RetryPolicy;
  /** DeleteObjects calls in flight (default `DSR_ERASURE_CONCURRENCY`'s). */
  concurrency?: number;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

/** What settling the customer's exports needs. */
export interface SettleDeps {
  sfn: SFNClient;
  ledger: Pick<Ledger, 'ofCustomer' | 'transition'>;
  /** An export `in_progress` longer than this is stuck: the erasure fails naming it instead of waiting forever. */
  stuckAfterMs?: number;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

/** Default time after which a running export counts as stuck (two hours: far above any export's Lambda timeouts). */
export const EXPORT_STUCK_AFTER_MS = 2 * 60 * 60 * 1000;

/** The prefixes of one export request in the exports bucket (from the data map). */
export function exportPrefixes(exportRequestId: string): string[] {
  const templates = getStore('exports').requestPrefixes!.prefixTemplates;
  return templates.map((template) => template.replaceAll('{requestId}', exportRequestId));
}

/** The customer's export requests. */
async function customerExports(deps: Pick<ExportsDeps, 'ledger' | 'env'>, subject: Subject): Promise<RequestRecord[]> {
  const records = await deps.ledger.ofCustomer(customerKey(subject.customerId, deps.env?.DSR_HASH_KEY));
  return records.filter((record) => record.type === 'export');
}

/** Every exports-bucket prefix of the customer's exports. */
async function customerExportPrefixes(deps: Pick<ExportsDeps, 'ledger' | 'env'>, subject: Subject): Promise<string[]> {
  return (await customerExports(deps, subject)).flatMap((record) => exportPrefixes(record.requestId));
}

/**
 * Settles the customer's exports before an erasure: a pending, failed or held export is cancelled
 * (its execution stopped), so nothing new is written after the erasure; returns how many are still
 * running, for the workflow to wait on. One running longer than `stuckAfterMs` fails the erasure with
 * `ExportStillRunning` naming it (a replay continues once it has ended).
 */
export async function settleCustomerExports(deps: SettleDeps, input: z.infer<typeof settleExportsInput> & Subject): Promise<{ running: number }> {
  const now = (deps.now?.() ?? new Date()).getTime();
  const stuckAfter = deps.stuckAfterMs ?? EXPORT_STUCK_AFTER_MS;
  let running = 0;
  for (const record of await customerExports(deps, input)) {
    if (record.status === 'in_progress') {
      if (now - new Date(record.updatedAt).getTime() > stuckAfter) {
        throw new ExportStillRunning(`Export ${record.requestId} has been in progress since ${record.updatedAt}; erasure ${input.requestId} cannot proceed until it ends`);
      }
      running += 1;
      continue;
    }
    if (record.status !== 'pending' && record.status !== 'failed' && record.status !== 'on_hold') continue;
    try {
      await deps.ledger.transition(record.requestId, 'cancelled', {
        error: { name: 'SupersededByErasure', message: `Cancelled because erasure ${input.requestId} erases the customer's data` },
      });
    } catch (error) {
      if (!(error instanceof InvalidStatusTransition)) throw error;
      running += 1; // it moved on (e.g. started) meanwhile: look again after the wait
      continue;
    }
    if (record.executionArn) {
      try {
        await deps.sfn.send(new StopExecutionCommand({ executionArn: record.executionArn, error: 'SupersededByErasure', cause: `Erasure ${input.requestId}` }));
      } catch {
        // The execution may have ended already; its Mark In Progress step sees the cancellation anyway.
      }
    }
  }
  return { running };
}

/**
 * Removes one export's staging data and volumes (every version in a versioned bucket): the data of an
 * export cancelled while it ran. Nothing is certified, so nothing goes to a progress log; a repeat finds
 * nothing and returns zeros.
 */
export async function removeExportData(
  deps: Pick<ExportsDeps, 's3' | 'retry' | 'concurrency' | 'env'>,
  exportRequestId: string,
): Promise<{ deleted: number; versionsDeleted: number }> {
  const counts = await erasePrefixes(
    { s3: deps.s3, retry: deps.retry ?? DEFAULT_RETRY, concurrency: deps.concurrency ?? DEFAULT_ERASURE_CONCURRENCY, env: deps.env },
    'exports',
    resourceName(getStore('exports'), deps.env),
    exportPrefixes(exportRequestId),
  );
  return { deleted: counts.deleted, versionsDeleted: counts.versionsDeleted };
}

/** Erases every archive volume and staging object of the customer's exports (progress recorded like any store). */
export async function eraseCustomerExports(deps: ExportsDeps, input: z.infer<typeof eraseExportsInput> & Subject): Promise<EraseResult> {
  const bucket = resourceName(getStore('exports'), deps.env);
  const progress = await StoreProgressLog.open({ s3: deps.s3, auditBucket: deps.auditBucket, requestId: input.requestId }, 'exports');
  const counts = await erasePrefixes(
    { s3: deps.s3, retry: deps.retry ?? DEFAULT_RETRY, progress, concurrency: deps.concurrency ?? DEFAULT_ERASURE_CONCURRENCY, env: deps.env },
    'exports',
    bucket,
    await customerExportPrefixes(deps, input),
  );
  return { store: 'exports', action: 'delete', ...counts, finishedAt: (deps.now?.() ?? new Date()).toISOString() };
}

/** Counts what is left of the customer's exports (objects, or versions and delete markers in a versioned bucket). */
export async function verifyCustomerExports(deps: ExportsDeps, input: z.infer<typeof verifyExportsInput> & Subject): Promise<VerifyResult> {
  const left = await countLeftUnder(deps.s3, 'exports', resourceName(getStore('exports'), deps.env), await customerExportPrefixes(deps, input));
  return { store: 'exports', items: left, retainedItems: 0, personalItems: left };
}
