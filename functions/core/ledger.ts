import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Brand } from './brands';
import { eventsError, InvalidInput, InvalidStatusTransition, isConditionFailure, RequestNotFound, storeError } from './errors';
import type { ObjectionParameters, RestrictionParameters } from './processing/parameters';
import type { Corrections } from './rectification/corrections';
import type { DenialReason, ExtensionReason } from './lifecycle';
import { claimOpenMarker, OPEN_MARKER_PREFIX, releaseOpenMarker, type OpenClaim } from './open-requests';

/**
 * The request ledger: one DynamoDB record per data-subject request (store `request-ledger`, PK
 * `requestId`, GSI `byCustomer` on `customerKey` + `createdAt`). Status moves only through the allowed
 * transitions, enforced by conditional writes on a numeric `version`; every status change emits an
 * EventBridge event (`dsr.request` / `Request Status Changed`) whose detail is the record without the
 * raw customer id and callback URL.
 *
 * Status change and event are one unit (a transactional outbox on the record itself): the conditional
 * write that changes the status also marks its event owed (`pendingEvent*`, sparse index
 * `byPendingEvent`); the event is put after the write and the mark removed once the bus took it. Every
 * later call on the record (a retried step's transition to the status it already has, the next
 * transition, the `flush-status-events` sweep) first emits an owed event. Delivery is at least once:
 * an event can repeat, `statusEventId` (request id and record version) tells a repeat apart. The one
 * deadline extension (`extend`) goes through the same outbox as a `Request Deadline Extended` event.
 */

/** The kinds of request. */
export const REQUEST_TYPES = ['export', 'erasure', 'restriction', 'objection', 'rectification', 'consent-withdrawal'] as const;

/** A kind of request: access/portability export or erasure. */
export type RequestType = (typeof REQUEST_TYPES)[number];

/** Every request status. */
export const REQUEST_STATUSES = ['pending', 'in_progress', 'completed', 'failed', 'cancelled', 'on_hold', 'denied'] as const;

/** A request status. */
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Statuses a request is still open in (it counts against its deadline). */
export const OPEN_STATUSES: readonly RequestStatus[] = ['pending', 'in_progress', 'failed', 'on_hold'];

/** Statuses no transition ever leaves. */
export const FINAL_STATUSES: readonly RequestStatus[] = ['completed', 'cancelled', 'denied'];

/** Allowed status transitions (a transition to the current status is an idempotent no-op). */
export const ALLOWED_TRANSITIONS: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = {
  pending: ['in_progress', 'cancelled', 'failed', 'denied'],
  // in_progress → cancelled: only a running export (`cancelRequest` refuses an erasure that has started).
  in_progress: ['completed', 'failed', 'on_hold', 'cancelled'],
  on_hold: ['in_progress', 'cancelled', 'denied'],
  failed: ['in_progress', 'cancelled'],
  completed: [],
  cancelled: [],
  denied: [],
};

/** The phases a store goes through in a workflow. */
export const STORE_PHASES = ['collect', 'erase', 'verify', 'rectify'] as const;

/** The outcomes of one store's step. */
export const STORE_STEP_STATUSES = ['completed', 'failed', 'skipped'] as const;

/** Progress of one store within a request. */
export interface StoreProgress {
  phase: (typeof STORE_PHASES)[number];
  status: (typeof STORE_STEP_STATUSES)[number];
  items: number;
  bytes: number;
  updatedAt: string;
}

/** An error stored on a failed request. */
export interface RequestError {
  name: string;
  message: string;
}

/** How the customer's identity was verified before the request was made (entered by the caller; no personal data). */
export interface Verification {
  method: 'portal-session' | 'email-code' | 'id-document' | 'known-contact';
  /** Who verified: the portal, or the ops person or team (not the customer). */
  verifiedBy: string;
  verifiedAt: string;
}

/** The one deadline extension of a request (Art. 12(3)). */
export interface Extension {
  reason: ExtensionReason;
  note?: string;
  extendedAt: string;
  /** The due date before the extension (received + one month). */
  previousDueAt: string;
  /** The calling principal that extended it. */
  extendedBy: string;
}

/** Why a request was refused (Art. 12(4), 12(5)). */
export interface Denial {
  reason: DenialReason;
  note: string;
  deniedAt: string;
  /** The calling principal that refused it. */
  deniedBy: string;
}

/** One period on legal hold: since when, until when (absent while it lasts), and the reasons (record ids, never personal data). */
export interface HoldPeriod {
  since: string;
  until?: string;
  reasons: string[];
}

/** One request record as stored in the ledger. */
export interface RequestRecord {
  requestId: string;
  type: RequestType;
  /** The raw customer id; removed once an erasure completes. */
  customerId?: string;
  /** Keyed hash of the customer id (`customerKey()`), the `byCustomer` index key. */
  customerKey: string;
  brand: Brand;
  status: RequestStatus;
  createdAt: string;
  updatedAt: string;
  /** Received + one calendar month (GDPR Art. 12(3)). */
  dueAt: string;
  /** Erasure cooling-off end. */
  notBefore?: string;
  verification?: Verification;
  /** The calling principal that made the request (IAM caller ARN in AWS, `token:<name>` locally). */
  caller?: string;
  callbackUrl?: string;
  /** Language of the customer-facing texts the request asked for (BCP 47; not personal data). */
  locale?: string;
  /** What a restriction request asks for. */
  restriction?: RestrictionParameters;
  /** What an objection request objects to. */
  objection?: ObjectionParameters;
  extension?: Extension;
  denial?: Denial;
  /** Every period the request spent on legal hold, oldest first. */
  holds?: HoldPeriod[];
  /**
   * A rectification's corrections (personal data): internal like `bodyHash`, never in an event, an API
   * view or workflow state; removed by the transition to a final status and by an erasure's redaction.
   */
  corrections?: Corrections;
  /** Keyed hash (HMAC-SHA256, hash key) of the canonical request body (idempotency; `bodyHash` in requests.ts). */
  bodyHash: string;
  /** Step Functions execution ARN, once started. */
  executionArn?: string;
  stores: Record<string, StoreProgress>;
  result?: Record<string, unknown>;
  error?: RequestError;
  hold?: { reasons: string[] };
  /** The erasure request that later erased this request's customer. */
  erasedBy?: string;
  /** Art. 19 notifications by recipient id (`functions/core/notification-ledger.ts`). */
  notifications?: Record<string, RecipientNotificationState>;
  /** Optimistic-locking counter, incremented by every write. */
  version: number;
}

/** When a recipient was notified of a request, and when it acknowledged. */
export interface RecipientNotificationState {
  sentAt: string;
  acknowledgedAt?: string;
}

/** The event detail of a status change: the record without the raw customer id, callback URL and corrections. */
export type RequestEventDetail = Omit<RequestRecord, 'customerId' | 'callbackUrl' | 'corrections'>;

/**
 * The outbox mark a status change writes on the record and the emitted event removes; internal to the
 * ledger (records it returns never carry it).
 */
interface PendingEvent {
  /** The status whose event is owed (the record's status); partition key of `byPendingEvent`. */
  pendingEvent: RequestStatus;
  /** When the event became owed (ISO); sort key of `byPendingEvent`. */
  pendingEventSince: string;
  /** The record version the status change wrote; only that version's mark is removed. */
  pendingEventVersion: number;
  /** The detail type of the owed event when it is not a status change (`Request Deadline Extended`). */
  pendingEventDetailType?: string;
}

/** A record as stored: with its outbox mark while its status event is owed, and its unacknowledged-notifications keys (`notification-ledger.ts`). */
type StoredRecord = RequestRecord & Partial<PendingEvent> & { unacknowledged?: string; unacknowledgedSince?: string };

/** The record without its outbox mark and its unacknowledged-notifications keys. */
function withoutPendingEvent(stored: StoredRecord): RequestRecord {
  const { pendingEvent: _status, pendingEventSince: _since, pendingEventVersion: _version, pendingEventDetailType: _detailType, unacknowledged: _unacknowledged, unacknowledgedSince: _unacknowledgedSince, ...record } = stored;
  return record;
}

/** The identity of a status event, `<requestId>:<version>` (the callback's `X-DSR-Event-Id`); a repeat has the same. */
export function statusEventId(detail: Pick<RequestEventDetail, 'requestId' | 'version'>): string {
  return `${detail.requestId}:${detail.version}`;
}

/** EventBridge source of request events. */
export const EVENT_SOURCE = 'dsr.request';

/** EventBridge detail-type of request status changes. */
export const STATUS_CHANGED_DETAIL_TYPE = 'Request Status Changed';

/** EventBridge detail-type of a deadline extension (detail: the record, as for a status change). */
export const DEADLINE_EXTENDED_DETAIL_TYPE = 'Request Deadline Extended';

/** What the ledger needs: clients, resource names and a clock. */
export interface LedgerDeps {
  doc: DynamoDBDocumentClient;
  events: EventBridgeClient;
  tableName: string;
  /** Event bus name (`DSR_EVENT_BUS_NAME`); `default` when unset. */
  eventBusName: string;
  now?: () => Date;
}

/** Extra changes written together with a status transition. */
export interface TransitionChanges {
  result?: Record<string, unknown>;
  error?: RequestError;
  hold?: { reasons: string[] };
  denial?: Denial;
  /** Remove the raw `customerId` attribute (erasure completion). */
  redactCustomerId?: boolean;
  /** Move only from one of these statuses, checked on every attempt (a cancel that read `pending` must not cancel an erasure that started meanwhile). */
  from?: readonly RequestStatus[];
}

/** Outcome of a transition: the record after it and whether the status changed. */
export interface TransitionOutcome {
  record: RequestRecord;
  changed: boolean;
}

/** A page of records. */
export interface RecordPage {
  items: RequestRecord[];
  nextToken?: string;
}

/** Filters for listing requests. */
export interface ListFilter {
  customerKey?: string;
  status?: RequestStatus;
  /** Only open requests due at or before this instant (ISO). */
  dueBefore?: string;
  limit: number;
  nextToken?: string;
}

/** Name of the ledger's index by customer. */
export const BY_CUSTOMER_INDEX = 'byCustomer';

/** Name of the ledger's index by status, sorted by due date (ops lists and the deadline check). */
export const BY_STATUS_INDEX = 'byStatus';

/** Name of the ledger's sparse index of records whose status event is owed, by status and since when. */
export const BY_PENDING_EVENT_INDEX = 'byPendingEvent';

/** How long an owed status event is left to the step that wrote it before the sweep emits it. */
export const PENDING_EVENT_GRACE_SECONDS = 60;

/** How many times a write is retried after losing an optimistic-locking race. */
const MAX_WRITE_ATTEMPTS = 8;

/** The due date for a request received at `received`: same day `months` calendar months later (one by default), clamped to month end. */
export function dueDate(received: Date, months = 1): Date {
  const due = new Date(received.getTime());
  const day = due.getUTCDate();
  due.setUTCDate(1);
  due.setUTCMonth(due.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(due.getUTCFullYear(), due.getUTCMonth() + 1, 0)).getUTCDate();
  due.setUTCDate(Math.min(day, lastDay));
  return due;
}

/** Calendar months after receipt an extended request is due (Art. 12(3): two further months). */
export const EXTENDED_DUE_MONTHS = 3;

/** What a new request is made of; the rest of its record follows from these. */
export interface NewRequest {
  requestId: string;
  type: RequestType;
  customerId: string;
  customerKey: string;
  brand: Brand;
  bodyHash: string;
  receivedAt: Date;
  notBefore?: string;
  verification?: Verification;
  caller?: string;
  callbackUrl?: string;
  locale?: string;
  restriction?: RestrictionParameters;
  objection?: ObjectionParameters;
  /** Overrides the one-month due date (a consent withdrawal's target). */
  dueAt?: Date;
  corrections?: Corrections;
}

/** The `pending` record of a request just received: due one calendar month later, no progress yet. */
export function newRequestRecord(request: NewRequest): RequestRecord {
  const { receivedAt, notBefore, verification, caller, callbackUrl, locale, dueAt, corrections, restriction, objection, ...fields } = request;
  return {
    ...fields,
    status: 'pending',
    createdAt: receivedAt.toISOString(),
    updatedAt: receivedAt.toISOString(),
    dueAt: (dueAt ?? dueDate(receivedAt)).toISOString(),
    ...(notBefore ? { notBefore } : {}),
    ...(verification ? { verification } : {}),
    ...(caller ? { caller } : {}),
    ...(callbackUrl ? { callbackUrl } : {}),
    ...(locale ? { locale } : {}),
    ...(corrections ? { corrections } : {}),
    ...(restriction ? { restriction } : {}),
    ...(objection ? { objection } : {}),
    stores: {},
    version: 1,
  };
}

/** The event detail for a record (drops the raw customer id, the callback URL and the corrections). */
export function eventDetail(record: RequestRecord): RequestEventDetail {
  const { customerId: _customerId, callbackUrl: _callbackUrl, corrections: _corrections, ...detail } = record;
  return detail;
}

/** Encodes a DynamoDB `LastEvaluatedKey` as an opaque page token. */
export function encodePageToken(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : undefined;
}

/** Decodes a page token; throws `InvalidInput` for a token that was not produced by `encodePageToken`. */
export function decodePageToken(token: string | undefined): Record<string, unknown> | undefined {
  if (token === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw new InvalidInput('nextToken is not a valid page token');
}

/**
 * The document client with named errors: a failed call raises `StoreUnavailable` (throttling, a
 * transient fault: Step Functions retries it) or `StoreFailed` naming the request ledger; a lost
 * conditional write stays `ConditionalCheckFailedException`, which the ledger handles itself.
 */
function withNamedErrors(doc: DynamoDBDocumentClient): DynamoDBDocumentClient {
  const send = async (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
    try {
      return await doc.send(command);
    } catch (error) {
      if (isConditionFailure(error)) throw error;
      throw storeError('request-ledger', error);
    }
  };
  return Object.create(doc, { send: { value: send } }) as DynamoDBDocumentClient;
}

/** The request ledger over one DynamoDB table. */
export class Ledger {
  private readonly deps: LedgerDeps;

  constructor(deps: LedgerDeps) {
    this.deps = { ...deps, doc: withNamedErrors(deps.doc) };
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }

  /** Puts a new record unless its request id exists; returns the stored record and whether it was created. */
  async create(record: RequestRecord): Promise<{ record: RequestRecord; created: boolean }> {
    try {
      await this.deps.doc.send(
        new PutCommand({ TableName: this.deps.tableName, Item: record, ConditionExpression: 'attribute_not_exists(requestId)' }),
      );
      return { record, created: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { record: await this.get(record.requestId), created: false };
    }
  }

  /** The record, or undefined when the ledger does not know the id. */
  async find(requestId: string): Promise<RequestRecord | undefined> {
    const stored = await this.findStored(requestId);
    return stored && withoutPendingEvent(stored);
  }

  /** This ledger's table, named-error client and clock, for a module keeping its own attributes on the records (`notification-ledger.ts`). */
  table(): { doc: DynamoDBDocumentClient; tableName: string; now?: () => Date } {
    return { doc: this.deps.doc, tableName: this.deps.tableName, now: this.deps.now };
  }

  /** The record; throws `RequestNotFound` for an unknown id. */
  async get(requestId: string): Promise<RequestRecord> {
    const record = await this.find(requestId);
    if (!record) throw new RequestNotFound(`Request ${requestId} not found`);
    return record;
  }

  private async findStored(requestId: string): Promise<StoredRecord | undefined> {
    const response = await this.deps.doc.send(new GetCommand({ TableName: this.deps.tableName, Key: { requestId }, ConsistentRead: true }));
    return response.Item as StoredRecord | undefined;
  }


  /** Records the execution ARN once (a later call keeps the first ARN). */
  async setExecutionArn(requestId: string, executionArn: string): Promise<RequestRecord> {
    const response = await this.deps.doc.send(
      new UpdateCommand({
        TableName: this.deps.tableName,
        Key: { requestId },
        UpdateExpression: 'SET executionArn = if_not_exists(executionArn, :arn), #version = #version + :one',
        ConditionExpression: 'attribute_exists(requestId)',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':arn': executionArn, ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return withoutPendingEvent(response.Attributes as StoredRecord);
  }

  /** Takes the one-open-request marker of the record's customer and type for it (`open-requests.ts`). */
  async claimOpen(record: RequestRecord): Promise<OpenClaim> {
    return claimOpenMarker({ ...this.deps, now: () => this.now() }, record, async (requestId) => {
      const holder = await this.find(requestId);
      if (!holder) return 'missing';
      return FINAL_STATUSES.includes(holder.status) ? 'final' : 'open';
    });
  }

  /**
   * Moves a request to `to`. Same status → no-op, except that a status event the record still owes is
   * emitted (the retried step's path); a transition not allowed from the current status →
   * `InvalidStatusTransition`. An allowed one first emits an owed event (events keep their order), then
   * writes conditionally on the version read, so a concurrent change is re-read and re-checked, never
   * overwritten; the write marks its event owed, and the mark goes once the event is put. A failed put
   * throws `EventsUnavailable` (retryable) or `EventsFailed`, the change stored and its event owed.
   */
  async transition(requestId: string, to: RequestStatus, changes: TransitionChanges = {}): Promise<TransitionOutcome> {
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt += 1) {
      const found = await this.findStored(requestId);
      if (!found) throw new RequestNotFound(`Request ${requestId} not found`);
      const current = withoutPendingEvent(found);
      if (current.status !== to && (!ALLOWED_TRANSITIONS[current.status].includes(to) || (changes.from && !changes.from.includes(current.status)))) {
        throw new InvalidStatusTransition(`Request ${requestId} cannot move from ${current.status} to ${to}`);
      }
      if (found.pendingEventVersion !== undefined) await this.emitPending(found);
      if (current.status === to) return { record: current, changed: false };
      let stored: StoredRecord;
      try {
        stored = await this.writeTransition(current, to, changes);
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        continue;
      }
      const record = withoutPendingEvent(stored);
      if (FINAL_STATUSES.includes(to)) await releaseOpenMarker(this.deps, record);
      await this.emitPending(stored);
      return { record, changed: true };
    }
    throw new InvalidStatusTransition(`Request ${requestId}: too many concurrent changes while moving to ${to}`);
  }

  /**
   * Records the deadline extension `decide` returns for the record it is given (it throws to refuse, or
   * returns undefined when the record already has that extension): sets `extension` and the new `dueAt`,
   * conditional on the version read and on no extension yet, and marks a `Request Deadline Extended`
   * event owed on the record (the same outbox as a status change: emitted right after the write, else by
   * the retried call or the sweep). A concurrent change is re-read and decided again.
   */
  async extend(requestId: string, decide: (current: RequestRecord, now: Date) => { extension: Extension; dueAt: string } | undefined): Promise<TransitionOutcome> {
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt += 1) {
      const found = await this.findStored(requestId);
      if (!found) throw new RequestNotFound(`Request ${requestId} not found`);
      const current = withoutPendingEvent(found);
      const now = this.now();
      const decision = decide(current, now);
      if (found.pendingEventVersion !== undefined) await this.emitPending(found);
      if (!decision) return { record: current, changed: false };
      let stored: StoredRecord;
      try {
        const response = await this.deps.doc.send(
          new UpdateCommand({
            TableName: this.deps.tableName,
            Key: { requestId },
            UpdateExpression:
              'SET #extension = :extension, #dueAt = :dueAt, #updatedAt = :now, #version = #version + :one, #pendingEvent = #status, #pendingEventSince = :now, #pendingEventVersion = :eventVersion, #pendingEventDetailType = :detailType',
            ConditionExpression: '#version = :version AND attribute_not_exists(#extension)',
            ExpressionAttributeNames: {
              '#extension': 'extension',
              '#dueAt': 'dueAt',
              '#updatedAt': 'updatedAt',
              '#version': 'version',
              '#status': 'status',
              '#pendingEvent': 'pendingEvent',
              '#pendingEventSince': 'pendingEventSince',
              '#pendingEventVersion': 'pendingEventVersion',
              '#pendingEventDetailType': 'pendingEventDetailType',
            },
            ExpressionAttributeValues: {
              ':extension': decision.extension,
              ':dueAt': decision.dueAt,
              ':now': now.toISOString(),
              ':one': 1,
              ':version': current.version,
              ':eventVersion': current.version + 1,
              ':detailType': DEADLINE_EXTENDED_DETAIL_TYPE,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        stored = response.Attributes as StoredRecord;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        continue;
      }
      await this.emitPending(stored);
      return { record: withoutPendingEvent(stored), changed: true };
    }
    throw new InvalidStatusTransition(`Request ${requestId}: too many concurrent changes while extending its deadline`);
  }

  private async writeTransition(current: RequestRecord, to: RequestStatus, changes: TransitionChanges): Promise<StoredRecord> {
    const now = this.now().toISOString();
    const names: Record<string, string> = {
      '#status': 'status',
      '#version': 'version',
      '#updatedAt': 'updatedAt',
      '#pendingEvent': 'pendingEvent',
      '#pendingEventSince': 'pendingEventSince',
      '#pendingEventVersion': 'pendingEventVersion',
    };
    const values: Record<string, unknown> = { ':to': to, ':version': current.version, ':one': 1, ':now': now, ':eventVersion': current.version + 1 };
    const set = [
      '#status = :to',
      '#updatedAt = :now',
      '#version = #version + :one',
      '#pendingEvent = :to',
      '#pendingEventSince = :now',
      '#pendingEventVersion = :eventVersion',
    ];
    // A mark left by an earlier event of another kind (its removal failed after it was emitted) becomes this status change's.
    names['#pendingEventDetailType'] = 'pendingEventDetailType';
    const remove: string[] = ['#pendingEventDetailType'];
    if (changes.result !== undefined) {
      names['#result'] = 'result';
      values[':result'] = changes.result;
      set.push('#result = :result');
    }
    if (changes.error !== undefined) {
      names['#error'] = 'error';
      values[':error'] = changes.error;
      set.push('#error = :error');
    }
    if (changes.hold !== undefined) {
      names['#hold'] = 'hold';
      values[':hold'] = changes.hold;
      set.push('#hold = :hold');
    }
    if (to === 'on_hold' && changes.hold !== undefined) {
      names['#holds'] = 'holds';
      values[':noHolds'] = [];
      values[':holdPeriod'] = [{ since: now, reasons: changes.hold.reasons } satisfies HoldPeriod];
      set.push('#holds = list_append(if_not_exists(#holds, :noHolds), :holdPeriod)');
    }
    const openHold = current.holds?.length ?? 0;
    if (current.status === 'on_hold' && openHold > 0 && current.holds![openHold - 1]!.until === undefined) {
      names['#holds'] = 'holds';
      names['#until'] = 'until';
      set.push(`#holds[${openHold - 1}].#until = :now`);
    }
    if (changes.denial !== undefined) {
      names['#denial'] = 'denial';
      values[':denial'] = changes.denial;
      set.push('#denial = :denial');
    }
    if (to === 'in_progress') {
      for (const field of ['error', 'hold'] as const) {
        if (!current[field]) continue;
        names[`#${field}`] = field;
        remove.push(`#${field}`);
      }
    }
    if (changes.redactCustomerId) remove.push('customerId');
    if (FINAL_STATUSES.includes(to) && current.corrections) remove.push('corrections');
    const response = await this.deps.doc.send(
      new UpdateCommand({
        TableName: this.deps.tableName,
        Key: { requestId: current.requestId },
        UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
        ConditionExpression: '#status = :from AND #version = :version',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ...values, ':from': current.status },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return response.Attributes as StoredRecord;
  }

  /**
   * Emits the status event a stored record owes, then removes the mark unless a newer one replaced it.
   * The removal changes no content, so it keeps the version; when it fails the mark stays and the
   * sweep emits the event once more (at least once).
   */
  private async emitPending(stored: StoredRecord): Promise<void> {
    await this.emit(withoutPendingEvent(stored), stored.pendingEventDetailType ?? STATUS_CHANGED_DETAIL_TYPE);
    try {
      await this.deps.doc.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: { requestId: stored.requestId },
          UpdateExpression: 'REMOVE #pendingEvent, #pendingEventSince, #pendingEventVersion, #pendingEventDetailType',
          ConditionExpression: '#pendingEventVersion = :eventVersion',
          ExpressionAttributeNames: {
            '#pendingEvent': 'pendingEvent',
            '#pendingEventSince': 'pendingEventSince',
            '#pendingEventVersion': 'pendingEventVersion',
            '#pendingEventDetailType': 'pendingEventDetailType',
          },
          ExpressionAttributeValues: { ':eventVersion': stored.pendingEventVersion },
        }),
      );
    } catch {
      // Already removed, replaced by a newer change, or the write failed: the sweep covers the last case.
    }
  }

  /**
   * The outbox sweep: emits every status event owed for longer than `graceSeconds` (a crash between a
   * status change and its event), reading the sparse `byPendingEvent` index status by status and each
   * record again before emitting. Returns how many events it emitted; a failed put throws.
   */
  async flushPendingEvents(graceSeconds: number = PENDING_EVENT_GRACE_SECONDS): Promise<{ emitted: number }> {
    const before = new Date(this.now().getTime() - graceSeconds * 1000).toISOString();
    let emitted = 0;
    for (const status of REQUEST_STATUSES) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const response = await this.deps.doc.send(
          new QueryCommand({
            TableName: this.deps.tableName,
            IndexName: BY_PENDING_EVENT_INDEX,
            KeyConditionExpression: '#pendingEvent = :status AND #pendingEventSince <= :before',
            ExpressionAttributeNames: { '#pendingEvent': 'pendingEvent', '#pendingEventSince': 'pendingEventSince' },
            ExpressionAttributeValues: { ':status': status, ':before': before },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of (response.Items ?? []) as StoredRecord[]) {
          const stored = await this.findStored(item.requestId);
          if (stored?.pendingEventSince === undefined || stored.pendingEventSince > before) continue;
          await this.emitPending(stored);
          emitted += 1;
        }
        startKey = response.LastEvaluatedKey as Record<string, unknown> | undefined;
      } while (startKey);
    }
    return { emitted };
  }

  /**
   * Records one store's progress while the request is `in_progress`; returns false (and writes nothing)
   * when the request is in any other status, so a replay of a finished request changes nothing.
   */
  async recordStoreProgress(requestId: string, store: string, progress: Omit<StoreProgress, 'updatedAt'>): Promise<boolean> {
    const now = this.now().toISOString();
    try {
      await this.deps.doc.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: { requestId },
          UpdateExpression: 'SET #stores.#store = :progress, #updatedAt = :now, #version = #version + :one',
          ConditionExpression: '#status = :inProgress',
          ExpressionAttributeNames: { '#stores': 'stores', '#store': store, '#status': 'status', '#updatedAt': 'updatedAt', '#version': 'version' },
          ExpressionAttributeValues: { ':progress': { ...progress, updatedAt: now }, ':now': now, ':one': 1, ':inProgress': 'in_progress' },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      await this.get(requestId);
      return false;
    }
  }

  /** Lists records: by customer (index, newest first), else a filtered scan; paginated by `nextToken`. */
  async list(filter: ListFilter): Promise<RecordPage> {
    if (filter.customerKey) return this.listByCustomer(filter, filter.customerKey);
    if (filter.dueBefore) return this.listDue(filter, filter.dueBefore);
    if (filter.status) {
      const response = await this.deps.doc.send(
        new QueryCommand({
          TableName: this.deps.tableName,
          IndexName: BY_STATUS_INDEX,
          KeyConditionExpression: '#status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': filter.status },
          Limit: filter.limit,
          ExclusiveStartKey: decodePageToken(filter.nextToken),
        }),
      );
      return { items: ((response.Items ?? []) as StoredRecord[]).map(withoutPendingEvent), nextToken: encodePageToken(response.LastEvaluatedKey) };
    }
    const response = await this.deps.doc.send(
      new ScanCommand({
        TableName: this.deps.tableName,
        FilterExpression: 'NOT begins_with(requestId, :marker)',
        ExpressionAttributeValues: { ':marker': OPEN_MARKER_PREFIX },
        Limit: filter.limit,
        ExclusiveStartKey: decodePageToken(filter.nextToken),
      }),
    );
    return { items: ((response.Items ?? []) as StoredRecord[]).map(withoutPendingEvent), nextToken: encodePageToken(response.LastEvaluatedKey) };
  }

  /** A customer's requests, newest first, through the keyed-hash index (optionally of one status / open and due). */
  private async listByCustomer(filter: ListFilter, customerKey: string): Promise<RecordPage> {
    const names: Record<string, string> = { '#customerKey': 'customerKey' };
    const values: Record<string, unknown> = { ':customerKey': customerKey };
    const conditions: string[] = [];
    if (filter.status) {
      names['#status'] = 'status';
      values[':status'] = filter.status;
      conditions.push('#status = :status');
    }
    if (filter.dueBefore) {
      names['#status'] = 'status';
      names['#dueAt'] = 'dueAt';
      values[':dueBefore'] = filter.dueBefore;
      OPEN_STATUSES.forEach((status, index) => (values[`:open${index}`] = status));
      conditions.push('#dueAt <= :dueBefore', `#status IN (${OPEN_STATUSES.map((_, index) => `:open${index}`).join(', ')})`);
    }
    const response = await this.deps.doc.send(
      new QueryCommand({
        TableName: this.deps.tableName,
        IndexName: BY_CUSTOMER_INDEX,
        KeyConditionExpression: '#customerKey = :customerKey',
        ...(conditions.length ? { FilterExpression: conditions.join(' AND ') } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: filter.limit,
        ExclusiveStartKey: decodePageToken(filter.nextToken),
      }),
    );
    return { items: ((response.Items ?? []) as StoredRecord[]).map(withoutPendingEvent), nextToken: encodePageToken(response.LastEvaluatedKey) };
  }

  /**
   * Open requests (or those of one open status) due at or before `dueBefore`, earliest due first per
   * status, read from the status index one open status after the other; the page token remembers which.
   */
  private async listDue(filter: ListFilter, dueBefore: string): Promise<RecordPage> {
    const statuses = OPEN_STATUSES.filter((status) => !filter.status || status === filter.status);
    const token = decodePageToken(filter.nextToken) as { statusIndex?: unknown; key?: Record<string, unknown> } | undefined;
    let statusIndex = token === undefined ? 0 : token.statusIndex;
    if (typeof statusIndex !== 'number' || !Number.isInteger(statusIndex) || statusIndex < 0) throw new InvalidInput('nextToken is not a valid page token');
    let startKey = token?.key;
    const items: RequestRecord[] = [];
    while (statusIndex < statuses.length && items.length < filter.limit) {
      const response = await this.deps.doc.send(
        new QueryCommand({
          TableName: this.deps.tableName,
          IndexName: BY_STATUS_INDEX,
          KeyConditionExpression: '#status = :status AND #dueAt <= :dueBefore',
          ExpressionAttributeNames: { '#status': 'status', '#dueAt': 'dueAt' },
          ExpressionAttributeValues: { ':status': statuses[statusIndex], ':dueBefore': dueBefore },
          Limit: filter.limit - items.length,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...((response.Items ?? []) as StoredRecord[]).map(withoutPendingEvent));
      startKey = response.LastEvaluatedKey as Record<string, unknown> | undefined;
      if (!startKey) statusIndex += 1;
    }
    const more = statusIndex < statuses.length;
    return { items, nextToken: more ? encodePageToken({ statusIndex, ...(startKey ? { key: startKey } : {}) }) : undefined };
  }

  /** Every open request due at or before `dueBefore` (all pages). */
  async openDueBefore(dueBefore: string): Promise<RequestRecord[]> {
    const records: RequestRecord[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.list({ dueBefore, limit: 100, nextToken });
      records.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken);
    return records;
  }

  /** Every request of a customer (all pages of the keyed-hash index, newest first). */
  async ofCustomer(customerKey: string): Promise<RequestRecord[]> {
    const records: RequestRecord[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.list({ customerKey, limit: 100, nextToken });
      records.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken);
    return records;
  }

  /**
   * For the erasure `erasureRequestId`: removes the raw customer id from every other record of the
   * customer (earlier exports, cancelled or failed requests) and marks them `erasedBy`; they stay
   * findable through the keyed hash. The erasure's own record keeps its id until it completes (so a
   * replay can still act). Idempotent; returns how many records it changed.
   */
  async redactCustomer(customerKey: string, erasureRequestId: string): Promise<number> {
    let changed = 0;
    for (const record of await this.ofCustomer(customerKey)) {
      if (record.requestId === erasureRequestId || (record.customerId === undefined && record.erasedBy !== undefined)) continue;
      try {
        await this.deps.doc.send(
          new UpdateCommand({
            TableName: this.deps.tableName,
            Key: { requestId: record.requestId },
            UpdateExpression: 'SET #erasedBy = if_not_exists(#erasedBy, :erasedBy), #version = #version + :one REMOVE #customerId, corrections',
            ConditionExpression: 'attribute_exists(requestId) AND #customerKey = :customerKey',
            ExpressionAttributeNames: { '#erasedBy': 'erasedBy', '#version': 'version', '#customerId': 'customerId', '#customerKey': 'customerKey' },
            ExpressionAttributeValues: { ':erasedBy': erasureRequestId, ':one': 1, ':customerKey': customerKey },
          }),
        );
        changed += 1;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    return changed;
  }

  /** Puts an event of a record (a status change by default); a failure throws `EventsUnavailable` (transient) or `EventsFailed`. */
  private async emit(record: RequestRecord, detailType: string): Promise<void> {
    let response;
    try {
      response = await this.deps.events.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: this.deps.eventBusName,
              Source: EVENT_SOURCE,
              DetailType: detailType,
              Detail: JSON.stringify(eventDetail(record)),
            },
          ],
        }),
      );
    } catch (error) {
      throw eventsError(record.requestId, error);
    }
    if (response.FailedEntryCount) {
      const entry = response.Entries?.find((candidate) => candidate.ErrorCode);
      const rejected = Object.assign(new Error(entry?.ErrorMessage ?? 'entry rejected'), { name: entry?.ErrorCode ?? 'UnknownError' });
      throw eventsError(record.requestId, rejected);
    }
  }
}
