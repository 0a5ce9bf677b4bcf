import { createHash } from 'node:crypto';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Brand } from '../../functions/core/brands';
import { getStore, resourceName } from '../../functions/core/data-map';
import { customerKey } from '../../functions/core/keyed-hash';
import { newRequestRecord, type NewRequest } from '../../functions/core/ledger';
import { settled, type ErasureContext, type ExecutionOutcome } from './erasure-helpers';

/** Shared helpers of the restriction and objection workflow and e2e tests (local AWS only). */

/** The phone number of a test customer (distinct per id). */
export function phoneOf(customerId: string): string {
  const digits = BigInt(`0x${createHash('sha256').update(customerId).digest('hex').slice(0, 12)}`) % 100_000_000n;
  return `+31 6 ${String(digits).padStart(8, '0')}`;
}

/** The email address of a test customer. */
export function emailOf(customerId: string): string {
  return `${customerId}@Example.com`;
}

/**
 * Seeds a customer with a profile, an order, three consents (email and SMS granted, post withdrawn),
 * a segment, an audience, two photo analyses and three tracked product edits.
 */
export async function seedProcessingCustomer(doc: DynamoDBDocumentClient, customerId: string, brand: Brand = 'albelli'): Promise<void> {
  const at = '2026-01-10T10:00:00.000Z';
  const items: [string, Record<string, unknown>][] = [
    ['customer-profile', { customerId, brand, firstName: 'Test', lastName: customerId, email: emailOf(customerId), phone: phoneOf(customerId), locale: 'nl-NL', country: 'NL', addresses: [], createdAt: at, lastLoginAt: at }],
    ['orders', { customerId, orderId: `o-${customerId}`, brand, status: 'delivered', paymentStatus: 'paid', orderedAt: at, invoiceNumber: `INV-${customerId}`, invoiceDate: at }],
    ['marketing', { customerId, entryId: 'consent#email', brand, channel: 'email', granted: true, address: emailOf(customerId), updatedAt: at, source: 'checkout' }],
    ['marketing', { customerId, entryId: 'consent#sms', brand, channel: 'sms', granted: true, address: phoneOf(customerId), updatedAt: at, source: 'account-settings' }],
    ['marketing', { customerId, entryId: 'consent#post', brand, channel: 'post', granted: false, address: 'Damrak 1, Amsterdam', updatedAt: at, source: 'unsubscribe-link' }],
    ['marketing', { customerId, entryId: 'segment#photo-book-buyers', brand, segment: 'photo-book-buyers', assignedAt: at, criteria: 'Ordered a photo book' }],
    ['marketing', { customerId, entryId: 'audience#meta', brand, platform: 'meta', audienceId: 'aud-1', matchKeys: ['email'], syncedAt: at }],
    ...[1, 2].map((n): [string, Record<string, unknown>] => ['smart-creation', { customerId, entryId: `analysis#p${n}`, brand, photoKey: `customers/${customerId}/p${n}.jpg`, analysedAt: at, model: 'm', qualityScore: 0.8, faces: 1, sceneLabels: [], selected: true, projectId: 'pr1' }]),
    ...[1, 2, 3].map((n): [string, Record<string, unknown>] => ['smart-creation', { customerId, entryId: `edit#2026-01-1${n}T10:00:00.000Z`, brand, projectId: 'pr1', at, action: 'change-layout', page: n }]),
  ];
  for (const [store, item] of items) await doc.send(new PutCommand({ TableName: resourceName(getStore(store)), Item: item }));
}

/** Every item of a customer in a table store keyed by `customerId`, sorted by its sort key. */
export async function itemsOf(doc: DynamoDBDocumentClient, storeId: string, customerId: string): Promise<Record<string, unknown>[]> {
  const store = getStore(storeId);
  const response = await doc.send(
    new QueryCommand({ TableName: resourceName(store), KeyConditionExpression: 'customerId = :id', ExpressionAttributeValues: { ':id': customerId }, ConsistentRead: true }),
  );
  return response.Items ?? [];
}

/** Writes a pending request of a processing type to the ledger, as the request API does. */
export async function createProcessingRecord(
  ctx: ErasureContext,
  request: { requestId: string; customerId: string; brand?: Brand } & Pick<NewRequest, 'restriction' | 'objection'>,
): Promise<void> {
  const { requestId, customerId, brand = 'albelli', restriction, objection } = request;
  await ctx.ledger.create(
    newRequestRecord({
      requestId,
      type: restriction ? 'restriction' : 'objection',
      customerId,
      customerKey: customerKey(customerId),
      brand,
      bodyHash: requestId,
      receivedAt: new Date(),
      caller: 'token:workflow-test',
      verification: { method: 'email-code', verifiedBy: 'portal', verifiedAt: '2026-01-10T09:00:00.000Z' },
      ...(restriction ? { restriction } : { objection }),
    }),
  );
}

/** Starts an execution of a workflow (name = request id or a replay name) and waits for it to end. */
export async function runWorkflow(ctx: ErasureContext, workflow: 'restriction' | 'objection', name: string, requestId: string, brand: Brand = 'albelli'): Promise<ExecutionOutcome & { executionArn: string }> {
  const started = await ctx.sfn.send(
    new StartExecutionCommand({ stateMachineArn: ctx.aws.stateMachineArns[`dsr-${workflow}`], name, input: JSON.stringify({ requestId, type: workflow, brand }) }),
  );
  return { executionArn: started.executionArn!, ...(await settled(ctx, started.executionArn!)) };
}
