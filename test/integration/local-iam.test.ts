import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStore, resourceName } from '../../functions/core/data-map';
import { documentClient, eventBridgeClient, s3Client } from '../../functions/shared/clients';
import { runAs, stateMachinePrincipal } from '../../local/iam-enforcement';
import { startLocalAws, type LocalAws } from '../../local/runtime';

/**
 * Local IAM: catalog functions replaced by probes that make one AWS call each run under the real
 * function's role, as the stack synthesizes it; a call outside the role's policy fails as in AWS.
 */

type Probe =
  | { op: 'put-object'; bucket: string; key: string }
  | { op: 'list'; bucket: string; prefix: string }
  | { op: 'get-item'; table: string }
  | { op: 'query'; table: string; partitionKey: string }
  | { op: 'put-event' }
  | { op: 'secrets' };

/** Runs one probe call; returns `ok` or the error's name and HTTP status. */
async function probe(event: Probe): Promise<unknown> {
  try {
    switch (event.op) {
      case 'put-object':
        await s3Client().send(new PutObjectCommand({ Bucket: event.bucket, Key: event.key, Body: 'x' }));
        break;
      case 'list':
        await s3Client().send(new ListObjectsV2Command({ Bucket: event.bucket, Prefix: event.prefix }));
        break;
      case 'get-item':
        await documentClient().send(new GetCommand({ TableName: event.table, Key: { customerId: 'c404' } }));
        break;
      case 'query':
        await documentClient().send(
          new QueryCommand({ TableName: event.table, KeyConditionExpression: '#k = :v', ExpressionAttributeNames: { '#k': event.partitionKey }, ExpressionAttributeValues: { ':v': 'c404' } }),
        );
        break;
      case 'put-event':
        await eventBridgeClient().send(new PutEventsCommand({ Entries: [{ EventBusName: process.env.DSR_EVENT_BUS_NAME, Source: 'dsr.test', DetailType: 'Probe', Detail: '{}' }] }));
        break;
      case 'secrets':
        return { hashKey: process.env.DSR_HASH_KEY !== undefined, callbackSecret: process.env.DSR_CALLBACK_SECRET !== undefined };
    }
    return 'ok';
  } catch (error) {
    const failure = error as { name: string; $metadata?: { httpStatusCode?: number }; message: string };
    return { error: failure.name, status: failure.$metadata?.httpStatusCode, message: failure.message };
  }
}

const PROBED = ['api', 'erase-orders', 'collect-exports', 'mark-in-progress', 'deliver-callback'];

describe('local IAM from the synthesized policies', () => {
  let local: LocalAws;
  let dataDir: string;
  const exportsBucket = resourceName(getStore('exports'));
  const profileTable = resourceName(getStore('customer-profile'));
  const ordersTable = resourceName(getStore('orders'));
  const run = async (functionId: string, event: Probe) => (await local.lambda.invoke(`dsr-${functionId}`, event)).Payload;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dsr-local-iam-'));
    local = await startLocalAws({ dataDir, extraFunctions: Object.fromEntries(PROBED.map((id) => [`dsr-${id}`, (event: unknown) => probe(event as Probe)])) });
  }, 120_000);

  afterAll(async () => {
    await local?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('fails an S3 write outside the role with 403 AccessDenied (the API writing an archive)', async () => {
    // Act
    const denied = await run('api', { op: 'put-object', bucket: exportsBucket, key: 'exports/r1/volume-1.zip' });

    // Assert
    expect(denied).toMatchObject({ error: 'AccessDenied', status: 403, message: expect.stringContaining('is not authorized to perform: s3:PutObject') });
    expect((denied as { message: string }).message).not.toContain('volume-1.zip');
  });

  it('fails a DynamoDB read of a store the role does not reach with AccessDeniedException (an eraser reading profiles)', async () => {
    // Act
    const denied = await run('erase-orders', { op: 'get-item', table: profileTable });
    const allowed = await run('erase-orders', { op: 'query', table: ordersTable, partitionKey: getStore('orders').table!.partitionKey });

    // Assert
    expect(denied).toMatchObject({ error: 'AccessDeniedException', status: 400, message: expect.stringContaining(`dynamodb:GetItem on resource: arn:aws:dynamodb:eu-west-1:000000000000:table/${profileTable}`) });
    expect(allowed).toBe('ok');
  });

  it('evaluates the s3:prefix condition of a listing', async () => {
    // Act
    const inside = await run('collect-exports', { op: 'list', bucket: exportsBucket, prefix: 'staging/r1/' });
    const outside = await run('collect-exports', { op: 'list', bucket: exportsBucket, prefix: 'other/' });

    // Assert
    expect(inside).toBe('ok');
    expect(outside).toMatchObject({ error: 'AccessDenied', status: 403 });
  });

  it('lets the API put status events (its cancel writes the ledger) and a reader not', async () => {
    // Act
    const api = await run('api', { op: 'put-event' });
    const reader = await run('collect-exports', { op: 'put-event' });

    // Assert
    expect(api).toBe('ok');
    expect(reader).toMatchObject({ error: 'AccessDeniedException', status: 400, message: expect.stringContaining('events:PutEvents') });
  });

  it('shows a function only the secrets its role may read', async () => {
    // Act
    const api = await run('api', { op: 'secrets' });
    const step = await run('mark-in-progress', { op: 'secrets' });
    const callback = await run('deliver-callback', { op: 'secrets' });

    // Assert
    expect(api).toEqual({ hashKey: true, callbackSecret: false });
    expect(step).toEqual({ hashKey: false, callbackSecret: false });
    expect(callback).toEqual({ hashKey: false, callbackSecret: true });
    expect(process.env.DSR_HASH_KEY).toBeDefined();
  });

  it('keeps process.env writable while secrets are scoped', () => {
    // Act
    process.env.DSR_LOCAL_IAM_PROBE = 'set';
    const written = process.env.DSR_LOCAL_IAM_PROBE;
    delete process.env.DSR_LOCAL_IAM_PROBE;

    // Assert
    expect(written).toBe('set');
    expect(process.env.DSR_LOCAL_IAM_PROBE).toBeUndefined();
  });

  it("checks a state machine's Lambda invocations against its role", async () => {
    // Act
    const denied = runAs(stateMachinePrincipal('dsr-export'), () => local.lambda.invoke(local.lambda.arnOf('dsr-erase-orders'), { op: 'secrets' }));
    const allowed = runAs(stateMachinePrincipal('dsr-erasure'), () => local.lambda.invoke(local.lambda.arnOf('dsr-erase-orders'), { op: 'secrets' }));

    // Assert
    await expect(denied).rejects.toMatchObject({ name: 'Lambda.AWSLambdaException', message: expect.stringContaining('lambda:InvokeFunction') });
    await expect(allowed).resolves.toMatchObject({ StatusCode: 200 });
  });

  it('leaves calls outside any function (the local runtime, tests) unchecked', async () => {
    // Act
    const result = await documentClient().send(new GetCommand({ TableName: profileTable, Key: { customerId: 'c404' } }));

    // Assert
    expect(result.Item).toBeUndefined();
  });
});
