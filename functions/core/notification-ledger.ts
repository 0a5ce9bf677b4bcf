import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, NotificationNotFound, RequestNotFound, storeError } from './errors';
import type { RecipientNotificationState, RequestRecord } from './ledger';

/**
 * The Art. 19 notifications on the request's ledger record: `notifications` maps each notified
 * recipient to its `sentAt` and, once it said so, `acknowledgedAt`. While any is unacknowledged the
 * record carries the sparse-index keys `unacknowledged` (= `notifications`) and `unacknowledgedSince`
 * (the send time), so the daily check reads only those records (index `byUnacknowledged`); the last
 * acknowledgement removes them. Both keys are internal: the ledger never returns them.
 */

/** Name of the ledger's sparse index of records with an unacknowledged notification. */
export const BY_UNACKNOWLEDGED_INDEX = 'byUnacknowledged';

/** Partition value of every record in `byUnacknowledged`. */
const UNACKNOWLEDGED = 'notifications';

/** Name of the metric of notifications unacknowledged past the setting (namespace `DSR`). */
export const UNACKNOWLEDGED_METRIC = 'UnacknowledgedNotifications';

/** What the notification ledger needs. */
export interface NotificationLedgerDeps {
  doc: DynamoDBDocumentClient;
  tableName: string;
  now?: () => Date;
}

/** Runs a ledger call, naming the ledger on a failure other than a lost condition. */
async function named<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isConditionFailure(error)) throw error;
    throw storeError('request-ledger', error);
  }
}

/** The record as stored (consistent read), or undefined. */
async function stored(deps: NotificationLedgerDeps, requestId: string): Promise<RequestRecord | undefined> {
  const response = await named(() => deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: { requestId }, ConsistentRead: true })));
  return response.Item as RequestRecord | undefined;
}

/**
 * Records that `recipients` were notified at `sentAt`, once: a record that lists notifications already
 * keeps them (a replay, or a repeat after a crash). Nothing is written for no recipients.
 */
export async function recordNotificationsSent(deps: NotificationLedgerDeps, requestId: string, recipients: readonly string[], sentAt: string): Promise<void> {
  if (recipients.length === 0) return;
  const notifications: Record<string, RecipientNotificationState> = Object.fromEntries(recipients.map((recipient) => [recipient, { sentAt }]));
  try {
    await named(() =>
      deps.doc.send(
        new UpdateCommand({
        TableName: deps.tableName,
        Key: { requestId },
        UpdateExpression: 'SET #notifications = :notifications, #unacknowledged = :unacknowledged, #since = :sentAt, #updatedAt = :now, #version = #version + :one',
        ConditionExpression: 'attribute_exists(requestId) AND attribute_not_exists(#notifications)',
        ExpressionAttributeNames: { '#notifications': 'notifications', '#unacknowledged': 'unacknowledged', '#since': 'unacknowledgedSince', '#updatedAt': 'updatedAt', '#version': 'version' },
        ExpressionAttributeValues: { ':notifications': notifications, ':unacknowledged': UNACKNOWLEDGED, ':sentAt': sentAt, ':now': (deps.now?.() ?? new Date()).toISOString(), ':one': 1 },
        }),
      ),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    if (!(await stored(deps, requestId))) throw new RequestNotFound(`Request ${requestId} not found`);
  }
}

/**
 * Records a recipient's acknowledgement (`acknowledged: true`); a repeat keeps the first one and changes
 * nothing (`acknowledged: false`, idempotent). `RequestNotFound` for an unknown request,
 * `NotificationNotFound` for a recipient the request did not notify; neither writes anything. The last
 * acknowledgement takes the record out of the unacknowledged index.
 */
export async function acknowledgeNotification(deps: NotificationLedgerDeps, requestId: string, recipient: string): Promise<{ acknowledged: boolean }> {
  const now = (deps.now?.() ?? new Date()).toISOString();
  let record: RequestRecord;
  try {
    const response = await named(() =>
      deps.doc.send(
        new UpdateCommand({
        TableName: deps.tableName,
        Key: { requestId },
        UpdateExpression: 'SET #notifications.#recipient.#acknowledgedAt = :now, #updatedAt = :now, #version = #version + :one',
        ConditionExpression: 'attribute_exists(#notifications.#recipient) AND attribute_not_exists(#notifications.#recipient.#acknowledgedAt)',
        ExpressionAttributeNames: { '#notifications': 'notifications', '#recipient': recipient, '#acknowledgedAt': 'acknowledgedAt', '#updatedAt': 'updatedAt', '#version': 'version' },
        ExpressionAttributeValues: { ':now': now, ':one': 1 },
        ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    record = response.Attributes as RequestRecord;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const current = await stored(deps, requestId);
    if (!current) throw new RequestNotFound(`Request ${requestId} not found`);
    if (!current.notifications?.[recipient]) throw new NotificationNotFound(`Request ${requestId} notified no recipient "${recipient}"`);
    return { acknowledged: false };
  }
  if (Object.values(record.notifications ?? {}).every((state) => state.acknowledgedAt)) {
    await named(() =>
      deps.doc.send(
        new UpdateCommand({
          TableName: deps.tableName,
          Key: { requestId },
          UpdateExpression: 'REMOVE #unacknowledged, #since',
          ConditionExpression: 'attribute_exists(requestId)',
          ExpressionAttributeNames: { '#unacknowledged': 'unacknowledged', '#since': 'unacknowledgedSince' },
        }),
      ),
    );
  }
  return { acknowledged: true };
}

/** One notification still unacknowledged past the limit. */
export interface UnacknowledgedEntry {
  requestId: string;
  type: RequestRecord['type'];
  recipient: string;
  sentAt: string;
}

/** Every recipient notification sent at or before `sentBefore` and not acknowledged, oldest first. */
export async function unacknowledgedBefore(deps: NotificationLedgerDeps, sentBefore: string): Promise<UnacknowledgedEntry[]> {
  const entries: UnacknowledgedEntry[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const response = await named(() =>
      deps.doc.send(
        new QueryCommand({
        TableName: deps.tableName,
        IndexName: BY_UNACKNOWLEDGED_INDEX,
        KeyConditionExpression: '#unacknowledged = :unacknowledged AND #since <= :before',
        ExpressionAttributeNames: { '#unacknowledged': 'unacknowledged', '#since': 'unacknowledgedSince' },
        ExpressionAttributeValues: { ':unacknowledged': UNACKNOWLEDGED, ':before': sentBefore },
        ExclusiveStartKey: startKey,
        }),
      ),
    );
    for (const item of (response.Items ?? []) as RequestRecord[]) {
      for (const [recipient, state] of Object.entries(item.notifications ?? {})) {
        if (!state.acknowledgedAt && state.sentAt <= sentBefore) entries.push({ requestId: item.requestId, type: item.type, recipient, sentAt: state.sentAt });
      }
    }
    startKey = response.LastEvaluatedKey as Record<string, unknown> | undefined;
  } while (startKey);
  return entries.sort((left, right) => left.sentAt.localeCompare(right.sentAt) || left.requestId.localeCompare(right.requestId));
}

/** The outcome of the daily acknowledgement check. */
export interface AcknowledgementReport {
  checkedAt: string;
  /** Notifications sent at or before this instant count when unacknowledged. */
  sentBefore: string;
  unacknowledged: UnacknowledgedEntry[];
}

/**
 * The daily check: the notifications unacknowledged `days` after they were sent, published as the
 * metric `UnacknowledgedNotifications` (their count; 0 when none) for the alarm.
 */
export async function checkAcknowledgements(deps: NotificationLedgerDeps & { metrics: Metrics; days: number }): Promise<AcknowledgementReport> {
  const now = deps.now?.() ?? new Date();
  const sentBefore = new Date(now.getTime() - deps.days * 86_400_000).toISOString();
  const unacknowledged = await unacknowledgedBefore(deps, sentBefore);
  deps.metrics.addMetric(UNACKNOWLEDGED_METRIC, MetricUnit.Count, unacknowledged.length);
  deps.metrics.publishStoredMetrics();
  return { checkedAt: now.toISOString(), sentBefore, unacknowledged };
}
