import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Ledger, RequestRecord } from '../ledger';
import { executionInput } from '../requests';
import { checkLegalHold } from './legal-hold';

/**
 * The daily re-check of legal holds: every `on_hold` erasure is checked again with the workflow's own
 * legal-hold check, and one whose holds have cleared (orders delivered and paid, disputes and claims
 * closed) is resumed with a new execution of the erasure workflow, as a replay would: its Mark In
 * Progress step closes the hold period on the record, and its Check Legal Hold step checks once more.
 * The execution is named `<requestId>-resume-<n>` after the request's n-th hold, so a second run of the
 * check (or two at once) starts it once. Logs and results carry request ids and counts only.
 */

/** What the re-check needs. */
export interface RecheckDeps {
  ledger: Pick<Ledger, 'list'>;
  sfn: SFNClient;
  /** Reads the orders and contact history (the legal-hold check). */
  doc: DynamoDBDocumentClient;
  erasureStateMachineArn: string;
  env?: NodeJS.ProcessEnv;
}

/** What one run of the re-check did. */
export interface RecheckReport {
  /** On-hold erasures checked. */
  checked: number;
  /** Requests resumed (a new execution started, or already started by an earlier run). */
  resumed: string[];
  /** Requests still held. */
  stillHeld: number;
}

/** The name of the execution that resumes a request after its n-th hold. */
export function resumeExecutionName(record: Pick<RequestRecord, 'requestId' | 'holds'>): string {
  return `${record.requestId}-resume-${Math.max(record.holds?.length ?? 0, 1)}`;
}

/** Starts the resuming execution; one of that name with the same input already there counts as started. */
async function resume(deps: RecheckDeps, record: RequestRecord): Promise<void> {
  try {
    await deps.sfn.send(
      new StartExecutionCommand({ stateMachineArn: deps.erasureStateMachineArn, name: resumeExecutionName(record), input: JSON.stringify(executionInput(record)) }),
    );
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ExecutionAlreadyExists')) throw error;
  }
}

/** Re-checks every `on_hold` erasure (all pages of the status index) and resumes those no longer held. */
export async function recheckLegalHolds(deps: RecheckDeps): Promise<RecheckReport> {
  const report: RecheckReport = { checked: 0, resumed: [], stillHeld: 0 };
  let nextToken: string | undefined;
  do {
    const page = await deps.ledger.list({ status: 'on_hold', limit: 100, nextToken });
    for (const record of page.items) {
      if (record.type !== 'erasure' || record.customerId === undefined) continue;
      report.checked += 1;
      const hold = await checkLegalHold(deps.doc, { requestId: record.requestId, customerId: record.customerId }, deps.env);
      if (hold.held) {
        report.stillHeld += 1;
        continue;
      }
      await resume(deps, record);
      report.resumed.push(record.requestId);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return report;
}
