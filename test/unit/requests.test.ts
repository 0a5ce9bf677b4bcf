import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, GetBucketVersioningCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, ListExecutionsCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callerOf, handleApiEvent } from '../../functions/api/router';
import { getStore } from '../../functions/core/data-map';
import { archiveKey } from '../../functions/core/export/layout';
import { customerKey } from '../../functions/core/keyed-hash';
import { newRequestRecord, type Ledger } from '../../functions/core/ledger';
import { openMarkerId } from '../../functions/core/open-requests';
import { bodyHash, cancelRequest, createRequest, downloadUrl, executionInput, exportVolumeCount, getRequest, listRequests, toView, type RequestsDeps } from '../../functions/core/requests';
import { startApiServer, type ApiServer } from '../../local/api-server';
import { tableDefinition } from '../../local/runtime';
import { startLedgerTable, type LedgerTable } from './helpers/ledger-table';
import { OPENAPI, validateErrorBody, validateResponse } from './helpers/openapi';

const KEY = 'k'.repeat(40);
const TOKEN = 'test-token';
const EXPORT_ARN = 'arn:aws:states:eu-west-1:000000000000:stateMachine:dsr-export';
const ERASURE_ARN = 'arn:aws:states:eu-west-1:000000000000:stateMachine:dsr-erasure';
const PROFILE_TABLE = 'profile-test';

/** Step Functions double with AWS's naming rule: same name + same input → the same execution. */
function fakeStepFunctions(): { sfn: SFNClient; executions: Map<string, { arn: string; input: string }>; stopped: string[] } {
  const sfn = new SFNClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const executions = new Map<string, { arn: string; input: string }>();
  const stopped: string[] = [];
  const mock = mockClient(sfn);
  mock.on(StartExecutionCommand).callsFake((input: { stateMachineArn: string; name: string; input: string }) => {
    const id = `${input.stateMachineArn}/${input.name}`;
    const existing = executions.get(id);
    if (existing && existing.input !== input.input) throw new ExecutionAlreadyExists({ message: 'Execution already exists', $metadata: {} });
    const execution = existing ?? { arn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`, input: input.input };
    executions.set(id, execution);
    return { executionArn: execution.arn, startDate: new Date() };
  });
  mock.on(StopExecutionCommand).callsFake((input: { executionArn: string }) => {
    stopped.push(input.executionArn);
    return { stopDate: new Date() };
  });
  mock.on(ListExecutionsCommand).callsFake((input: { stateMachineArn: string; statusFilter?: string }) => ({
    executions: [...executions.entries()]
      .filter(([id, execution]) => id.startsWith(`${input.stateMachineArn}/`) && !(input.statusFilter === 'RUNNING' && stopped.includes(execution.arn)))
      .map(([id, execution]) => ({ executionArn: execution.arn, name: id.slice(input.stateMachineArn.length + 1), stateMachineArn: input.stateMachineArn, status: 'RUNNING', startDate: new Date() })),
  }));
  return { sfn, executions, stopped };
}

describe('request API (contract against docs/openapi.yaml)', () => {
  let table: LedgerTable;
  let server: ApiServer;
  let stepFunctions: ReturnType<typeof fakeStepFunctions>;
  let s3Mock: AwsClientStub<S3Client>;

  beforeAll(async () => {
    table = await startLedgerTable();
    await table.doc.send(new CreateTableCommand(tableDefinition(getStore('customer-profile'), PROFILE_TABLE)));
    const s3 = new S3Client({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:9', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    s3Mock = mockClient(s3);
    const deps = (): RequestsDeps => ({
      ledger: table.ledger,
      sfn: stepFunctions.sfn,
      s3,
      doc: table.doc,
      customerProfileTable: PROFILE_TABLE,
      customerKey: (customerId) => customerKey(customerId, KEY),
      exportStateMachineArn: EXPORT_ARN,
      erasureStateMachineArn: ERASURE_ARN,
      coolingOffSeconds: 30,
      exportsBucket: 'dsr-exports',
      downloadUrlTtlSeconds: 900,
      hashKey: KEY,
    });
    server = await startApiServer({ port: 0, token: TOKEN, handler: (event) => handleApiEvent(event, deps()) });
  });

  beforeEach(() => {
    stepFunctions = fakeStepFunctions();
    s3Mock.reset();
  });

  afterAll(async () => {
    await server.close();
    await table.close();
  });

  async function call(method: string, path: string, options: { body?: unknown; rawBody?: string; token?: string | null } = {}) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TOKEN}`;
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers,
      body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
      redirect: 'manual',
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as Record<string, any> };
  }

  /** A new export body; its own customer unless named, since a customer has one open request per type. */
  const newExport = (customerId = `c-${randomUUID().slice(0, 8)}`) => ({ type: 'export', customerId, brand: 'albelli', requestId: randomUUID() });

  it('POST /v1/requests creates an export, starts one execution named after the request id, and returns 202', async () => {
    // Arrange
    const body = { ...newExport('c1'), verification: { method: 'known-contact', verifiedBy: 'agent-7', verifiedAt: '2026-01-01T09:00:00.000Z' }, callbackUrl: 'https://portal.example/cb' };

    // Act
    const response = await call('POST', '/v1/requests', { body });

    // Assert
    expect(response.status).toBe(202);
    expect(validateResponse('/v1/requests', 'post', 202, response.body)).toBe('');
    expect(response.body).toMatchObject({ requestId: body.requestId, type: 'export', customerId: 'c1', brand: 'albelli', status: 'pending', stores: [] });
    expect(response.headers.get('location')).toBe(`/v1/requests/${body.requestId}`);
    expect([...stepFunctions.executions.keys()]).toEqual([`${EXPORT_ARN}/${body.requestId}`]);
    expect(JSON.parse(stepFunctions.executions.get(`${EXPORT_ARN}/${body.requestId}`)!.input)).toEqual({
      requestId: body.requestId,
      type: 'export',
      brand: 'albelli',
    });
    expect(stepFunctions.executions.get(`${EXPORT_ARN}/${body.requestId}`)!.input).not.toContain('"c1"');
    expect(response.body.executionArn).toContain(body.requestId);
  });

  it('POST without requestId generates a uuid; an erasure gets a cooling-off notBefore and due date one month out', async () => {
    // Act
    const response = await call('POST', '/v1/requests', { body: { type: 'erasure', customerId: 'c2', brand: 'onskefoto' } });

    // Assert
    expect(response.status).toBe(202);
    expect(validateResponse('/v1/requests', 'post', 202, response.body)).toBe('');
    expect(response.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const created = Date.parse(response.body.createdAt);
    expect(Date.parse(response.body.notBefore) - created).toBe(30_000);
    expect(new Date(response.body.dueAt).getUTCMonth()).toBe((new Date(created).getUTCMonth() + 1) % 12);
    const input = JSON.parse([...stepFunctions.executions.values()][0]!.input);
    expect(input).toMatchObject({ type: 'erasure', notBefore: response.body.notBefore });
  });

  it('POST with a supported locale keeps it on the record, not in the execution input', async () => {
    // Act
    const response = await call('POST', '/v1/requests', { body: { ...newExport(), locale: 'nb-NO' } });

    // Assert
    expect(response.status).toBe(202);
    expect(validateResponse('/v1/requests', 'post', 202, response.body)).toBe('');
    expect(response.body.locale).toBe('nb-NO');
    expect((await call('GET', `/v1/requests/${response.body.requestId}`)).body.locale).toBe('nb-NO');
    expect(Object.keys(JSON.parse([...stepFunctions.executions.values()][0]!.input)).sort()).toEqual(['brand', 'requestId', 'type']);
  });

  it('the same requestId and body returns the same record and starts nothing new; a different body → 409', async () => {
    // Arrange
    const body = newExport();
    const first = await call('POST', '/v1/requests', { body });

    // Act
    const again = await call('POST', '/v1/requests', { body: { brand: body.brand, requestId: body.requestId, customerId: body.customerId, type: 'export' } });
    const different = await call('POST', '/v1/requests', { body: { ...body, brand: 'resnap' } });

    // Assert
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(stepFunctions.executions.size).toBe(1);
    expect(different.status).toBe(409);
    expect(validateResponse('/v1/requests', 'post', 409, different.body)).toBe('');
    expect((await call('GET', `/v1/requests/${body.requestId}`)).body.brand).toBe('albelli');
  });

  it('stores the keyed hash of the body (the pipeline\'s hash key), not an unkeyed SHA-256 anyone could recompute', async () => {
    // Arrange
    const body = { ...newExport(), verification: { method: 'email-code', verifiedBy: 'portal', verifiedAt: '2026-01-01T09:00:00.000Z' } };

    // Act
    await call('POST', '/v1/requests', { body });

    // Assert
    const stored = await table.ledger.get(body.requestId);
    expect(stored.bodyHash).toBe(bodyHash(body as Parameters<typeof bodyHash>[0], KEY));
    expect(stored.bodyHash).not.toBe(bodyHash(body as Parameters<typeof bodyHash>[0], 'o'.repeat(40)));
  });

  it('the same requestId with the verification\'s keys in another order is the same body; another verifier → 409', async () => {
    // Arrange
    const body = { ...newExport(), verification: { method: 'email-code', verifiedBy: 'portal', verifiedAt: '2026-01-01T09:00:00.000Z' } };
    const reordered = { ...body, verification: { verifiedAt: '2026-01-01T09:00:00.000Z', verifiedBy: 'portal', method: 'email-code' } };

    // Act
    const first = await call('POST', '/v1/requests', { body });
    const retried = await call('POST', '/v1/requests', { body: reordered });
    const other = await call('POST', '/v1/requests', { body: { ...body, verification: { ...body.verification, verifiedBy: 'ops-7' } } });

    // Assert
    expect(first.status).toBe(202);
    expect(retried.status).toBe(202);
    expect(retried.body.requestId).toBe(first.body.requestId);
    expect([other.status, other.body.error.code]).toEqual([409, 'conflict']);
    expect(stepFunctions.executions.size).toBe(1);
  });

  it('concurrent duplicate POSTs create one record and one execution', async () => {
    // Arrange
    const body = newExport();

    // Act
    const responses = await Promise.all(Array.from({ length: 8 }, () => call('POST', '/v1/requests', { body })));

    // Assert
    expect(responses.map((response) => response.status)).toEqual(Array(8).fill(202));
    expect(new Set(responses.map((response) => response.body.executionArn)).size).toBe(1);
    expect(stepFunctions.executions.size).toBe(1);
    const listed = await call('GET', `/v1/requests?customerId=${body.customerId}&limit=100`);
    expect(listed.body.items.filter((item: { requestId: string }) => item.requestId === body.requestId)).toHaveLength(1);
  });

  it('a record left without an execution (crash after the put) gets it started on the retried POST', async () => {
    // Arrange
    const body = newExport();
    stepFunctions.sfn.send = (() => Promise.reject(Object.assign(new Error('connection reset'), { name: 'TimeoutError' }))) as never;
    const crashed = await call('POST', '/v1/requests', { body });
    stepFunctions = fakeStepFunctions();

    // Act
    const retried = await call('POST', '/v1/requests', { body });

    // Assert
    expect(crashed.status).toBe(500);
    expect(retried.status).toBe(202);
    expect(retried.body.executionArn).toContain(body.requestId);
    expect(stepFunctions.executions.size).toBe(1);
  });

  it.each([
    ['missing type', { customerId: 'c1', brand: 'albelli' }, 'type'],
    ['unknown brand', { type: 'export', customerId: 'c1', brand: 'kodak' }, 'brand'],
    ['customer id with a slash', { type: 'export', customerId: 'c1/../c2', brand: 'albelli' }, 'customerId'],
    ['non-uuid requestId', { type: 'export', customerId: 'c1', brand: 'albelli', requestId: 'abc' }, 'requestId'],
    ['http callback', { type: 'export', customerId: 'c1', brand: 'albelli', callbackUrl: 'http://portal.example/cb' }, 'callbackUrl'],
    ['unknown field', { type: 'export', customerId: 'c1', brand: 'albelli', extra: 1 }, 'extra'],
    ['unsupported locale', { type: 'export', customerId: 'c1', brand: 'albelli', locale: 'it-IT' }, 'locale'],
    ['malformed locale', { type: 'export', customerId: 'c1', brand: 'albelli', locale: 'nb_NO' }, 'locale'],
    ['array body', [1], 'body'],
  ])('POST with %s → 400 naming the field, nothing started', async (_case, body, field) => {
    // Act
    const response = await call('POST', '/v1/requests', { body });

    // Assert
    expect(response.status).toBe(400);
    expect(validateResponse('/v1/requests', 'post', 400, response.body)).toBe('');
    expect(response.body.error.details.map((detail: { field: string }) => detail.field)).toContain(field);
    expect(stepFunctions.executions.size).toBe(0);
  });

  it('POST with a body that is not JSON → 400; over 64 KB → 413; nothing written', async () => {
    // Act
    const notJson = await call('POST', '/v1/requests', { rawBody: '{"type": "export",' });
    const tooLarge = await call('POST', '/v1/requests', { rawBody: JSON.stringify({ type: 'export', customerId: 'c9', brand: 'albelli', callbackUrl: `https://x.example/${'x'.repeat(70_000)}` }) });

    // Assert
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('invalid_json');
    expect(validateResponse('/v1/requests', 'post', 400, notJson.body)).toBe('');
    expect(tooLarge.status).toBe(413);
    expect(validateResponse('/v1/requests', 'post', 413, tooLarge.body)).toBe('');
    expect((await call('GET', '/v1/requests?customerId=c9')).body.items).toEqual([]);
    expect(stepFunctions.executions.size).toBe(0);
  });

  it('missing token → 401, wrong token → 403', async () => {
    // Act
    const missing = await call('GET', '/v1/requests', { token: null });
    const wrong = await call('GET', '/v1/requests', { token: 'nope' });

    // Assert
    expect(missing.status).toBe(401);
    expect(validateResponse('/v1/requests', 'get', 401, missing.body)).toBe('');
    expect(wrong.status).toBe(403);
    expect(validateResponse('/v1/requests', 'get', 403, wrong.body)).toBe('');
  });

  it('unknown route → 404, wrong method → 405 with Allow', async () => {
    // Act
    const unknown = await call('GET', '/v1/nothing');
    const wrongMethod = await call('PUT', '/v1/requests');

    // Assert
    expect(unknown.status).toBe(404);
    expect(validateErrorBody(unknown.body)).toBe('');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST, GET');
    expect(validateErrorBody(wrongMethod.body)).toBe('');
  });

  it('GET /v1/requests/{id} returns the record; unknown id → 404; malformed id → 400', async () => {
    // Arrange
    const body = newExport();
    await call('POST', '/v1/requests', { body });
    await table.ledger.transition(body.requestId, 'in_progress');
    await table.ledger.recordStoreProgress(body.requestId, 'orders', { phase: 'collect', status: 'completed', items: 4, bytes: 900 });

    // Act
    const found = await call('GET', `/v1/requests/${body.requestId}`);
    const missing = await call('GET', `/v1/requests/${randomUUID()}`);
    const malformed = await call('GET', '/v1/requests/bad%20id');

    // Assert
    expect(found.status).toBe(200);
    expect(validateResponse('/v1/requests/{requestId}', 'get', 200, found.body)).toBe('');
    expect(found.body.status).toBe('in_progress');
    expect(found.body.stores).toEqual([expect.objectContaining({ store: 'orders', items: 4, bytes: 900 })]);
    expect(missing.status).toBe(404);
    expect(validateResponse('/v1/requests/{requestId}', 'get', 404, missing.body)).toBe('');
    expect(malformed.status).toBe(400);
    expect(validateResponse('/v1/requests/{requestId}', 'get', 400, malformed.body)).toBe('');
  });

  it('GET /v1/requests lists by customer and status with pagination; bad status → 400; bad token → 400', async () => {
    // Arrange
    for (let index = 0; index < 3; index += 1) {
      const created = await call('POST', '/v1/requests', { body: newExport('lister') });
      await call('DELETE', `/v1/requests/${created.body.requestId}`);
    }

    // Act
    const first = await call('GET', '/v1/requests?customerId=lister&status=cancelled&limit=2');
    const second = await call('GET', `/v1/requests?customerId=lister&status=cancelled&limit=2&nextToken=${first.body.nextToken}`);
    const badStatus = await call('GET', '/v1/requests?status=done');
    const badToken = await call('GET', '/v1/requests?nextToken=garbage');

    // Assert
    expect(first.status).toBe(200);
    expect(validateResponse('/v1/requests', 'get', 200, first.body)).toBe('');
    const ids = [...first.body.items, ...second.body.items].map((item: { requestId: string }) => item.requestId);
    expect(new Set(ids).size).toBe(3);
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error.details[0].field).toBe('status');
    expect(badToken.status).toBe(400);
    expect(validateResponse('/v1/requests', 'get', 400, badToken.body)).toBe('');
  });

  it('GET /v1/requests?overdue=true lists open requests past or near their due date', async () => {
    // Arrange
    const body = newExport();
    await call('POST', '/v1/requests', { body: { ...body, customerId: 'late' } });
    const { doc, tableName } = table;
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    await doc.send(new UpdateCommand({ TableName: tableName, Key: { requestId: body.requestId }, UpdateExpression: 'SET dueAt = :due', ExpressionAttributeValues: { ':due': '2020-01-01T00:00:00.000Z' } }));

    // Act
    const response = await call('GET', '/v1/requests?overdue=true&limit=100');

    // Assert
    expect(response.status).toBe(200);
    expect(response.body.items.map((item: { requestId: string }) => item.requestId)).toContain(body.requestId);
    expect(response.body.items.every((item: { status: string }) => item.status !== 'completed')).toBe(true);
  });

  it('GET /v1/requests?overdue=true uses the deadline check\'s rule per type: a consent withdrawal due in 48 hours is not listed, one due in 12 hours is', async () => {
    // Arrange
    const withdrawal = (hours: number) => {
      const customerId = `c-${randomUUID().slice(0, 8)}`;
      return {
        ...newRequestRecord({ requestId: randomUUID(), type: 'consent-withdrawal', customerId, customerKey: customerKey(customerId, KEY), brand: 'fotoknudsen', bodyHash: 'h', receivedAt: new Date() }),
        dueAt: new Date(Date.now() + hours * 3_600_000).toISOString(),
      };
    };
    const later = withdrawal(48);
    const soon = withdrawal(12);
    const exportIn4Days = { ...withdrawal(0), type: 'export' as const, brand: 'albelli' as const, dueAt: new Date(Date.now() + 4 * 86_400_000).toISOString() };
    for (const record of [later, soon, exportIn4Days]) await table.ledger.create(record);

    // Act
    const response = await call('GET', '/v1/requests?overdue=true&limit=100');

    // Assert
    const listed = response.body.items.map((item: { requestId: string }) => item.requestId);
    expect(listed).toEqual(expect.arrayContaining([soon.requestId, exportIn4Days.requestId]));
    expect(listed).not.toContain(later.requestId);
  });

  it('DELETE cancels a pending request (202) and stops its execution; a running erasure → 409 saying why; unknown → 404', async () => {
    // Arrange
    const pending = { type: 'erasure', customerId: 'c3', brand: 'albelli', requestId: randomUUID() };
    const running = { type: 'erasure', customerId: `c-${randomUUID().slice(0, 8)}`, brand: 'albelli', requestId: randomUUID() };
    await call('POST', '/v1/requests', { body: pending });
    await call('POST', '/v1/requests', { body: running });
    await table.ledger.transition(running.requestId, 'in_progress');

    // Act
    const cancelled = await call('DELETE', `/v1/requests/${pending.requestId}`);
    const again = await call('DELETE', `/v1/requests/${pending.requestId}`);
    const refused = await call('DELETE', `/v1/requests/${running.requestId}`);
    const unknown = await call('DELETE', `/v1/requests/${randomUUID()}`);

    // Assert
    expect(cancelled.status).toBe(202);
    expect(validateResponse('/v1/requests/{requestId}', 'delete', 202, cancelled.body)).toBe('');
    expect(cancelled.body.status).toBe('cancelled');
    expect(stepFunctions.stopped).toEqual([cancelled.body.executionArn, cancelled.body.executionArn]);
    expect(again.status).toBe(202);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('in progress and cannot be cancelled: it has started erasing');
    expect(validateResponse('/v1/requests/{requestId}', 'delete', 409, refused.body)).toBe('');
    expect(unknown.status).toBe(404);
    expect((await call('GET', `/v1/requests/${running.requestId}`)).body.status).toBe('in_progress');
  });

  it('DELETE cancels an erasure on legal hold (it has erased nothing): the hold period ends and the customer may ask again', async () => {
    // Arrange
    const held = { type: 'erasure', customerId: `c-${randomUUID().slice(0, 8)}`, brand: 'albelli', requestId: randomUUID() };
    await call('POST', '/v1/requests', { body: held });
    await table.ledger.transition(held.requestId, 'in_progress');
    await table.ledger.transition(held.requestId, 'on_hold', { hold: { reasons: ['open-order'] } });

    // Act
    const cancelled = await call('DELETE', `/v1/requests/${held.requestId}`);
    const again = await call('POST', '/v1/requests', { body: { ...held, requestId: randomUUID() } });

    // Assert
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.status).toBe('cancelled');
    const record = await table.ledger.get(held.requestId);
    expect(record.status).toBe('cancelled');
    expect(record.holds?.length).toBe(1);
    expect(record.holds?.[0]?.until).toBeDefined();
    expect(again.status).toBe(202);
  });

  it('a cancel that read a pending erasure does not cancel it when its workflow has started erasing since (409 saying why, execution not stopped)', async () => {
    // Arrange
    const erasure = { type: 'erasure', customerId: `c-${randomUUID().slice(0, 8)}`, brand: 'albelli', requestId: randomUUID() };
    await call('POST', '/v1/requests', { body: erasure });
    let reads = 0;
    const staleLedger: Ledger = Object.assign(Object.create(table.ledger) as Ledger, {
      get: async (requestId: string) => {
        reads += 1;
        const record = await table.ledger.get(requestId);
        if (reads === 1) {
          // The workflow's Mark In Progress lands between the cancel's read and its write.
          await table.ledger.transition(requestId, 'in_progress');
          return record;
        }
        return table.ledger.get(requestId);
      },
    });
    const deps = { ledger: staleLedger, sfn: stepFunctions.sfn, s3: new S3Client({ region: 'eu-west-1' }), exportStateMachineArn: EXPORT_ARN };

    // Act
    const attempt = cancelRequest(deps, erasure.requestId);

    // Assert
    await expect(attempt).rejects.toThrow('in progress and cannot be cancelled: it has started erasing');
    expect((await table.ledger.get(erasure.requestId)).status).toBe('in_progress');
    expect(stepFunctions.stopped).toEqual([]);
  });

  it('DELETE stops a running export (its first execution and a replay, not a neighbour\'s) and removes its staging data and volumes only', async () => {
    // Arrange
    const running = newExport();
    const neighbour = newExport();
    await call('POST', '/v1/requests', { body: running });
    await call('POST', '/v1/requests', { body: neighbour });
    await table.ledger.transition(running.requestId, 'in_progress');
    await stepFunctions.sfn.send(new StartExecutionCommand({ stateMachineArn: EXPORT_ARN, name: `${running.requestId}-replay-1`, input: '{}' }));
    const objects: Record<string, string[]> = {
      [`exports/${running.requestId}/`]: [`exports/${running.requestId}/a.zip`],
      [`staging/${running.requestId}/`]: [`staging/${running.requestId}/plan.json`, `staging/${running.requestId}/orders.json`],
    };
    s3Mock.on(GetBucketVersioningCommand).resolves({});
    s3Mock.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({ Contents: (objects[input.Prefix] ?? []).map((Key) => ({ Key, Size: 1 })), IsTruncated: false }));
    s3Mock.on(DeleteObjectsCommand).resolves({});

    // Act
    const cancelled = await call('DELETE', `/v1/requests/${running.requestId}`);

    // Assert
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.status).toBe('cancelled');
    expect(stepFunctions.stopped.sort()).toEqual([`${EXPORT_ARN.replace(':stateMachine:', ':execution:')}:${running.requestId}`, `${EXPORT_ARN.replace(':stateMachine:', ':execution:')}:${running.requestId}-replay-1`].sort());
    const deleted = s3Mock.commandCalls(DeleteObjectsCommand).flatMap((deletion) => deletion.args[0].input.Delete!.Objects!.map((object) => object.Key));
    expect(deleted.sort()).toEqual([...objects[`exports/${running.requestId}/`]!, ...objects[`staging/${running.requestId}/`]!].sort());
    expect(s3Mock.commandCalls(ListObjectsV2Command).map((listing) => listing.args[0].input.Prefix)).toEqual([`exports/${running.requestId}/`, `staging/${running.requestId}/`]);
    expect((await call('GET', `/v1/requests/${neighbour.requestId}`)).body.status).toBe('pending');
  });

  it('DELETE answers 503 when the status event cannot be put, and the retried DELETE emits it and stops the execution', async () => {
    // Arrange
    const pending = { type: 'erasure', customerId: 'c33', brand: 'albelli', requestId: randomUUID() };
    await call('POST', '/v1/requests', { body: pending });
    table.failPutEvents(Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    const eventsBefore = table.events.length;

    // Act
    const failed = await call('DELETE', `/v1/requests/${pending.requestId}`);
    const retried = await call('DELETE', `/v1/requests/${pending.requestId}`);

    // Assert
    expect(failed.status).toBe(503);
    expect(failed.body.error.code).toBe('unavailable');
    expect(validateResponse('/v1/requests/{requestId}', 'delete', 503, failed.body)).toBe('');
    expect(retried.status).toBe(202);
    expect(table.events.slice(eventsBefore).map((event) => [event.requestId, event.status])).toEqual([[pending.requestId, 'cancelled']]);
    expect(stepFunctions.stopped).toEqual([retried.body.executionArn]);
  });

  it('download → 303 to a presigned URL of the volume (key from the layout and the count) once completed; 409 before; 404 for a missing volume', async () => {
    // Arrange
    const body = newExport();
    await call('POST', '/v1/requests', { body });
    const notReady = await call('GET', `/v1/requests/${body.requestId}/download`);
    await table.ledger.transition(body.requestId, 'in_progress');
    await table.ledger.transition(body.requestId, 'completed', { result: { volumeCount: 2, totalBytes: 20, resultKey: 'k', empty: false, stores: {} } });

    // Act
    const first = await call('GET', `/v1/requests/${body.requestId}/download`);
    const second = await call('GET', `/v1/requests/${body.requestId}/download?volume=2`);
    const missing = await call('GET', `/v1/requests/${body.requestId}/download?volume=3`);
    const badVolume = await call('GET', `/v1/requests/${body.requestId}/download?volume=zero`);

    // Assert
    expect(notReady.status).toBe(409);
    expect(validateResponse('/v1/requests/{requestId}/download', 'get', 409, notReady.body)).toBe('');
    expect(first.status).toBe(303);
    const location = new URL(first.headers.get('location')!);
    expect(location.pathname).toBe(`/dsr-exports/${archiveKey(body.requestId, 1, KEY)}`);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(new URL(second.headers.get('location')!).pathname).toBe(`/dsr-exports/${archiveKey(body.requestId, 2, KEY)}`);
    expect(missing.status).toBe(404);
    expect(validateResponse('/v1/requests/{requestId}/download', 'get', 404, missing.body)).toBe('');
    expect(badVolume.status).toBe(400);
    expect(JSON.stringify(await table.ledger.get(body.requestId))).not.toContain('X-Amz-Signature');
  });

  it('POST for a customer whose profile names another brand → 409 brand_mismatch naming both; nothing written or started', async () => {
    // Arrange
    await table.doc.send(new PutCommand({ TableName: PROFILE_TABLE, Item: { customerId: 'branded', brand: 'bonusprint', email: 'b@example.com' } }));
    const mismatched = newExport('branded');
    const matching = { ...newExport('branded'), brand: 'bonusprint' };

    // Act
    const refused = await call('POST', '/v1/requests', { body: mismatched });
    const markerAfterRefusal = await table.doc.send(
      new GetCommand({ TableName: table.tableName, Key: { requestId: openMarkerId('export', customerKey('branded', KEY)) }, ConsistentRead: true }),
    );
    const recordAfterRefusal = await table.ledger.find(mismatched.requestId);
    const accepted = await call('POST', '/v1/requests', { body: matching });

    // Assert
    expect(refused.status).toBe(409);
    expect(validateResponse('/v1/requests', 'post', 409, refused.body)).toBe('');
    expect(refused.body.error.code).toBe('brand_mismatch');
    expect(refused.body.error.message).toContain('bonusprint');
    expect(refused.body.error.message).toContain('albelli');
    expect(recordAfterRefusal).toBeUndefined();
    expect(markerAfterRefusal.Item).toBeUndefined();
    expect(accepted.status).toBe(202);
    expect([...stepFunctions.executions.keys()]).toEqual([`${EXPORT_ARN}/${matching.requestId}`]);
  });

  it('a second open export of a customer → 409 duplicate_request naming the open one; another type, a retry and a request after completion are accepted', async () => {
    // Arrange
    const first = newExport();
    await call('POST', '/v1/requests', { body: first });

    // Act
    const duplicate = await call('POST', '/v1/requests', { body: newExport(first.customerId) });
    const retried = await call('POST', '/v1/requests', { body: first });
    const erasure = await call('POST', '/v1/requests', { body: { type: 'erasure', customerId: first.customerId, brand: 'albelli' } });
    await table.ledger.transition(first.requestId, 'in_progress');
    await table.ledger.transition(first.requestId, 'completed', { result: { volumeCount: 1 } });
    const afterCompletion = await call('POST', '/v1/requests', { body: newExport(first.customerId) });

    // Assert
    expect(duplicate.status).toBe(409);
    expect(validateResponse('/v1/requests', 'post', 409, duplicate.body)).toBe('');
    expect(duplicate.body.error.code).toBe('duplicate_request');
    expect(duplicate.body.error.details).toEqual([{ field: 'openRequestId', message: first.requestId }]);
    expect(retried.status).toBe(202);
    expect(retried.body.requestId).toBe(first.requestId);
    expect(erasure.status).toBe(202);
    expect(afterCompletion.status).toBe(202);
    expect(stepFunctions.executions.size).toBe(3);
  });

  it('concurrent POSTs of different exports for one customer: exactly one is accepted, the others name it', async () => {
    // Arrange
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    const bodies = Array.from({ length: 6 }, () => newExport(customerId));

    // Act
    const responses = await Promise.all(bodies.map((body) => call('POST', '/v1/requests', { body })));

    // Assert
    const accepted = responses.filter((response) => response.status === 202);
    const refused = responses.filter((response) => response.status === 409);
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(5);
    expect(refused.map((response) => response.body.error.details[0].message)).toEqual(Array(5).fill(accepted[0]!.body.requestId));
    expect(stepFunctions.executions.size).toBe(1);
    const listed = await call('GET', `/v1/requests?customerId=${customerId}`);
    expect(listed.body.items.map((item: { requestId: string }) => item.requestId)).toEqual([accepted[0]!.body.requestId]);
  });

  it('a POST retried after a crash between the open marker and the record succeeds; the next export is refused', async () => {
    // Arrange
    const body = newExport();
    const candidate = newRequestRecord({
      requestId: body.requestId,
      type: 'export',
      customerId: body.customerId,
      customerKey: customerKey(body.customerId, KEY),
      brand: 'albelli',
      bodyHash: 'crashed-before-the-record',
      receivedAt: new Date(),
    });
    await table.ledger.claimOpen(candidate);

    // Act
    const retried = await call('POST', '/v1/requests', { body });
    const next = await call('POST', '/v1/requests', { body: newExport(body.customerId) });

    // Assert
    expect(retried.status).toBe(202);
    expect(retried.body.executionArn).toContain(body.requestId);
    expect(next.status).toBe(409);
    expect(next.body.error.details).toEqual([{ field: 'openRequestId', message: body.requestId }]);
  });

  it('GET /v1/openapi.json serves the checked-in document to a caller with credentials; without them → 401', async () => {
    // Act
    const served = await call('GET', '/v1/openapi.json');
    const anonymous = await call('GET', '/v1/openapi.json', { token: null });

    // Assert
    expect(served.status).toBe(200);
    expect(served.body).toEqual(OPENAPI);
    expect(anonymous.status).toBe(401);
    expect(validateResponse('/v1/openapi.json', 'get', 401, anonymous.body)).toBe('');
  });

  it('GET /v1/requests without filters lists request records only, never the open markers', async () => {
    // Arrange
    await call('POST', '/v1/requests', { body: newExport() });
    const ids: string[] = [];

    // Act
    let nextToken: string | undefined;
    do {
      const page = await call('GET', `/v1/requests?limit=100${nextToken ? `&nextToken=${nextToken}` : ''}`);
      expect(validateResponse('/v1/requests', 'get', 200, page.body)).toBe('');
      ids.push(...page.body.items.map((item: { requestId: string }) => item.requestId));
      nextToken = page.body.nextToken;
    } while (nextToken);

    // Assert
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.filter((id) => id.startsWith('open#'))).toEqual([]);
  });

  it('download of an export whose customer was erased since → 410 gone naming the erasure', async () => {
    // Arrange
    const body = newExport();
    await call('POST', '/v1/requests', { body });
    await table.ledger.transition(body.requestId, 'in_progress');
    await table.ledger.transition(body.requestId, 'completed', { result: { volumeCount: 1 } });
    const erasureId = randomUUID();
    await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { requestId: body.requestId },
        UpdateExpression: 'SET erasedBy = :erasure REMOVE customerId',
        ExpressionAttributeValues: { ':erasure': erasureId },
      }),
    );

    // Act
    const gone = await call('GET', `/v1/requests/${body.requestId}/download`);
    const record = await call('GET', `/v1/requests/${body.requestId}`);

    // Assert
    expect(gone.status).toBe(410);
    expect(validateResponse('/v1/requests/{requestId}/download', 'get', 410, gone.body)).toBe('');
    expect(gone.body.error.code).toBe('gone');
    expect(gone.body.error.message).toContain(`erased by request ${erasureId}`);
    expect(validateResponse('/v1/requests/{requestId}', 'get', 200, record.body)).toBe('');
    expect(record.body.erasedBy).toBe(erasureId);
  });
});

/**
 * The request core over a real ledger table (dynalite, with a customer-profile table) for one describe
 * block: the tables for the block, a fresh fake Step Functions for each test, and the core's deps.
 */
function coreOverLedgerTable(settings: { now: Date } & Pick<RequestsDeps, 'stateMachineArns' | 'coolingOffSeconds' | 'downloadUrlTtlSeconds'>) {
  const fixture = {} as { table: LedgerTable; stepFunctions: ReturnType<typeof fakeStepFunctions> };

  beforeAll(async () => {
    fixture.table = await startLedgerTable();
    await fixture.table.doc.send(new CreateTableCommand(tableDefinition(getStore('customer-profile'), PROFILE_TABLE)));
  });

  beforeEach(() => {
    fixture.stepFunctions = fakeStepFunctions();
  });

  afterAll(async () => {
    await fixture.table.close();
  });

  const deps = (overrides: Partial<RequestsDeps> = {}): RequestsDeps => ({
    ledger: fixture.table.ledger,
    sfn: fixture.stepFunctions.sfn,
    s3: new S3Client({ region: 'eu-west-1' }),
    doc: fixture.table.doc,
    customerProfileTable: PROFILE_TABLE,
    customerKey: (customerId) => customerKey(customerId, KEY),
    exportStateMachineArn: EXPORT_ARN,
    erasureStateMachineArn: ERASURE_ARN,
    stateMachineArns: settings.stateMachineArns,
    coolingOffSeconds: settings.coolingOffSeconds,
    exportsBucket: 'dsr-exports',
    downloadUrlTtlSeconds: settings.downloadUrlTtlSeconds,
    hashKey: KEY,
    now: () => settings.now,
    ...overrides,
  });
  return { fixture, deps };
}

describe('rectification and consent withdrawal requests', () => {
  const RECTIFICATION_ARN = 'arn:aws:states:eu-west-1:000000000000:stateMachine:dsr-rectification';
  const WITHDRAWAL_ARN = 'arn:aws:states:eu-west-1:000000000000:stateMachine:dsr-consent-withdrawal';
  const NOW = new Date('2026-02-01T10:00:00.000Z');
  const { fixture, deps } = coreOverLedgerTable({ now: NOW, stateMachineArns: { rectification: RECTIFICATION_ARN, 'consent-withdrawal': WITHDRAWAL_ARN }, coolingOffSeconds: 30, downloadUrlTtlSeconds: 900 });

  /** A POST /v1/requests event for the router. */
  const post = (body: unknown) => ({ httpMethod: 'POST', path: '/v1/requests', body: JSON.stringify(body), headers: {}, requestContext: {} }) as never;

  it('stores a rectification\'s corrections normalised on the record only: never in the execution input or the answer', async () => {
    // Arrange
    const body = { type: 'rectification', customerId: 'rc-1', brand: 'albelli', corrections: { email: 'Ann@Example.ORG', phone: '0031 6 1234 5678', lastName: 'Person ' } };

    // Act
    const response = await handleApiEvent(post(body), deps());

    // Assert
    expect(response.statusCode).toBe(202);
    const view = JSON.parse(response.body) as { requestId: string; dueAt: string };
    expect(response.body).not.toMatch(/Ann|5678|Person/i);
    expect(view.dueAt).toBe('2026-03-01T10:00:00.000Z');
    expect((await fixture.table.ledger.get(view.requestId)).corrections).toEqual({ email: 'ann@example.org', phone: '+31612345678', lastName: 'Person' });
    const [execution] = [...fixture.stepFunctions.executions.entries()];
    expect(execution![0]).toBe(`${RECTIFICATION_ARN}/${view.requestId}`);
    expect(JSON.parse(execution![1].input)).toEqual({ requestId: view.requestId, type: 'rectification', brand: 'albelli' });
  });

  it('gives a consent withdrawal its target due date (72 hours by default, or as configured) on its own state machine', async () => {
    // Act
    const byDefault = await handleApiEvent(post({ type: 'consent-withdrawal', customerId: 'cw-1', brand: 'fotoknudsen', service: 'photo-library' }), deps());
    const configured = await handleApiEvent(post({ type: 'consent-withdrawal', customerId: 'cw-2', brand: 'onskefoto', service: 'photo-library' }), deps({ consentWithdrawalTargetHours: 24 }));

    // Assert
    expect(JSON.parse(byDefault.body).dueAt).toBe('2026-02-04T10:00:00.000Z');
    expect(JSON.parse(configured.body).dueAt).toBe('2026-02-02T10:00:00.000Z');
    expect([...fixture.stepFunctions.executions.keys()].every((id) => id.startsWith(`${WITHDRAWAL_ARN}/`))).toBe(true);
  });

  it.each([
    [{ type: 'consent-withdrawal', customerId: 'cw-3', brand: 'albelli', service: 'photo-library' }, 'brand', /only by fotoknudsen and onskefoto/],
    [{ type: 'consent-withdrawal', customerId: 'cw-3', brand: 'onskefoto', service: 'newsletter' }, 'service', /must be one of photo-library/],
    [{ type: 'rectification', customerId: 'rc-3', brand: 'albelli', corrections: {} }, 'corrections', /at least one of email/],
    [{ type: 'rectification', customerId: 'rc-3', brand: 'albelli', corrections: { email: 'nope' } }, 'corrections.email', /must be an email address/],
    [{ type: 'rectification', customerId: 'rc-3', brand: 'albelli' }, 'corrections', /./],
  ])('answers 400 naming the field and writes and starts nothing: %j', async (body, field, message) => {
    // Act
    const response = await handleApiEvent(post(body), deps());

    // Assert
    expect(response.statusCode).toBe(400);
    const error = JSON.parse(response.body).error as { code: string; details: { field: string; message: string }[] };
    expect(error.code).toBe('invalid_request');
    expect(error.details).toEqual([{ field, message: expect.stringMatching(message) }]);
    expect((await fixture.table.ledger.list({ limit: 100 })).items.filter((record) => record.customerId === body.customerId)).toEqual([]);
    expect(fixture.stepFunctions.executions.size).toBe(0);
  });

  it('refuses to start a type whose state machine is not configured (ConfigurationError), never another type\'s', async () => {
    const response = await handleApiEvent(post({ type: 'consent-withdrawal', customerId: 'cw-9', brand: 'onskefoto', service: 'photo-library' }), deps({ stateMachineArns: {} }));

    expect(response.statusCode).toBe(500);
    expect(fixture.stepFunctions.executions.size).toBe(0);
  });
});

describe('toView: Art. 19 notifications', () => {
  it('lists the notifications by recipient, sorted, and has none without notifications', () => {
    // Arrange
    const record = newRequestRecord({ requestId: 'r1', type: 'erasure', customerId: 'c1', customerKey: 'a'.repeat(64), brand: 'albelli', bodyHash: 'h', receivedAt: new Date('2025-06-01T00:00:00.000Z') });
    const notified = { ...record, notifications: { 'meta-custom-audiences': { sentAt: '2025-06-02T00:00:00.000Z' }, 'email-marketing-provider': { sentAt: '2025-06-02T00:00:00.000Z', acknowledgedAt: '2025-06-03T00:00:00.000Z' } } };

    // Act
    const view = toView(notified);
    const plain = toView(record);

    // Assert
    expect(view.notifications).toEqual([
      { recipient: 'email-marketing-provider', sentAt: '2025-06-02T00:00:00.000Z', acknowledgedAt: '2025-06-03T00:00:00.000Z' },
      { recipient: 'meta-custom-audiences', sentAt: '2025-06-02T00:00:00.000Z' },
    ]);
    expect(plain).not.toHaveProperty('notifications');
  });
});

describe('callerOf', () => {
  const event = (identity: Record<string, string | null>) => ({ requestContext: { identity } }) as unknown as Parameters<typeof callerOf>[0];

  it('is the IAM caller\'s ARN with IAM authorization, else the caller id, else unknown', () => {
    expect(callerOf(event({ userArn: 'arn:aws:sts::123456789012:assumed-role/dsr-ops/alice', caller: 'AROAEXAMPLE:alice' }))).toBe('arn:aws:sts::123456789012:assumed-role/dsr-ops/alice');
    expect(callerOf(event({ userArn: null, caller: 'token:local' }))).toBe('token:local');
    expect(callerOf(event({ userArn: null, caller: null }))).toBe('unknown');
    expect(callerOf({} as Parameters<typeof callerOf>[0])).toBe('unknown');
  });
});

describe('bodyHash', () => {
  // Known answers, computed outside the code: printf '%s' 'request-body:<canonical body>' | openssl dgst -sha256 -hmac "$KEY"
  it('is HMAC-SHA256 under the hash key of the canonical body (keys sorted, request id left out), namespace request-body', () => {
    // Arrange
    const rectification = { requestId: randomUUID(), type: 'rectification', customerId: 'c1', brand: 'albelli', corrections: { email: 'ada@example.com' } } as const;
    const exportBody = {
      type: 'export',
      customerId: 'c1',
      brand: 'albelli',
      verification: { verifiedBy: 'portal', verifiedAt: '2026-01-01T09:00:00.000Z', method: 'email-code' },
    } as const;

    // Act
    const hashes = [bodyHash(rectification, KEY), bodyHash(exportBody, KEY)];

    // Assert
    expect(hashes).toEqual(['8bdfc13f0f5945ae55c33e857321755911fcc2aaeba5288ce88fa515ac1623fc', 'a0a6f842fcab6de3de9845812f545d1f952d9bec533360a983f15d43e48e112c']);
    // The unkeyed SHA-256 of the same canonical rectification body, which a guessed email would reproduce.
    expect(hashes[0]).not.toBe('c66c301733a10d84973365fa99c1bcc963edeffe3911dd2f53767389356ad17c');
  });

  it('is the same for the same body in any key order and differs for another body or another key', () => {
    // Arrange
    const body = { type: 'export', customerId: 'c1', brand: 'albelli' } as const;
    const reordered = { brand: 'albelli', type: 'export', customerId: 'c1' } as const;

    // Act
    const hash = bodyHash(body, KEY);

    // Assert
    expect(bodyHash(reordered, KEY)).toBe(hash);
    expect(bodyHash({ ...body, requestId: randomUUID() }, KEY)).toBe(hash);
    expect(bodyHash({ ...body, brand: 'resnap' }, KEY)).not.toBe(hash);
    expect(bodyHash(body, 'o'.repeat(40))).not.toBe(hash);
  });
});

describe('exportVolumeCount', () => {
  it('is the result\'s volume count, else the length of a legacy volumes list, else 0', () => {
    // Act
    const counts = [
      exportVolumeCount({ volumeCount: 3, volumes: ['a'] }),
      exportVolumeCount({ volumes: ['exports/r/1.zip', 'exports/r/2.zip'] }),
      exportVolumeCount({ volumeCount: '2', volumes: 'ab' }),
      exportVolumeCount({}),
      exportVolumeCount(undefined),
    ];

    // Assert
    expect(counts).toEqual([3, 2, 0, 0, 0]);
  });
});

describe('request API core (direct calls)', () => {
  const NOW = new Date('2026-04-01T08:00:00.000Z');
  const RESTRICTION_ARN = 'arn:aws:states:eu-west-1:000000000000:stateMachine:dsr-restriction';
  const OBJECTION_ARN = 'arn:aws:states:eu-west-1:000000000000:stateMachine:dsr-objection';
  const { fixture, deps } = coreOverLedgerTable({ now: NOW, stateMachineArns: { restriction: RESTRICTION_ARN, objection: OBJECTION_ARN }, coolingOffSeconds: 45, downloadUrlTtlSeconds: 600 });

  const customer = () => `c-${randomUUID().slice(0, 8)}`;

  it('records a restriction (with and without a ground), an objection and the caller, and starts each on its own state machine with the request id only', async () => {
    // Arrange
    const restrict = { type: 'restriction', customerId: customer(), brand: 'albelli', action: 'restrict', scope: 'marketing', ground: 'accuracy-contested' } as const;
    const lift = { type: 'restriction', customerId: customer(), brand: 'albelli', action: 'lift', scope: 'all' } as const;
    const objection = { type: 'objection', customerId: customer(), brand: 'resnap', purpose: 'direct-marketing' } as const;

    // Act
    const restricted = await createRequest(deps(), restrict, 'token:ops');
    const lifted = await createRequest(deps(), lift);
    const objected = await createRequest(deps(), objection);

    // Assert
    expect(restricted.created).toBe(true);
    const stored = await fixture.table.ledger.get(restricted.view.requestId);
    expect(stored).toMatchObject({ restriction: { action: 'restrict', scope: 'marketing', ground: 'accuracy-contested' }, caller: 'token:ops', dueAt: '2026-05-01T08:00:00.000Z' });
    expect(stored).not.toHaveProperty('notBefore');
    expect(stored).not.toHaveProperty('objection');
    expect((await fixture.table.ledger.get(lifted.view.requestId)).restriction).toStrictEqual({ action: 'lift', scope: 'all' });
    const objectionRecord = await fixture.table.ledger.get(objected.view.requestId);
    expect(objectionRecord.objection).toStrictEqual({ purpose: 'direct-marketing' });
    expect(objectionRecord).not.toHaveProperty('restriction');
    expect(objectionRecord).not.toHaveProperty('caller');
    expect([...fixture.stepFunctions.executions.keys()]).toEqual([
      `${RESTRICTION_ARN}/${restricted.view.requestId}`,
      `${RESTRICTION_ARN}/${lifted.view.requestId}`,
      `${OBJECTION_ARN}/${objected.view.requestId}`,
    ]);
    expect(JSON.parse(fixture.stepFunctions.executions.get(`${RESTRICTION_ARN}/${restricted.view.requestId}`)!.input)).toStrictEqual({ requestId: restricted.view.requestId, type: 'restriction', brand: 'albelli' });
  });

  it('gives an erasure its cooling-off end (coolingOffSeconds after receipt) and puts it in the execution input', async () => {
    // Act
    const { view } = await createRequest(deps(), { type: 'erasure', customerId: customer(), brand: 'albelli' });

    // Assert
    expect(view.notBefore).toBe('2026-04-01T08:00:45.000Z');
    expect(JSON.parse([...fixture.stepFunctions.executions.values()][0]!.input)).toStrictEqual({ requestId: view.requestId, type: 'erasure', brand: 'albelli', notBefore: '2026-04-01T08:00:45.000Z' });
  });

  it('refuses a type without a configured state machine with ConfigurationError naming the type', async () => {
    // Act
    const attempt = createRequest(deps({ stateMachineArns: undefined }), { type: 'objection', customerId: customer(), brand: 'albelli', purpose: 'smart-creation' });

    // Assert
    await expect(attempt).rejects.toMatchObject({ name: 'ConfigurationError', message: 'No state machine ARN is configured for objection requests' });
    expect(fixture.stepFunctions.executions.size).toBe(0);
  });

  it('reads the profile\'s brand strongly consistently, names both brands when they differ, and proceeds for a profile without a brand', async () => {
    // Arrange
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    const profiles = mockClient(doc);
    try {
      profiles.on(GetCommand, { Key: { customerId: 'other-brand' } }).resolves({ Item: { brand: 'bonusprint' } });
      profiles.on(GetCommand, { Key: { customerId: 'no-brand' } }).resolves({ Item: {} });

      // Act
      const refused = createRequest(deps({ doc }), { type: 'export', customerId: 'other-brand', brand: 'albelli' });
      await expect(refused).rejects.toMatchObject({ name: 'BrandMismatch', message: 'The customer belongs to brand bonusprint, but the request names brand albelli' });
      const accepted = await createRequest(deps({ doc }), { type: 'export', customerId: 'no-brand', brand: 'albelli' });

      // Assert
      expect(accepted.created).toBe(true);
      expect(profiles.commandCalls(GetCommand).map((call) => call.args[0].input)).toEqual(
        ['other-brand', 'no-brand'].map((customerId) => ({
          TableName: PROFILE_TABLE,
          Key: { customerId },
          ConsistentRead: true,
          ProjectionExpression: '#brand',
          ExpressionAttributeNames: { '#brand': 'brand' },
        })),
      );
    } finally {
      profiles.restore();
    }
  });

  it('refuses a second open request of the type with DuplicateRequest naming the open one', async () => {
    // Arrange
    const customerId = customer();
    const first = await createRequest(deps(), { type: 'export', customerId, brand: 'albelli' });

    // Act
    const attempt = createRequest(deps(), { type: 'export', customerId, brand: 'albelli' });

    // Assert
    await expect(attempt).rejects.toMatchObject({ name: 'DuplicateRequest', message: `The customer already has an open export request ${first.view.requestId}`, openRequestId: first.view.requestId });
  });

  it('a retried create of a record that is no longer pending and has no execution starts none; another body is RequestConflict', async () => {
    // Arrange
    const body = { type: 'export', customerId: customer(), brand: 'albelli', requestId: randomUUID() } as const;
    const record = newRequestRecord({ requestId: body.requestId, type: 'export', customerId: body.customerId, customerKey: customerKey(body.customerId, KEY), brand: 'albelli', bodyHash: bodyHash(body, KEY), receivedAt: NOW });
    await fixture.table.ledger.create(record);
    await fixture.table.ledger.transition(body.requestId, 'cancelled');

    // Act
    const retried = await createRequest(deps(), body);
    const conflicting = createRequest(deps(), { ...body, brand: 'resnap' });

    // Assert
    expect(retried.created).toBe(false);
    expect(retried.view.status).toBe('cancelled');
    expect(retried.view).not.toHaveProperty('executionArn');
    expect(fixture.stepFunctions.executions.size).toBe(0);
    await expect(conflicting).rejects.toMatchObject({ name: 'RequestConflict', message: `Request ${body.requestId} already exists with a different body` });
  });

  it('a retried create of a completed request returns its record, even while the customer has another open request of that type', async () => {
    // Arrange
    const customerId = customer();
    const first = { type: 'export', customerId, brand: 'albelli', requestId: randomUUID() } as const;
    await createRequest(deps(), first);
    await fixture.table.ledger.transition(first.requestId, 'in_progress');
    await fixture.table.ledger.transition(first.requestId, 'completed', { result: { volumeCount: 1 } });
    const second = await createRequest(deps(), { type: 'export', customerId, brand: 'albelli' });

    // Act
    const retried = await createRequest(deps(), first);

    // Assert
    expect(second.created).toBe(true);
    expect(retried).toMatchObject({ created: false, view: { requestId: first.requestId, status: 'completed' } });
  });

  it('a create that lost the put to a concurrent one returns the stored record when the bodies match, RequestConflict otherwise', async () => {
    // Arrange
    const body = { type: 'export', customerId: customer(), brand: 'albelli', requestId: randomUUID() } as const;
    const winner = {
      ...newRequestRecord({ requestId: body.requestId, type: 'export', customerId: body.customerId, customerKey: customerKey(body.customerId, KEY), brand: 'albelli', bodyHash: bodyHash(body, KEY), receivedAt: NOW }),
      executionArn: 'arn:started-by-the-winner',
    };
    const racing = (stored: typeof winner): Ledger =>
      Object.assign(Object.create(fixture.table.ledger) as Ledger, {
        find: async () => undefined,
        claimOpen: async () => ({ claimed: true }),
        create: async () => ({ record: stored, created: false }),
      });

    // Act
    const same = await createRequest(deps({ ledger: racing(winner) }), body);
    const other = createRequest(deps({ ledger: racing({ ...winner, bodyHash: 'another-body' }) }), body);

    // Assert
    expect(same.created).toBe(false);
    expect(same.view).toMatchObject({ requestId: body.requestId, executionArn: 'arn:started-by-the-winner' });
    expect(fixture.stepFunctions.executions.size).toBe(0);
    await expect(other).rejects.toMatchObject({ name: 'RequestConflict' });
  });

  it('refuses the execution input of a record without a customer id (InvalidStatusTransition) and leaves notBefore out when there is none', () => {
    // Arrange
    const record = newRequestRecord({ requestId: 'r-redacted', type: 'export', customerId: 'c1', customerKey: 'a'.repeat(64), brand: 'albelli', bodyHash: 'h', receivedAt: NOW });
    const { customerId: _customerId, ...redacted } = record;

    // Act
    const input = executionInput(record);

    // Assert
    expect(input).toStrictEqual({ requestId: 'r-redacted', type: 'export', brand: 'albelli' });
    expect(() => executionInput(redacted)).toThrow(expect.objectContaining({ name: 'InvalidStatusTransition', message: 'Request r-redacted no longer holds a customer id' }));
  });

  it('lists with the customer\'s keyed hash, the status, the page and (overdue) the 5-day horizon, keeping only requests overdue or due soon', async () => {
    // Arrange
    const filters: unknown[] = [];
    const record = (requestId: string, dueAt: string) => ({ ...newRequestRecord({ requestId, type: 'export', customerId: 'c1', customerKey: 'a'.repeat(64), brand: 'albelli', bodyHash: 'h', receivedAt: NOW }), dueAt });
    const items = [record('late', '2026-03-31T00:00:00.000Z'), record('soon', '2026-04-05T00:00:00.000Z'), record('later', '2026-04-20T00:00:00.000Z')];
    const ledger = { list: async (filter: unknown) => (filters.push(filter), { items, nextToken: filters.length === 1 ? 'next' : undefined }) } as unknown as Ledger;
    const listDeps = { ledger, customerKey: (customerId: string) => `key-of-${customerId}`, now: () => NOW };

    // Act
    const overdue = await listRequests(listDeps, { overdue: 'true', customerId: 'c1', status: 'pending', limit: 10, nextToken: 'token-1' } as never);
    const all = await listRequests(listDeps, { limit: 5 } as never);

    // Assert
    expect(filters).toEqual([
      { customerKey: 'key-of-c1', status: 'pending', dueBefore: '2026-04-06T08:00:00.000Z', limit: 10, nextToken: 'token-1' },
      { customerKey: undefined, status: undefined, dueBefore: undefined, limit: 5, nextToken: undefined },
    ]);
    expect(overdue.items.map((item) => item.requestId)).toEqual(['late', 'soon']);
    expect(overdue.nextToken).toBe('next');
    expect(all.items.map((item) => item.requestId)).toEqual(['late', 'soon', 'later']);
    expect(all).not.toHaveProperty('nextToken');
  });

  it('returns the view of one request: progress by store name, without body hash, version or corrections', async () => {
    // Arrange
    const record = {
      ...newRequestRecord({ requestId: randomUUID(), type: 'rectification', customerId: customer(), customerKey: 'b'.repeat(64), brand: 'albelli', bodyHash: 'h', receivedAt: NOW, corrections: { lastName: 'Person' } }),
      stores: {
        orders: { phase: 'rectify', status: 'completed', items: 1, bytes: 0, updatedAt: '2026-04-01T09:00:00.000Z' },
        'customer-profile': { phase: 'rectify', status: 'skipped', items: 0, bytes: 0, updatedAt: '2026-04-01T09:00:00.000Z' },
      },
    } as const;
    await fixture.table.ledger.create(record);

    // Act
    const view = await getRequest(deps(), record.requestId);

    // Assert
    expect(view).toStrictEqual({
      requestId: record.requestId,
      type: 'rectification',
      customerId: record.customerId,
      customerKey: 'b'.repeat(64),
      brand: 'albelli',
      status: 'pending',
      createdAt: '2026-04-01T08:00:00.000Z',
      updatedAt: '2026-04-01T08:00:00.000Z',
      dueAt: '2026-05-01T08:00:00.000Z',
      stores: [
        { store: 'customer-profile', phase: 'rectify', status: 'skipped', items: 0, bytes: 0, updatedAt: '2026-04-01T09:00:00.000Z' },
        { store: 'orders', phase: 'rectify', status: 'completed', items: 1, bytes: 0, updatedAt: '2026-04-01T09:00:00.000Z' },
      ],
    });
  });

  it('refuses to cancel a final request, and a running request other than an export, saying why', async () => {
    // Arrange
    const completed = await createRequest(deps(), { type: 'export', customerId: customer(), brand: 'albelli' });
    await fixture.table.ledger.transition(completed.view.requestId, 'in_progress');
    await fixture.table.ledger.transition(completed.view.requestId, 'completed', { result: { volumeCount: 1 } });
    const running = await createRequest(deps(), { type: 'objection', customerId: customer(), brand: 'albelli', purpose: 'smart-creation' });
    await fixture.table.ledger.transition(running.view.requestId, 'in_progress');

    // Act
    const final = cancelRequest(deps(), completed.view.requestId);
    const objection = cancelRequest(deps(), running.view.requestId);

    // Assert
    await expect(final).rejects.toMatchObject({ name: 'InvalidStatusTransition', message: `Request ${completed.view.requestId} is completed; only a pending or held request or a running export can be cancelled` });
    await expect(objection).rejects.toMatchObject({
      name: 'InvalidStatusTransition',
      message: `Request ${running.view.requestId} (objection) is in progress and cannot be cancelled: only a running export can be stopped; let it finish`,
    });
    expect(fixture.stepFunctions.stopped).toEqual([]);
  });

  it('cancels a pending request other than an export by stopping its one execution (RequestCancelled), reading no executions and removing no export data', async () => {
    // Arrange
    const sfn = new SFNClient({ region: 'eu-west-1' });
    const s3 = new S3Client({ region: 'eu-west-1' });
    const sfnMock = mockClient(sfn);
    const s3Mock = mockClient(s3);
    try {
      sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: `arn:aws:states:eu-west-1:000000000000:execution:dsr-restriction:${input.name}` }));
      const created = await createRequest(deps({ sfn }), { type: 'restriction', customerId: customer(), brand: 'albelli', action: 'lift', scope: 'marketing' });
      const unstarted = newRequestRecord({ requestId: randomUUID(), type: 'restriction', customerId: customer(), customerKey: 'c'.repeat(64), brand: 'albelli', bodyHash: 'h', receivedAt: NOW });
      await fixture.table.ledger.create(unstarted);

      // Act
      const cancelled = await cancelRequest(deps({ sfn, s3 }), created.view.requestId);
      const cancelledUnstarted = await cancelRequest(deps({ sfn, s3 }), unstarted.requestId);

      // Assert
      expect(cancelled.status).toBe('cancelled');
      expect(cancelledUnstarted.status).toBe('cancelled');
      expect(sfnMock.commandCalls(StopExecutionCommand).map((call) => call.args[0].input)).toEqual([
        { executionArn: `arn:aws:states:eu-west-1:000000000000:execution:dsr-restriction:${created.view.requestId}`, error: 'RequestCancelled', cause: 'Cancelled through the API' },
      ]);
      expect(sfnMock.commandCalls(ListExecutionsCommand)).toEqual([]);
      expect(s3Mock.calls()).toEqual([]);
    } finally {
      sfnMock.restore();
      s3Mock.restore();
    }
  });

  it('cancelling an export stops every running execution of it found on any page of the export state machine, never a neighbour\'s', async () => {
    // Arrange
    const sfn = new SFNClient({ region: 'eu-west-1' });
    const s3 = new S3Client({ region: 'eu-west-1' });
    const sfnMock = mockClient(sfn);
    const s3Mock = mockClient(s3);
    try {
      sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: `arn:export:${input.name}` }));
      const { view } = await createRequest(deps({ sfn }), { type: 'export', customerId: customer(), brand: 'albelli' });
      const id = view.requestId;
      sfnMock
        .on(ListExecutionsCommand, { nextToken: undefined })
        .resolves({ executions: [{ name: `${id}x`, executionArn: 'arn:neighbour' }, { executionArn: 'arn:nameless' }, { name: `${id}-replay-1`, executionArn: 'arn:replay-1' }], nextToken: 'page-2' } as never)
        .on(ListExecutionsCommand, { nextToken: 'page-2' })
        .resolves({ executions: [{ name: id, executionArn: `arn:export:${id}` }, { name: `${id}-replay-2`, executionArn: 'arn:replay-2' }], nextToken: 'page-3' } as never)
        .on(ListExecutionsCommand, { nextToken: 'page-3' })
        .resolves({});
      s3Mock.on(GetBucketVersioningCommand).resolves({});
      s3Mock.on(ListObjectsV2Command).resolves({ IsTruncated: false });

      // Act
      await cancelRequest(deps({ sfn, s3 }), id);

      // Assert
      expect(sfnMock.commandCalls(ListExecutionsCommand).map((call) => call.args[0].input)).toEqual(
        [undefined, 'page-2', 'page-3'].map((nextToken) => ({ stateMachineArn: EXPORT_ARN, statusFilter: 'RUNNING', nextToken, maxResults: 1000 })),
      );
      expect(sfnMock.commandCalls(StopExecutionCommand).map((call) => call.args[0].input.executionArn)).toEqual([`arn:export:${id}`, 'arn:replay-1', 'arn:replay-2']);
    } finally {
      sfnMock.restore();
      s3Mock.restore();
    }
  });

  it('cancelling an export stops the execution the listing shows when the record has none yet, and the recorded one when the listing does not show it yet', async () => {
    // Arrange
    const sfn = new SFNClient({ region: 'eu-west-1' });
    const s3 = new S3Client({ region: 'eu-west-1' });
    const sfnMock = mockClient(sfn);
    const s3Mock = mockClient(s3);
    try {
      const exportRecord = (executionArn?: string) => ({
        ...newRequestRecord({ requestId: randomUUID(), type: 'export', customerId: customer(), customerKey: customerKey(customer(), KEY), brand: 'albelli', bodyHash: 'h', receivedAt: NOW }),
        ...(executionArn ? { executionArn } : {}),
      });
      const unrecorded = exportRecord();
      const unlisted = exportRecord('arn:recorded');
      for (const record of [unrecorded, unlisted]) await fixture.table.ledger.create(record);
      sfnMock.on(ListExecutionsCommand).resolvesOnce({ executions: [{ name: unrecorded.requestId, executionArn: 'arn:listed' }] } as never).resolves({});
      s3Mock.on(GetBucketVersioningCommand).resolves({});
      s3Mock.on(ListObjectsV2Command).resolves({ IsTruncated: false });

      // Act
      await cancelRequest(deps({ sfn, s3 }), unrecorded.requestId);
      await cancelRequest(deps({ sfn, s3 }), unlisted.requestId);

      // Assert
      expect(sfnMock.commandCalls(StopExecutionCommand).map((call) => call.args[0].input.executionArn)).toEqual(['arn:listed', 'arn:recorded']);
    } finally {
      sfnMock.restore();
      s3Mock.restore();
    }
  });

  it('a retried create of a pending request whose execution was started never starts it again (a closed execution of that name would refuse)', async () => {
    // Arrange
    const sfn = new SFNClient({ region: 'eu-west-1' });
    const sfnMock = mockClient(sfn);
    try {
      sfnMock.on(StartExecutionCommand).resolvesOnce({ executionArn: 'arn:first' }).rejects(new ExecutionAlreadyExists({ message: 'Execution already exists', $metadata: {} }));
      const body = { type: 'export', customerId: customer(), brand: 'albelli', requestId: randomUUID() } as const;
      await createRequest(deps({ sfn }), body);

      // Act
      const retried = await createRequest(deps({ sfn }), body);

      // Assert
      expect(retried).toMatchObject({ created: false, view: { status: 'pending', executionArn: 'arn:first' } });
      expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
    } finally {
      sfnMock.restore();
    }
  });

  it('refuses a download of a request that is not an export, or not completed, or a volume past the count, naming why', async () => {
    // Arrange
    const erasure = await createRequest(deps(), { type: 'erasure', customerId: customer(), brand: 'albelli' });
    const pending = await createRequest(deps(), { type: 'export', customerId: customer(), brand: 'albelli' });
    const done = await createRequest(deps(), { type: 'export', customerId: customer(), brand: 'albelli' });
    await fixture.table.ledger.transition(done.view.requestId, 'in_progress');
    await fixture.table.ledger.transition(done.view.requestId, 'completed', { result: { volumes: ['one', 'two'] } });

    // Act
    const attempts = [downloadUrl(deps(), erasure.view.requestId, 1), downloadUrl(deps(), pending.view.requestId, 1), downloadUrl(deps(), done.view.requestId, 3)];

    // Assert
    await expect(attempts[0]).rejects.toMatchObject({ name: 'RequestNotReady', message: `Request ${erasure.view.requestId} is an erasure, not an export` });
    await expect(attempts[1]).rejects.toMatchObject({ name: 'RequestNotReady', message: `Request ${pending.view.requestId} is pending; the export is not ready` });
    await expect(attempts[2]).rejects.toMatchObject({ name: 'DownloadNotFound', message: `Request ${done.view.requestId} has 2 volume(s); volume 3 does not exist` });
  });

  it('presigns the volume\'s archive key for the configured lifetime, as an attachment named after the request and volume', async () => {
    // Arrange
    const done = await createRequest(deps(), { type: 'export', customerId: customer(), brand: 'albelli' });
    await fixture.table.ledger.transition(done.view.requestId, 'in_progress');
    await fixture.table.ledger.transition(done.view.requestId, 'completed', { result: { volumeCount: 2 } });
    const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

    // Act
    const url = new URL(await downloadUrl(deps({ s3 }), done.view.requestId, 2));

    // Assert
    expect(url.pathname).toBe(`/${archiveKey(done.view.requestId, 2, KEY)}`);
    expect(url.hostname).toBe('dsr-exports.s3.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
    expect(url.searchParams.get('response-content-disposition')).toBe(`attachment; filename="dsr-export-${done.view.requestId}-2.zip"`);
  });
});

describe('bodyHash (canonical form)', () => {
  it('sorts the keys of objects inside arrays, keeps the order of array entries, and takes null values', () => {
    // Arrange
    const body = { type: 'export', customerId: 'c1', brand: 'albelli' } as const;
    const withList = (entries: unknown[]) => ({ ...body, list: entries }) as never;

    // Act
    const hash = bodyHash(withList([{ a: 1, b: 2 }, 'x']), KEY);

    // Assert
    // printf '%s' 'request-body:{"brand":"albelli","customerId":"c1","list":[{"a":1,"b":2},"x"],"type":"export"}' | openssl dgst -sha256 -hmac "$KEY"
    expect(hash).toBe('970a7dd1cda67655f2e7d854dcf82862fdb7853ac817baaa70bbb2a5af4aa0c5');
    expect(bodyHash(withList([{ b: 2, a: 1 }, 'x']), KEY)).toBe(hash);
    expect(bodyHash(withList(['x', { a: 1, b: 2 }]), KEY)).not.toBe(hash);
    expect(bodyHash({ ...body, callbackUrl: null } as never, KEY)).not.toBe(bodyHash(body, KEY));
  });
});
