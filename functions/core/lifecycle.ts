import { StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { ExtensionRefused, InvalidStatusTransition } from './errors';
import {
  dueDate,
  EXTENDED_DUE_MONTHS,
  OPEN_STATUSES,
  type Denial,
  type Extension,
  type HoldPeriod,
  type Ledger,
  type RequestRecord,
  type Verification,
} from './ledger';

/**
 * The lifecycle actions of every request type besides create and cancel: the one deadline extension
 * (Art. 12(3)) and the denial (Art. 12(4), 12(5)), and what of the lifecycle every certificate shows
 * (who asked, how the customer was verified, the extension, the legal holds). Reasons are fixed
 * vocabularies; notes are short ops texts that must not hold personal data.
 */

/** Request types whose deadline is never extended: a consent withdrawal is answered "as soon as possible" (Art. 7(3)), within hours, not months. */
export const NOT_EXTENDABLE_TYPES: readonly RequestRecord['type'][] = ['consent-withdrawal'];

/** Why a request's deadline may be extended by two months (Art. 12(3): complexity and number of requests). */
export const EXTENSION_REASONS = ['complexity', 'number-of-requests', 'identity-verification-pending', 'third-party-data', 'large-data-volume'] as const;

/** A reason for an extension. */
export type ExtensionReason = (typeof EXTENSION_REASONS)[number];

/** Why a request may be refused: identity not verified (Art. 12(2), 12(6)), manifestly unfounded or excessive (Art. 12(5)). */
export const DENIAL_REASONS = ['identity-not-verified', 'manifestly-unfounded', 'excessive'] as const;

/** A reason for a denial. */
export type DenialReason = (typeof DENIAL_REASONS)[number];

/** Longest note on an extension or denial (an ops remark, no personal data). */
export const MAX_NOTE_LENGTH = 500;

/** Statuses a request can be denied in: before it runs, or while a legal hold stops it. */
export const DENIABLE_STATUSES: readonly RequestRecord['status'][] = ['pending', 'on_hold'];

/** What the lifecycle actions need. */
export interface LifecycleDeps {
  ledger: Ledger;
  sfn: SFNClient;
}

/**
 * The extension `current` gets at `now`, or undefined when it already has this very one (a retried
 * call). Refused: a consent withdrawal (`NOT_EXTENDABLE_TYPES`), a request that is not open
 * (`InvalidStatusTransition`), already extended with another reason or note, or past its original due
 * date (`ExtensionRefused`).
 */
export function decideExtension(
  current: RequestRecord,
  request: { reason: ExtensionReason; note?: string; extendedBy: string },
  now: Date,
): { extension: Extension; dueAt: string } | undefined {
  if (NOT_EXTENDABLE_TYPES.includes(current.type)) {
    throw new ExtensionRefused(
      `Request ${current.requestId} is a ${current.type}; it is answered as soon as possible (Art. 7(3)) by its own target, so its deadline cannot be extended`,
      'not_extendable',
    );
  }
  if (current.extension) {
    if (current.extension.reason === request.reason && current.extension.note === request.note) return undefined;
    throw new ExtensionRefused(`Request ${current.requestId} was already extended on ${current.extension.extendedAt} (${current.extension.reason}); a deadline is extended once`, 'already_extended');
  }
  if (!OPEN_STATUSES.includes(current.status)) {
    throw new InvalidStatusTransition(`Request ${current.requestId} is ${current.status}; only an open request can be extended`);
  }
  if (now.getTime() >= Date.parse(current.dueAt)) {
    throw new ExtensionRefused(`Request ${current.requestId} was due on ${current.dueAt}; an extension must be made before the original due date`, 'past_due');
  }
  const extension: Extension = {
    reason: request.reason,
    ...(request.note !== undefined ? { note: request.note } : {}),
    extendedAt: now.toISOString(),
    previousDueAt: current.dueAt,
    extendedBy: request.extendedBy,
  };
  return { extension, dueAt: dueDate(new Date(current.createdAt), EXTENDED_DUE_MONTHS).toISOString() };
}

/**
 * Extends an open request's deadline once, to its receipt date plus three calendar months (clamped to
 * month end like `dueAt`), and emits `Request Deadline Extended`; repeating the same extension returns
 * the record unchanged. See `decideExtension` for the refusals.
 */
export async function extendRequest(
  deps: Pick<LifecycleDeps, 'ledger'>,
  requestId: string,
  request: { reason: ExtensionReason; note?: string; extendedBy: string },
): Promise<RequestRecord> {
  const { record } = await deps.ledger.extend(requestId, (current, now) => decideExtension(current, request, now));
  return record;
}

/**
 * Denies a `pending` or `on_hold` request with the reason (final status `denied`: the customer's
 * open-request marker is released, so they can ask again) and stops its execution (an erasure waiting
 * out its cooling-off); `InvalidStatusTransition` in any other status. Repeating a denial returns the
 * denied record.
 */
export async function denyRequest(
  deps: LifecycleDeps,
  requestId: string,
  request: { reason: DenialReason; note: string; deniedBy: string },
  now: () => Date = () => new Date(),
): Promise<RequestRecord> {
  const current = await deps.ledger.get(requestId);
  if (current.status !== 'denied' && !DENIABLE_STATUSES.includes(current.status)) {
    throw new InvalidStatusTransition(`Request ${requestId} is ${current.status}; only a pending or on_hold request can be denied`);
  }
  const denial: Denial = { reason: request.reason, note: request.note, deniedAt: now().toISOString(), deniedBy: request.deniedBy };
  const { record } = await deps.ledger.transition(requestId, 'denied', { denial });
  if (record.executionArn) await stopExecution(deps.sfn, record.executionArn, 'RequestDenied', `Denied: ${request.reason}`);
  return record;
}

/** Stops an execution; one that has ended already is left alone (its Mark In Progress step sees the final status anyway). */
export async function stopExecution(sfn: SFNClient, executionArn: string, error: string, cause: string): Promise<void> {
  try {
    await sfn.send(new StopExecutionCommand({ executionArn, error, cause }));
  } catch {
    // The execution may have ended already.
  }
}

/** The lifecycle part of every certificate: who asked, how the customer was verified, the due date, the extension and the legal holds. */
export interface CertificateLifecycle {
  requestedBy?: string;
  /** How the customer's identity was verified (not to be confused with an erasure's verification that nothing is left). */
  identityVerification?: Verification;
  dueAt: string;
  extension?: Extension;
  holds: HoldPeriod[];
}

/** The lifecycle of a request as its certificate shows it (principals, dates and reason codes; holds name record ids only). */
export function certificateLifecycle(record: Pick<RequestRecord, 'caller' | 'verification' | 'dueAt' | 'extension' | 'holds'>): CertificateLifecycle {
  return {
    ...(record.caller ? { requestedBy: record.caller } : {}),
    ...(record.verification ? { identityVerification: record.verification } : {}),
    dueAt: record.dueAt,
    ...(record.extension ? { extension: record.extension } : {}),
    holds: record.holds ?? [],
  };
}
