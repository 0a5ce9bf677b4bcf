import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Brand } from '../../functions/core/brands';
import { customerObjectLocation } from '../../functions/core/connectors/s3-store';
import { readCustomerItems, type Item } from '../../functions/core/connectors/dynamodb-store';
import { CUSTOMER_STORES, resourceName, type StoreDefinition } from '../../functions/core/data-map';
import { customerKey } from '../../functions/core/keyed-hash';
import { newRequestRecord, type Ledger } from '../../functions/core/ledger';
import type { LocalAws } from '../../local/runtime';

/** Shared helpers of the erasure workflow, restore and e2e tests (local AWS only). */

/** What the helpers need from a running local AWS. */
export interface ErasureContext {
  aws: LocalAws;
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  sfn: SFNClient;
  ledger: Ledger;
}

/** Writes a pending erasure request to the ledger, as the request API does. */
export async function createErasureRecord(ctx: ErasureContext, requestId: string, customerId: string, brand: Brand, notBefore?: string): Promise<void> {
  await ctx.ledger.create(
    newRequestRecord({ requestId, type: 'erasure', customerId, customerKey: customerKey(customerId), brand, bodyHash: requestId, receivedAt: new Date(), notBefore }),
  );
}

/** Final state of an execution. */
export interface ExecutionOutcome {
  status: string;
  output?: Record<string, unknown>;
  error?: string;
  cause?: string;
}

/** Starts an erasure execution (name = request id, or a replay name) and waits for it to end. */
export async function runErasure(ctx: ErasureContext, name: string, input: Record<string, unknown>): Promise<ExecutionOutcome & { executionArn: string }> {
  const started = await ctx.sfn.send(
    new StartExecutionCommand({ stateMachineArn: ctx.aws.stateMachineArns['dsr-erasure'], name, input: JSON.stringify({ type: 'erasure', ...input }) }),
  );
  return { executionArn: started.executionArn!, ...(await settled(ctx, started.executionArn!)) };
}

/** Waits until an execution is no longer running. */
export async function settled(ctx: ErasureContext, executionArn: string): Promise<ExecutionOutcome> {
  for (;;) {
    const execution = await ctx.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') {
      return { status: execution.status!, output: execution.output ? JSON.parse(execution.output) : undefined, error: execution.error, cause: execution.cause };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Names of the states an execution entered, in order. */
export async function enteredStates(ctx: ErasureContext, executionArn: string): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
    for (const event of page.events ?? []) if (event.stateEnteredEventDetails?.name) names.push(event.stateEnteredEventDetails.name);
    nextToken = page.nextToken;
  } while (nextToken);
  return names;
}

/** The attribute that holds the customer id in a DynamoDB store's items. */
function customerAttribute(store: StoreDefinition): string {
  const locator = store.locator!;
  if (locator.by === 'key-prefix') throw new Error('not a table');
  return locator.by === 'index' ? locator.indexPartitionKey : locator.partitionKey;
}

/**
 * A checksum map of every business store's content (every item of every table, every object's ETag
 * and size), leaving out the data of the given customers (own and retained records, own prefixes).
 */
export async function snapshotExcept(ctx: ErasureContext, customers: { customerId: string; brand: Brand }[]): Promise<Map<string, string>> {
  const snapshot = new Map<string, string>();
  const excludedValues = new Set(customers.flatMap(({ customerId }) => [customerId, `retained#${customerKey(customerId)}`]));
  for (const store of CUSTOMER_STORES) {
    const name = resourceName(store);
    if (store.kind === 'dynamodb-table') {
      const attribute = customerAttribute(store);
      let startKey: Item | undefined;
      do {
        const page = await ctx.doc.send(new ScanCommand({ TableName: name, ExclusiveStartKey: startKey }));
        for (const item of page.Items ?? []) {
          if (excludedValues.has(String(item[attribute]))) continue;
          const key = JSON.stringify([item[store.table!.partitionKey], store.table!.sortKey ? item[store.table!.sortKey] : null]);
          snapshot.set(`${store.id}:${key}`, createHash('sha256').update(JSON.stringify(item, Object.keys(item).sort())).digest('hex'));
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      continue;
    }
    const prefixes = customers.flatMap(({ customerId }) => customerObjectLocation(store, customerId).prefixes);
    let token: string | undefined;
    do {
      const page = await ctx.s3.send(new ListObjectsV2Command({ Bucket: name, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (prefixes.some((prefix) => object.Key!.startsWith(prefix))) continue;
        snapshot.set(`${store.id}:${object.Key}`, `${object.ETag}:${object.Size}`);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  return snapshot;
}

/** What is left of a customer per store: own records/objects and retained records. */
export async function customerLeft(ctx: ErasureContext, customerId: string): Promise<Record<string, { own: number; retained: Item[] }>> {
  const left: Record<string, { own: number; retained: Item[] }> = {};
  for (const store of CUSTOMER_STORES) {
    const entry = { own: 0, retained: [] as Item[] };
    if (store.kind === 's3-bucket') {
      const { bucket, prefixes } = customerObjectLocation(store, customerId);
      for (const prefix of prefixes) {
        let token: string | undefined;
        do {
          const page = await ctx.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
          entry.own += page.KeyCount ?? 0;
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      }
    } else {
      for await (const page of readCustomerItems(ctx.doc, store, customerId, { consistentRead: true })) {
        if (page.retained) entry.retained.push(...page.items);
        else entry.own += page.items.length;
      }
    }
    left[store.id] = entry;
  }
  return left;
}

/** Reads a JSON object from S3. */
export async function readJson<T>(s3: S3Client, bucket: string, key: string): Promise<T> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await response.Body!.transformToString()) as T;
}
