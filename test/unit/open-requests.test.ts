import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { BrandMismatch, DuplicateRequest, RequestConflict } from '../../functions/core/errors';
import { Ledger, newRequestRecord, type RequestRecord, type RequestStatus } from '../../functions/core/ledger';
import { claimOpenMarker, openMarkerId, releaseOpenMarker, STALE_MARKER_SECONDS, type HolderState } from '../../functions/core/open-requests';
import { createRequest, type RequestsDeps } from '../../functions/core/requests';

/**
 * The one-open-request rule and the brand check against mocked clients: the marker's conditional
 * put, take-over from a final or long-missing holder, release on a final transition, the list scan,
 * and what `createRequest` leaves unwritten when it refuses.
 */

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1', credentials }));
const docMock = mockClient(doc);
const events = new EventBridgeClient({ region: 'eu-west-1', credentials });
const eventsMock = mockClient(events);
const sfn = new SFNClient({ region: 'eu-west-1', credentials });
const sfnMock = mockClient(sfn);

const TABLE = 'ledger';
const NOW = new Date('2026-03-10T12:00:00.000Z');
const CUSTOMER_KEY = 'a'.repeat(64);
const MARKER_KEY = { requestId: openMarkerId('export', CUSTOMER_KEY) };

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

function ledgerAt(now: Date): Ledger {
  return new Ledger({ doc, events, tableName: TABLE, eventBusName: 'bus', now: () => now });
}

function record(requestId: string, status: RequestStatus = 'pending'): RequestRecord {
  const pending = newRequestRecord({
    requestId,
    type: 'export',
    customerId: 'c1',
    customerKey: CUSTOMER_KEY,
    brand: 'albelli',
    bodyHash: 'hash',
    receivedAt: NOW,
  });
  return { ...pending, status };
}

function markerHeldBy(holder: string, claimedAt = NOW): void {
  docMock.on(PutCommand, { Item: { requestId: MARKER_KEY.requestId } }).rejects(conditionFailed());
  docMock.on(GetCommand, { Key: MARKER_KEY }).resolves({ Item: { ...MARKER_KEY, holder, claimedAt: claimedAt.toISOString() } });
}

beforeEach(() => {
  docMock.reset();
  eventsMock.reset();
  sfnMock.reset();
  docMock.on(GetCommand).resolves({});
  eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });
});

describe('open marker claim', () => {
  it('takes a free marker with a put conditional on its absence or the same holder', async () => {
    // Arrange
    docMock.on(PutCommand).resolves({});

    // Act
    const claim = await ledgerAt(NOW).claimOpen(record('r-new'));

    // Assert
    expect(claim).toEqual({ claimed: true });
    const put = docMock.commandCalls(PutCommand)[0]!.args[0].input;
    expect(put.Item).toEqual({ ...MARKER_KEY, holder: 'r-new', claimedAt: NOW.toISOString() });
    expect(put.ConditionExpression).toBe('attribute_not_exists(requestId) OR holder = :holder');
    expect(put.ExpressionAttributeValues).toEqual({ ':holder': 'r-new' });
  });

  it.each(['pending', 'in_progress', 'failed', 'on_hold'] as const)('refuses while the holder is %s, naming it, and changes nothing', async (status) => {
    // Arrange
    markerHeldBy('r-open');
    docMock.on(GetCommand, { Key: { requestId: 'r-open' } }).resolves({ Item: record('r-open', status) });

    // Act
    const claim = await ledgerAt(NOW).claimOpen(record('r-new'));

    // Assert
    expect(claim).toEqual({ claimed: false, openRequestId: 'r-open' });
    expect(docMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it.each(['completed', 'cancelled'] as const)('takes the marker over from a %s holder with an update conditional on that holder', async (status) => {
    // Arrange
    markerHeldBy('r-old');
    docMock.on(GetCommand, { Key: { requestId: 'r-old' } }).resolves({ Item: record('r-old', status) });
    docMock.on(UpdateCommand).resolves({});

    // Act
    const claim = await ledgerAt(NOW).claimOpen(record('r-new'));

    // Assert
    expect(claim).toEqual({ claimed: true });
    const update = docMock.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(update.Key).toEqual(MARKER_KEY);
    expect(update.ConditionExpression).toBe('holder = :previous');
    expect(update.ExpressionAttributeValues).toMatchObject({ ':holder': 'r-new', ':previous': 'r-old' });
  });

  it('a holder without a record still holds the marker within STALE_MARKER_SECONDS (its create may be between the writes) and loses it after', async () => {
    // Arrange
    const claimedAt = new Date(NOW.getTime() - (STALE_MARKER_SECONDS * 1000 - 1));
    markerHeldBy('r-crashed', claimedAt);
    docMock.on(GetCommand, { Key: { requestId: 'r-crashed' } }).resolves({});
    docMock.on(UpdateCommand).resolves({});

    // Act
    const early = await ledgerAt(NOW).claimOpen(record('r-new'));
    const late = await ledgerAt(new Date(claimedAt.getTime() + STALE_MARKER_SECONDS * 1000)).claimOpen(record('r-new'));

    // Assert
    expect(early).toEqual({ claimed: false, openRequestId: 'r-crashed' });
    expect(late).toEqual({ claimed: true });
    expect(docMock.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('a lost take-over race re-reads the marker and names the request that won it', async () => {
    // Arrange
    docMock.on(PutCommand).rejects(conditionFailed());
    docMock
      .on(GetCommand, { Key: MARKER_KEY })
      .resolvesOnce({ Item: { ...MARKER_KEY, holder: 'r-old', claimedAt: NOW.toISOString() } })
      .resolves({ Item: { ...MARKER_KEY, holder: 'r-winner', claimedAt: NOW.toISOString() } });
    docMock.on(GetCommand, { Key: { requestId: 'r-old' } }).resolves({ Item: record('r-old', 'completed') });
    docMock.on(GetCommand, { Key: { requestId: 'r-winner' } }).resolves({ Item: record('r-winner') });
    docMock.on(UpdateCommand).rejects(conditionFailed());

    // Act
    const claim = await ledgerAt(NOW).claimOpen(record('r-new'));

    // Assert
    expect(claim).toEqual({ claimed: false, openRequestId: 'r-winner' });
  });
});

describe('open marker release and listing', () => {
  it.each([
    ['completed', 'in_progress', 1],
    ['cancelled', 'pending', 1],
    ['in_progress', 'pending', 0],
    ['failed', 'in_progress', 0],
  ] as const)('a transition to %s (from %s) sends %i delete(s) of the marker, conditional on the holder', async (to, from, deletes) => {
    // Arrange
    docMock.on(GetCommand, { Key: { requestId: 'r-1' } }).resolves({ Item: record('r-1', from) });
    docMock.on(UpdateCommand).resolves({ Attributes: record('r-1', to) });
    docMock.on(DeleteCommand).resolves({});

    // Act
    const outcome = await ledgerAt(NOW).transition('r-1', to);

    // Assert
    expect(outcome.changed).toBe(true);
    const calls = docMock.commandCalls(DeleteCommand).map((call) => call.args[0].input);
    expect(calls).toHaveLength(deletes);
    for (const input of calls) {
      expect(input).toMatchObject({ Key: MARKER_KEY, ConditionExpression: 'holder = :holder', ExpressionAttributeValues: { ':holder': 'r-1' } });
    }
  });

  it('a final transition succeeds and emits its event when another request holds the marker', async () => {
    // Arrange
    docMock.on(GetCommand, { Key: { requestId: 'r-1' } }).resolves({ Item: record('r-1', 'in_progress') });
    docMock.on(UpdateCommand).resolves({ Attributes: record('r-1', 'completed') });
    docMock.on(DeleteCommand).rejects(conditionFailed());

    // Act
    const outcome = await ledgerAt(NOW).transition('r-1', 'completed');

    // Assert
    expect(outcome).toMatchObject({ changed: true, record: { status: 'completed' } });
    expect(eventsMock.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('the unfiltered list scans past the marker items', async () => {
    // Arrange
    docMock.on(ScanCommand).resolves({ Items: [record('r-1')] });

    // Act
    const page = await ledgerAt(NOW).list({ limit: 10 });

    // Assert
    expect(page.items.map((item) => item.requestId)).toEqual(['r-1']);
    expect(docMock.commandCalls(ScanCommand)[0]!.args[0].input).toMatchObject({
      FilterExpression: 'NOT begins_with(requestId, :marker)',
      ExpressionAttributeValues: { ':marker': 'open#' },
    });
  });
});

describe('createRequest refusals', () => {
  const deps = (): RequestsDeps => ({
    ledger: ledgerAt(NOW),
    sfn,
    s3: new S3Client({ region: 'eu-west-1', credentials }),
    doc,
    customerProfileTable: 'profiles',
    customerKey: () => CUSTOMER_KEY,
    exportStateMachineArn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:dsr-export',
    erasureStateMachineArn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:dsr-erasure',
    coolingOffSeconds: 30,
    exportsBucket: 'exports',
    hashKey: 'k'.repeat(40),
    downloadUrlTtlSeconds: 900,
    now: () => NOW,
  });

  it('a profile of another brand → BrandMismatch naming both brands, read consistently; nothing written or started', async () => {
    // Arrange
    docMock.on(GetCommand, { TableName: 'profiles' }).resolves({ Item: { brand: 'resnap' } });

    // Act
    const outcome = createRequest(deps(), { type: 'export', customerId: 'c1', brand: 'albelli' });

    // Assert
    await expect(outcome).rejects.toThrow(BrandMismatch);
    await expect(outcome).rejects.toThrow(/resnap.*albelli/);
    expect(docMock.commandCalls(GetCommand)[0]!.args[0].input).toMatchObject({ TableName: 'profiles', Key: { customerId: 'c1' }, ConsistentRead: true });
    expect(docMock.commandCalls(PutCommand)).toHaveLength(0);
    expect(docMock.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('without a profile the request proceeds: marker, then record, then execution', async () => {
    // Arrange
    docMock.on(GetCommand, { TableName: 'profiles' }).resolves({});
    docMock.on(PutCommand).resolves({});
    docMock.on(UpdateCommand).resolves({ Attributes: { ...record('r-new'), executionArn: 'arn:execution' } });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution', startDate: NOW });

    // Act
    const { view, created } = await createRequest(deps(), { type: 'export', customerId: 'c1', brand: 'albelli', requestId: '6f1c2f0e-8a4b-4c2d-9e1f-0a1b2c3d4e5f' });

    // Assert
    expect(created).toBe(true);
    expect(view.executionArn).toBe('arn:execution');
    expect(docMock.commandCalls(PutCommand).map((call) => call.args[0].input.Item!.requestId)).toEqual([MARKER_KEY.requestId, '6f1c2f0e-8a4b-4c2d-9e1f-0a1b2c3d4e5f']);
  });

  it('an open request of the customer and type → DuplicateRequest with its id; no record written, nothing started', async () => {
    // Arrange
    docMock.on(GetCommand, { TableName: 'profiles' }).resolves({ Item: { brand: 'albelli' } });
    markerHeldBy('r-open');
    docMock.on(GetCommand, { TableName: TABLE, Key: { requestId: 'r-open' } }).resolves({ Item: record('r-open', 'in_progress') });

    // Act
    const outcome = createRequest(deps(), { type: 'export', customerId: 'c1', brand: 'albelli' });

    // Assert
    await expect(outcome).rejects.toThrow(DuplicateRequest);
    await expect(outcome).rejects.toMatchObject({ openRequestId: 'r-open' });
    expect(docMock.commandCalls(PutCommand).map((call) => call.args[0].input.Item!.requestId)).toEqual([MARKER_KEY.requestId]);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('claimOpenMarker and releaseOpenMarker', () => {
  const deps = { doc, tableName: TABLE, now: () => NOW };
  const request = { requestId: 'r-new', type: 'export' as const, customerKey: CUSTOMER_KEY };
  const stateOf = (states: Record<string, HolderState>) => async (requestId: string) => states[requestId] ?? 'missing';
  const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

  it('names the marker open#<type>#<customerKey>', () => {
    // Act
    const id = openMarkerId('erasure', 'f'.repeat(64));

    // Assert
    expect(id).toBe(`open#erasure#${'f'.repeat(64)}`);
  });

  it('reads the marker consistently and takes it over with the holder and claim time replaced', async () => {
    // Arrange
    markerHeldBy('r-old', new Date('2026-01-01T00:00:00.000Z'));
    docMock.on(UpdateCommand).resolves({});

    // Act
    const claim = await claimOpenMarker(deps, request, stateOf({ 'r-old': 'final' }));

    // Assert
    expect(claim).toEqual({ claimed: true });
    expect(docMock.commandCalls(GetCommand)[0]!.args[0].input).toEqual({ TableName: TABLE, Key: MARKER_KEY, ConsistentRead: true });
    expect(docMock.commandCalls(UpdateCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: MARKER_KEY,
      UpdateExpression: 'SET holder = :holder, claimedAt = :now',
      ConditionExpression: 'holder = :previous',
      ExpressionAttributeValues: { ':holder': 'r-new', ':now': '2026-03-10T12:00:00.000Z', ':previous': 'r-old' },
    });
  });

  it('an open holder keeps the marker however long ago it claimed it', async () => {
    // Arrange
    markerHeldBy('r-open', new Date('2020-01-01T00:00:00.000Z'));

    // Act
    const claim = await claimOpenMarker(deps, request, stateOf({ 'r-open': 'open' }));

    // Assert
    expect(claim).toEqual({ claimed: false, openRequestId: 'r-open' });
    expect(docMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('a marker released between the refused put and the read is claimed by the next put', async () => {
    // Arrange
    docMock.on(PutCommand).rejectsOnce(conditionFailed()).resolves({});
    docMock.on(GetCommand, { Key: MARKER_KEY }).resolves({});

    // Act
    const claim = await claimOpenMarker(deps, request, stateOf({}));

    // Assert
    expect(claim).toEqual({ claimed: true });
    expect(docMock.commandCalls(PutCommand)).toHaveLength(2);
    expect(docMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('gives up after 8 attempts of a marker changing under it → RequestConflict naming the request', async () => {
    // Arrange
    markerHeldBy('r-old');
    docMock.on(UpdateCommand).rejects(conditionFailed());

    // Act
    const outcome = claimOpenMarker(deps, request, stateOf({ 'r-old': 'final' }));

    // Assert
    await expect(outcome).rejects.toThrow(RequestConflict);
    await expect(outcome).rejects.toThrow('Request r-new: too many concurrent requests of this customer and type');
    expect(docMock.commandCalls(PutCommand)).toHaveLength(8);
    expect(docMock.commandCalls(UpdateCommand)).toHaveLength(8);
  });

  it('a failing put that is not a condition failure is rethrown, without reading the marker', async () => {
    // Arrange
    docMock.on(PutCommand).rejects(throttled());

    // Act
    const outcome = claimOpenMarker(deps, request, stateOf({}));

    // Assert
    await expect(outcome).rejects.toThrow('Rate exceeded');
    expect(docMock.commandCalls(PutCommand)).toHaveLength(1);
    expect(docMock.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('a failing take-over that is not a condition failure is rethrown, without another attempt', async () => {
    // Arrange
    markerHeldBy('r-old');
    docMock.on(UpdateCommand).rejects(throttled());

    // Act
    const outcome = claimOpenMarker(deps, request, stateOf({ 'r-old': 'final' }));

    // Assert
    await expect(outcome).rejects.toThrow('Rate exceeded');
    expect(docMock.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('without a clock the claim is stamped with the current time', async () => {
    // Arrange
    docMock.on(PutCommand).resolves({});
    const before = Date.now();

    // Act
    await claimOpenMarker({ doc, tableName: TABLE }, request, stateOf({}));

    // Assert
    const claimedAt = Date.parse(String(docMock.commandCalls(PutCommand)[0]!.args[0].input.Item!.claimedAt));
    expect(claimedAt).toBeGreaterThanOrEqual(before);
    expect(claimedAt).toBeLessThanOrEqual(Date.now());
  });

  it('release deletes the marker on the condition that the request holds it', async () => {
    // Arrange
    docMock.on(DeleteCommand).resolves({});

    // Act
    await releaseOpenMarker(deps, request);

    // Assert
    expect(docMock.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: MARKER_KEY, ConditionExpression: 'holder = :holder', ExpressionAttributeValues: { ':holder': 'r-new' } },
    ]);
  });

  it('release ignores a failed delete (the next create takes a stale marker over)', async () => {
    // Arrange
    docMock.on(DeleteCommand).rejects(throttled());

    // Act
    const outcome = releaseOpenMarker(deps, request);

    // Assert
    await expect(outcome).resolves.toBeUndefined();
  });
});
