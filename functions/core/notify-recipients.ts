import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { BRANDS } from './brands';
import { readOptionalJson } from './connectors/s3-store';
import { CUSTOMER_STORES, type Recipient, type RecipientIdentifier } from './data-map';
import { StoreUnavailable, storeError, SubjectRedacted } from './errors';
import type { Ledger, RequestRecord } from './ledger';
import { recordNotificationsSent } from './notification-ledger';
import { workflowRequestId } from './workflow-input';
import { RECTIFIED_STORES } from './rectification/apply';
import { correctedFields } from './rectification/corrections';

/**
 * Art. 19 notifications, for every request type that changes what recipients hold (erasure,
 * rectification, restriction, objection, ...): the request's type comes from the ledger, its scope
 * (action and the stores it changes) from `RECIPIENT_SCOPES`, and every recipient of those stores that
 * the data map marks `notify` gets one EventBridge event (source `dsr.recipient`, detail-type
 * `Recipient Notification`), which a rule per recipient delivers to the recipient's own queue
 * (`infra/recipients.ts`; locally the local EventBridge). The detail carries the idempotency key
 * `<requestId>:<recipientId>`, the type and action, the stores, and the one identifier the data map
 * gives the recipient (`customerId` or `customerKey`), never a name, email address or phone number.
 * The notified recipients are recorded in the audit bucket (`notifications/<requestId>.json`), so a
 * replay does not notify again, and on the ledger record (`sent` per recipient, then `acknowledged`).
 */

/** EventBridge source of recipient notifications. */
export const RECIPIENT_EVENT_SOURCE = 'dsr.recipient';

/** EventBridge detail-type of recipient notifications. */
export const RECIPIENT_NOTIFICATION_DETAIL_TYPE = 'Recipient Notification';

/** Most entries EventBridge accepts in one PutEvents. */
const PUT_EVENTS_LIMIT = 10;

/** What a request asks of the recipients: the action, the stores it changes, and non-personal details for them. */
export interface RecipientScope {
  /** What the recipient is to do, e.g. `erase`. */
  action: string;
  /** The stores the request changes: their notified recipients are told. */
  stores: readonly string[];
  /** Extra detail fields a recipient needs (ids and names of fields only, never personal data). */
  details?: Record<string, string | readonly string[]>;
}

/** Every business store (the default scope). */
const ALL_STORES: readonly string[] = CUSTOMER_STORES.map((store) => store.id);

/**
 * The scope of each request type that notifies recipients; a type without an entry tells the recipients
 * of every store, with its type as the action. A new type adds its entry here (stores it changes).
 */
export const RECIPIENT_SCOPES: Partial<Record<RequestRecord['type'], (record: RequestRecord) => RecipientScope>> = {
  erasure: () => ({ action: 'erase', stores: ALL_STORES }),
  // Restriction and objection (functions/core/processing/): the stores of the restricted scope or the objected purpose.
  restriction: (record) => ({
    action: record.restriction!.action,
    stores: record.restriction!.scope === 'all' ? ALL_STORES : [record.restriction!.scope],
    details: { scope: record.restriction!.scope, ...(record.restriction!.ground ? { ground: record.restriction!.ground } : {}) },
  }),
  objection: (record) => ({
    action: 'object',
    stores: [record.objection!.purpose === 'direct-marketing' ? 'marketing' : 'smart-creation'],
    details: { purpose: record.objection!.purpose },
  }),
  // Rectification (functions/core/rectification/): the corrected stores, with the corrected field names (never values).
  rectification: (record) => ({ action: 'rectify', stores: RECTIFIED_STORES, details: { fields: record.corrections ? correctedFields(record.corrections) : [] } }),
};

/** The scope of a request (its type's entry, else every store with the type as the action). */
export function recipientScope(record: RequestRecord): RecipientScope {
  return RECIPIENT_SCOPES[record.type]?.(record) ?? { action: record.type, stores: ALL_STORES };
}

/** One notified recipient, as the notification record and the certificate list it. */
export const notifiedRecipientSchema = z.object({ id: z.string(), name: z.string(), stores: z.array(z.string()) });

/** One notified recipient. */
export type NotifiedRecipient = z.infer<typeof notifiedRecipientSchema>;

/** A recipient to notify: the record entry plus the identifier it gets. */
export interface RecipientToNotify extends NotifiedRecipient {
  identifier: RecipientIdentifier;
}

/** Every recipient the data map marks `notify` (once each, in data-map order), with the identifier it gets. */
export const NOTIFIED_RECIPIENTS: readonly (Recipient & { notification: { notify: true } })[] = [
  ...new Map(
    CUSTOMER_STORES.flatMap((store) => store.recipients)
      .filter((recipient): recipient is Recipient & { notification: { notify: true } } => recipient.notification.notify)
      .map((recipient) => [recipient.id, recipient]),
  ).values(),
];

/** The recipients of the scope's stores to notify, each with the stores of the scope it receives. */
export function recipientsToNotify(scope: Pick<RecipientScope, 'stores'>): RecipientToNotify[] {
  const byId = new Map<string, RecipientToNotify>();
  for (const store of CUSTOMER_STORES.filter((candidate) => scope.stores.includes(candidate.id))) {
    for (const recipient of store.recipients) {
      if (!recipient.notification.notify) continue;
      const entry = byId.get(recipient.id) ?? { id: recipient.id, name: recipient.name, stores: [], identifier: recipient.notification.identifier };
      entry.stores.push(store.id);
      byId.set(recipient.id, entry);
    }
  }
  return [...byId.values()];
}

/** The SQS queue name of a recipient's channel (its dead-letter queue adds `-dlq`). */
export function recipientQueueName(prefix: string, recipientId: string): string {
  return `${prefix}-recipient-${recipientId}`;
}

/** The EventBridge pattern of a recipient's rule: its notifications only. */
export function recipientEventPattern(recipientId: string): { source: string[]; 'detail-type': string[]; detail: { recipientId: string[] } } {
  return { source: [RECIPIENT_EVENT_SOURCE], 'detail-type': [RECIPIENT_NOTIFICATION_DETAIL_TYPE], detail: { recipientId: [recipientId] } };
}

/** Input of `notify-processors`. */
export const notifyRecipientsInput = z.object({
  requestId: workflowRequestId,
  brand: z.enum(BRANDS),
});

/** Output of `notify-processors`: the record of the notifications of one request. */
export const notificationOutput = z.object({ requestId: z.string(), notifiedAt: z.string(), recipients: z.array(notifiedRecipientSchema) });

/** The record of the notifications of one request. */
export type NotificationRecord = z.infer<typeof notificationOutput>;

/** What the notifier needs. */
export interface NotifyDeps {
  events: EventBridgeClient;
  s3: S3Client;
  /** The request ledger: the request's type and identifiers, and its table for the notifications on the record. */
  ledger: Pick<Ledger, 'get' | 'table'>;
  eventBusName: string;
  auditBucket: string;
  now?: () => Date;
}

/** Audit key of a request's notification record. */
export function notificationKey(requestId: string): string {
  return `notifications/${requestId}.json`;
}

/** The detail of one recipient's event. */
export function notificationDetail(record: RequestRecord, scope: RecipientScope, recipient: RecipientToNotify, sentAt: string): Record<string, unknown> {
  if (recipient.identifier === 'customer-id' && !record.customerId) {
    throw new SubjectRedacted(`Request ${record.requestId} no longer holds a customer id; recipient ${recipient.id} cannot be told`);
  }
  const identifier = recipient.identifier === 'customer-key' ? { customerKey: record.customerKey } : { customerId: record.customerId };
  return {
    idempotencyKey: `${record.requestId}:${recipient.id}`,
    requestId: record.requestId,
    recipientId: recipient.id,
    type: record.type,
    action: scope.action,
    brand: record.brand,
    stores: recipient.stores,
    ...identifier,
    ...scope.details,
    sentAt,
    acknowledge: `/v1/requests/${record.requestId}/notifications/${recipient.id}/ack`,
  };
}

/**
 * Emits one event per recipient the request concerns, once per request, and returns the notification
 * record; a replay returns the stored record (and makes sure the ledger lists it).
 */
export async function notifyRecipients(deps: NotifyDeps, input: z.infer<typeof notifyRecipientsInput>): Promise<NotificationRecord> {
  const existing = await readOptionalJson<NotificationRecord>(deps.s3, 'audit', deps.auditBucket, notificationKey(input.requestId));
  if (existing) {
    await recordNotificationsSent(deps.ledger.table(), input.requestId, existing.recipients.map((recipient) => recipient.id), existing.notifiedAt);
    return existing;
  }
  const request = await deps.ledger.get(input.requestId);
  const scope = recipientScope(request);
  const recipients = recipientsToNotify(scope);
  const notifiedAt = (deps.now?.() ?? new Date()).toISOString();
  const entries: PutEventsRequestEntry[] = recipients.map((recipient) => ({
    EventBusName: deps.eventBusName,
    Source: RECIPIENT_EVENT_SOURCE,
    DetailType: RECIPIENT_NOTIFICATION_DETAIL_TYPE,
    Detail: JSON.stringify(notificationDetail(request, scope, recipient, notifiedAt)),
  }));
  for (let start = 0; start < entries.length; start += PUT_EVENTS_LIMIT) {
    let response;
    try {
      response = await deps.events.send(new PutEventsCommand({ Entries: entries.slice(start, start + PUT_EVENTS_LIMIT) }));
    } catch (error) {
      throw storeError('event-bus', error);
    }
    if (response.FailedEntryCount) {
      const codes = [...new Set((response.Entries ?? []).map((entry) => entry.ErrorCode).filter(Boolean))].join(', ');
      throw new StoreUnavailable(`EventBridge rejected ${response.FailedEntryCount} recipient notifications (${codes || 'unknown'})`);
    }
  }
  const record: NotificationRecord = {
    requestId: input.requestId,
    notifiedAt,
    recipients: recipients.map(({ id, name, stores }) => ({ id, name, stores })),
  };
  await recordNotificationsSent(deps.ledger.table(), input.requestId, recipients.map((recipient) => recipient.id), notifiedAt);
  try {
    await deps.s3.send(
      new PutObjectCommand({ Bucket: deps.auditBucket, Key: notificationKey(input.requestId), Body: JSON.stringify(record), ContentType: 'application/json' }),
    );
  } catch (error) {
    throw storeError('audit', error);
  }
  return record;
}
