import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { workflowRequestId } from '../workflow-input';
import { BRANDS } from '../brands';
import { readOptionalJson } from '../connectors/s3-store';
import { CUSTOMER_STORES } from '../data-map';
import { StoreUnavailable, storeError } from '../errors';
import { customerKey } from '../keyed-hash';
import { suppressionKeysOutput } from './suppression';
import type { Subject } from '../subject';

/**
 * Art. 19 notifications: every recipient of a store marked `notifyOnErasure` (the
 * email-marketing provider, social-media audiences, ...) gets one EventBridge event (source
 * `dsr.erasure`, detail-type `Erasure Requested`). The detail holds the request id, the recipient, the
 * hashed customer id and the keyed hashes of the email addresses and phone numbers for the processor's
 * matching, never raw data. The notified recipients are recorded in the audit bucket
 * (`notifications/<requestId>.json`), so a replay does not notify again.
 */

/** EventBridge source of erasure notifications. */
export const ERASURE_EVENT_SOURCE = 'dsr.erasure';

/** EventBridge detail-type of erasure notifications. */
export const ERASURE_REQUESTED_DETAIL_TYPE = 'Erasure Requested';

/** Most entries EventBridge accepts in one PutEvents. */
const PUT_EVENTS_LIMIT = 10;

/** Input of `notify-processors`. */
export const notifyProcessorsInput = z.object({
  requestId: workflowRequestId,
  brand: z.enum(BRANDS),
  suppression: suppressionKeysOutput,
});

/** One notified recipient. */
export const notifiedRecipientSchema = z.object({ id: z.string(), name: z.string(), stores: z.array(z.string()) });

/** One notified recipient. */
export type NotifiedRecipient = z.infer<typeof notifiedRecipientSchema>;

/** Output of `notify-processors`: the record of the notifications of one request. */
export const notificationOutput = z.object({ requestId: z.string(), notifiedAt: z.string(), recipients: z.array(notifiedRecipientSchema) });

/** The record of the notifications of one request. */
export type NotificationRecord = z.infer<typeof notificationOutput>;

/** What the notifier needs. */
export interface NotifyDeps {
  events: EventBridgeClient;
  s3: S3Client;
  eventBusName: string;
  auditBucket: string;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

/** The recipients of every store that must be told about an erasure, with the stores they receive. */
export function recipientsToNotify(): NotifiedRecipient[] {
  const byId = new Map<string, NotifiedRecipient>();
  for (const store of CUSTOMER_STORES) {
    for (const recipient of store.recipients.filter((candidate) => candidate.notifyOnErasure)) {
      const entry = byId.get(recipient.id) ?? { id: recipient.id, name: recipient.name, stores: [] };
      entry.stores.push(store.id);
      byId.set(recipient.id, entry);
    }
  }
  return [...byId.values()];
}

/** Audit key of a request's notification record. */
export function notificationKey(requestId: string): string {
  return `notifications/${requestId}.json`;
}

/** The stored notification record, or undefined when none exists. */
function readRecord(deps: NotifyDeps, requestId: string): Promise<NotificationRecord | undefined> {
  return readOptionalJson<NotificationRecord>(deps.s3, 'audit', deps.auditBucket, notificationKey(requestId));
}

/** Emits the erasure events (once per request) and returns the notification record. */
export async function notifyProcessors(deps: NotifyDeps, input: z.infer<typeof notifyProcessorsInput> & Subject): Promise<NotificationRecord> {
  const existing = await readRecord(deps, input.requestId);
  if (existing) return existing;
  const recipients = recipientsToNotify();
  const hashedCustomerId = customerKey(input.customerId, deps.env?.DSR_HASH_KEY);
  const entries: PutEventsRequestEntry[] = recipients.map((recipient) => ({
    EventBusName: deps.eventBusName,
    Source: ERASURE_EVENT_SOURCE,
    DetailType: ERASURE_REQUESTED_DETAIL_TYPE,
    Detail: JSON.stringify({
      requestId: input.requestId,
      idempotencyKey: `${input.requestId}:${recipient.id}`,
      recipientId: recipient.id,
      brand: input.brand,
      stores: recipient.stores,
      customerKey: hashedCustomerId,
      emailHashes: input.suppression.emailHashes,
      phoneHashes: input.suppression.phoneHashes,
    }),
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
      throw new StoreUnavailable(`EventBridge rejected ${response.FailedEntryCount} erasure notifications (${codes || 'unknown'})`);
    }
  }
  const record: NotificationRecord = { requestId: input.requestId, notifiedAt: (deps.now?.() ?? new Date()).toISOString(), recipients };
  try {
    await deps.s3.send(
      new PutObjectCommand({ Bucket: deps.auditBucket, Key: notificationKey(input.requestId), Body: JSON.stringify(record), ContentType: 'application/json' }),
    );
  } catch (error) {
    throw storeError('audit', error);
  }
  return record;
}
