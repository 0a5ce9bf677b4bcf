import { createHash } from 'node:crypto';
import { QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isBrand, type Brand } from '../brands';
import type { Item } from '../connectors/dynamodb-store';
import { getStore, resourceName, type InactiveAccountRule, type StoreDefinition } from '../data-map';
import { storeError } from '../errors';
import type { RunFile } from './plan';
import { inactivePeriod, isInactive } from './rules';
import { noStoreCounts, type StoreCounts } from './counts';

/**
 * Inactive accounts (the customer profile's `inactive-account` rule): an account with no login and no
 * order for the configured period (`inactiveAccountMonths`, default 36) gets an erasure request, created
 * through the request API's own core (`createRequest`: brand check, open-request marker, ledger record,
 * execution), so it runs the normal erasure path: cooling-off, legal-hold check, certificate. The request
 * id is derived from the run and the customer, so a retried task finds its own request; a customer with
 * an open erasure already (the open marker) gets no second one. Held customers get none; with the
 * setting `disabled` or on a dry run accounts are only counted.
 */

/** What creating an inactive account's erasure request answered: a new request, or one already open. */
export type ErasureRequestOutcome = 'created' | 'already-open';

/** Creates the erasure request (reason `retention`) of an inactive account. */
export type RequestErasure = (request: { requestId: string; customerId: string; brand: Brand }) => Promise<ErasureRequestOutcome>;

/** What the inactive-account sweep needs. */
export interface InactiveDeps {
  doc: DynamoDBDocumentClient;
  requestErasure: RequestErasure;
  env?: NodeJS.ProcessEnv;
}

/** One profile segment to sweep. */
export interface InactiveSegment {
  store: StoreDefinition;
  rule: InactiveAccountRule;
  run: RunFile;
  now: Date;
  held: ReadonlySet<string>;
  keyOf: (customerId: string) => string;
  segment: number;
  totalSegments: number;
}

/** The request id of a run's erasure request for a customer: a UUID (version 8) from the run id and the customer key. */
export function retentionRequestId(runId: string, customerKey: string): string {
  const hex = createHash('sha256').update(`retention:${runId}:${customerKey}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The order dates of a customer's own orders (consistent query of the own partition, dates only). */
async function orderDates(deps: InactiveDeps, customerId: string, attribute: string): Promise<string[]> {
  const orders = getStore('orders');
  const dates: string[] = [];
  let exclusiveStartKey: Item | undefined;
  do {
    let page;
    try {
      page = await deps.doc.send(
        new QueryCommand({
          TableName: resourceName(orders, deps.env),
          KeyConditionExpression: '#pk = :customerId',
          ProjectionExpression: '#date',
          ExpressionAttributeNames: { '#pk': orders.table!.partitionKey, '#date': attribute },
          ExpressionAttributeValues: { ':customerId': customerId },
          ConsistentRead: true,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
    } catch (error) {
      throw storeError(orders.id, error);
    }
    for (const item of (page.Items ?? []) as Item[]) if (typeof item[attribute] === 'string') dates.push(item[attribute] as string);
    exclusiveStartKey = page.LastEvaluatedKey as Item | undefined;
  } while (exclusiveStartKey);
  return dates;
}

/**
 * Sweeps one parallel-scan segment of the profiles: counts accounts examined and inactive, creates the
 * erasure requests (`removed`: on the erasure path, created now or already open), and counts the
 * inactive ones left without a request (`remaining`: dry run or disabled).
 */
export async function sweepInactiveAccounts(deps: InactiveDeps, segment: InactiveSegment): Promise<StoreCounts> {
  const { store, rule, run } = segment;
  const counts = noStoreCounts(store.id);
  const period = inactivePeriod(run.inactiveAccounts.months);
  const partitionKey = store.table!.partitionKey;
  let exclusiveStartKey: Item | undefined;
  do {
    let page;
    try {
      page = await deps.doc.send(
        new ScanCommand({
          TableName: resourceName(store, deps.env),
          Segment: segment.segment,
          TotalSegments: segment.totalSegments,
          ProjectionExpression: '#pk, #brand, #login, #created',
          ExpressionAttributeNames: { '#pk': partitionKey, '#brand': 'brand', '#login': rule.lastLoginAttribute, '#created': 'createdAt' },
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
    } catch (error) {
      throw storeError(store.id, error);
    }
    for (const profile of (page.Items ?? []) as Item[]) {
      counts.examined += 1;
      const customerId = String(profile[partitionKey]);
      // The last login counts; an account that never logged in counts from its creation.
      const login = (profile[rule.lastLoginAttribute] ?? profile.createdAt) as string | undefined;
      if (!isInactive([login], period, segment.now)) continue;
      if (!isInactive([login, ...(await orderDates(deps, customerId, rule.orderedAtAttribute))], period, segment.now)) continue;
      counts.expired += 1;
      const key = segment.keyOf(customerId);
      if (segment.held.has(key)) counts.heldSkipped += 1;
      // Without a brand of the group no request can be made: it stays, and the alarm on `remaining` tells ops.
      else if (run.dryRun || !run.inactiveAccounts.enabled || !isBrand(profile.brand)) counts.remaining += 1;
      else {
        await deps.requestErasure({ requestId: retentionRequestId(run.runId, key), customerId, brand: profile.brand });
        counts.removed += 1;
      }
    }
    exclusiveStartKey = page.LastEvaluatedKey as Item | undefined;
  } while (exclusiveStartKey);
  return counts;
}
