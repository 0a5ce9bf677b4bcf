import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { emailHash, phoneHash } from '../../functions/core/erasure/suppression';
import { InvalidInput, ProcessingVerificationFailed, StoreFailed, StoreUnavailable } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';
import type { RequestRecord } from '../../functions/core/ledger';
import { objectionKey } from '../../functions/core/processing/check';
import { applyObjection, applyObjectionOutput, objectionOf, objectionStepInput, OBJECTED_ENTRIES, verifyObjection } from '../../functions/core/processing/objection';
import type { ObjectionPurpose } from '../../functions/core/processing/parameters';
import { inFlight } from './helpers/in-flight';
import { memoryBucket, memoryTables, putAll } from './helpers/memory-stores';
import { restoredAfterEach } from './helpers/replacements';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);
const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
const now = () => new Date('2026-02-01T10:00:00.000Z');
const retry = { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0, sleep: async () => {} };

/** Deps whose ledger holds one objection with the given purpose (or a request of another type). */
function depsFor(purpose: ObjectionPurpose | undefined, type: RequestRecord['type'] = 'objection') {
  const ledger = { get: async (requestId: string) => ({ requestId, type, ...(purpose ? { objection: { purpose } } : {}) }) as RequestRecord };
  return { doc, s3, auditBucket: 'dsr-audit', ledger, env, now, retry, concurrency: 2 };
}

/** The stores of one customer: profile, three consents, a segment, an audience, an analysis and two edits. */
function customer(customerId: string, name: (table: string) => string = (table) => table) {
  const at = '2026-01-01T00:00:00.000Z';
  putAll(tables, name('dsr-customer-profile'), [{ customerId, email: `${customerId}@example.com`, phone: '+31 6 1111 2222' }]);
  putAll(tables, name('dsr-marketing'), [
    { customerId, entryId: 'consent#email', channel: 'email', granted: true, address: `${customerId}.news@example.com`, updatedAt: at, source: 'checkout' },
    { customerId, entryId: 'consent#sms', channel: 'sms', granted: true, address: '+31 6 3333 4444', updatedAt: at, source: 'checkout' },
    { customerId, entryId: 'consent#post', channel: 'post', granted: false, address: 'Damrak 1', updatedAt: at, source: 'objection' },
    { customerId, entryId: 'segment#photo-book-buyers', segment: 'photo-book-buyers' },
    { customerId, entryId: 'audience#meta', platform: 'meta' },
  ]);
  putAll(tables, name('dsr-smart-creation'), [
    { customerId, entryId: 'analysis#p1' },
    { customerId, entryId: 'edit#2026-01-01T00:00:00.000Z' },
    { customerId, entryId: 'edit#2026-01-02T00:00:00.000Z' },
  ]);
}

let tables: ReturnType<typeof memoryTables>;
let bucket: Map<string, string>;
const replacements = restoredAfterEach();
beforeEach(() => {
  docMock.reset();
  s3Mock.reset();
  tables = memoryTables(docMock);
  bucket = memoryBucket(s3Mock);
  customer('c1');
  customer('c12');
});

const entriesOf = (table: string, customerId: string) => [...tables[table]!.values()].filter((item) => item.customerId === customerId);

describe('applyObjection: direct marketing', () => {
  it('records the objection, suppresses every contact point, withdraws every consent and deletes segments and audiences only, for c1 alone', async () => {
    // Arrange
    const before12 = { marketing: entriesOf('dsr-marketing', 'c12'), smart: entriesOf('dsr-smart-creation', 'c12') };
    const profile = entriesOf('dsr-customer-profile', 'c1');

    // Act
    const result = await applyObjection(depsFor('direct-marketing'), { requestId: 'r1', customerId: 'c1' });

    // Assert
    expect(result).toEqual({
      purpose: 'direct-marketing',
      changes: [
        { store: 'marketing-suppression', action: 'objection-recorded', items: 1 },
        { store: 'marketing-suppression', action: 'suppressed', items: 4 },
        { store: 'marketing', action: 'consents-withdrawn', items: 3 },
        { store: 'marketing', action: 'deleted', items: 2 },
      ],
    });
    const key = env.DSR_HASH_KEY;
    const suppression = tables['dsr-marketing-suppression']!;
    expect(suppression.get(JSON.stringify([objectionKey(customerKey('c1', key), 'direct-marketing')]))).toEqual({
      hash: objectionKey(customerKey('c1', key), 'direct-marketing'), kind: 'objection', purpose: 'direct-marketing', requestId: 'r1', since: '2026-02-01T10:00:00.000Z',
    });
    for (const hash of [emailHash('c1@example.com', key), emailHash('c1.news@example.com', key), phoneHash('+31611112222', key), phoneHash('+31633334444', key)]) {
      expect(suppression.get(JSON.stringify([hash]))).toMatchObject({ reason: 'objection', suppressedAt: '2026-02-01T10:00:00.000Z' });
    }
    expect(entriesOf('dsr-marketing', 'c1').map((item) => [item.entryId, item.granted, item.source, item.address])).toEqual([
      ['consent#email', false, 'objection', 'c1.news@example.com'],
      ['consent#sms', false, 'objection', '+31 6 3333 4444'],
      ['consent#post', false, 'objection', 'Damrak 1'],
    ]);
    expect(entriesOf('dsr-marketing', 'c1').find((item) => item.entryId === 'consent#post')!.updatedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(entriesOf('dsr-customer-profile', 'c1')).toEqual(profile);
    expect(entriesOf('dsr-smart-creation', 'c1')).toHaveLength(3);
    expect({ marketing: entriesOf('dsr-marketing', 'c12'), smart: entriesOf('dsr-smart-creation', 'c12') }).toEqual(before12);
    expect([...bucket.keys()].every((k) => k.startsWith('progress/r1/marketing/'))).toBe(true);
  });

  it('converges on a replay with the same counts and no second write of a withdrawn consent', async () => {
    const deps = depsFor('direct-marketing');
    const first = await applyObjection(deps, { requestId: 'r1', customerId: 'c1' });
    docMock.resetHistory();

    const replay = await applyObjection({ ...deps, now: () => new Date('2026-03-01T00:00:00.000Z') }, { requestId: 'r1', customerId: 'c1' });

    expect(replay).toEqual(first);
    expect(docMock.commandCalls(BatchWriteCommand)).toHaveLength(0);
    expect(entriesOf('dsr-marketing', 'c1').every((item) => item.updatedAt !== '2026-03-01T00:00:00.000Z')).toBe(true);
  });

  it('never replaces an erasure\'s suppression reason', async () => {
    const hash = emailHash('c1@example.com', env.DSR_HASH_KEY);
    putAll(tables, 'dsr-marketing-suppression', [{ hash, kind: 'email', reason: 'erasure', suppressedAt: '2025-01-01T00:00:00.000Z' }]);

    await applyObjection(depsFor('direct-marketing'), { requestId: 'r1', customerId: 'c1' });

    expect(tables['dsr-marketing-suppression']!.get(JSON.stringify([hash]))).toEqual({ hash, kind: 'email', reason: 'erasure', suppressedAt: '2025-01-01T00:00:00.000Z' });
  });

  it('names the marketing store when a consent cannot be written', async () => {
    docMock.on(UpdateCommand, { TableName: 'dsr-marketing' }).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));

    const applying = applyObjection(depsFor('direct-marketing'), { requestId: 'r1', customerId: 'c1' });

    await expect(applying).rejects.toThrow(StoreFailed);
    await expect(applying).rejects.toThrow('Store "marketing" failed');
  });
});

describe('applyObjection: failures, defaults and deployment names', () => {
  const failure = (name: string, status: number) => Object.assign(new Error('refused'), { name, $metadata: { httpStatusCode: status } });

  it('names the suppression store when the objection cannot be recorded, and goes no further', async () => {
    // Arrange
    docMock.on(PutCommand, { TableName: 'dsr-marketing-suppression' }).rejects(failure('AccessDeniedException', 400));

    // Act
    const applying = applyObjection(depsFor('smart-creation'), { requestId: 'r2', customerId: 'c1' });

    // Assert
    await expect(applying).rejects.toThrow(new StoreFailed('Store "marketing-suppression" failed: AccessDeniedException: refused'));
    expect(entriesOf('dsr-smart-creation', 'c1')).toHaveLength(3);
  });

  it('gives up deleting after the attempts of its retry policy', async () => {
    docMock.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => ({ UnprocessedItems: input.RequestItems }));

    const applying = applyObjection(depsFor('smart-creation'), { requestId: 'r2', customerId: 'c1' });

    await expect(applying).rejects.toThrow(StoreUnavailable);
    expect(docMock.commandCalls(BatchWriteCommand)).toHaveLength(retry.maxAttempts);
  });

  it('deletes with at most the given number of batches in flight', async () => {
    // Arrange
    putAll(tables, 'dsr-smart-creation', Array.from({ length: 100 }, (_, index) => ({ customerId: 'c1', entryId: `edit#2026-03-01T00:00:${String(index).padStart(2, '0')}` })));
    const slow = inFlight();
    docMock.on(BatchWriteCommand).callsFake(async (input: { RequestItems: Record<string, { DeleteRequest: { Key: { customerId: string; entryId: string } } }[]> }) => {
      const requests = input.RequestItems['dsr-smart-creation']!;
      for (const request of requests) tables['dsr-smart-creation']!.delete(JSON.stringify([request.DeleteRequest.Key.customerId, request.DeleteRequest.Key.entryId]));
      return slow.run(`${requests.length}`, {});
    });

    // Act
    const applied = await applyObjection(depsFor('smart-creation'), { requestId: 'r2', customerId: 'c1' });

    // Assert
    expect(applied.changes.at(-1)).toEqual({ store: 'smart-creation', action: 'deleted', items: 102 });
    expect(slow.state.max).toBe(2);
  });

  it('reads the customer strongly consistent, applying and verifying', async () => {
    const deps = depsFor('direct-marketing');
    await applyObjection(deps, { requestId: 'r1', customerId: 'c1' });
    await verifyObjection(deps, { requestId: 'r1', customerId: 'c1' });

    const queries = docMock.commandCalls(QueryCommand).map((call) => call.args[0].input);

    expect(queries.map((query) => [query.TableName, query.ConsistentRead])).toEqual(Array.from({ length: 5 }, () => ['dsr-marketing', true]));
  });

  it('works on the tables its environment names, with the default retry policy, concurrency and clock', async () => {
    // Arrange
    const names: Record<string, string> = { 'dsr-marketing-suppression': 'eu-suppression', 'dsr-customer-profile': 'eu-profile', 'dsr-marketing': 'eu-marketing', 'dsr-smart-creation': 'eu-smart' };
    tables = memoryTables(docMock, names);
    customer('c1', (table) => names[table]!);
    replacements.setClock('2026-02-03T04:05:06.000Z');
    const { retry: _retry, concurrency: _concurrency, now: _now, ...defaults } = depsFor('direct-marketing');
    const deps = { ...defaults, env: { ...env, DSR_TABLE_MARKETING_SUPPRESSION: 'eu-suppression', DSR_TABLE_CUSTOMER_PROFILE: 'eu-profile', DSR_TABLE_MARKETING: 'eu-marketing', DSR_TABLE_SMART_CREATION: 'eu-smart' } };

    // Act
    const applied = await applyObjection(deps, { requestId: 'r1', customerId: 'c1' });
    const smart = await applyObjection({ ...deps, ledger: depsFor('smart-creation').ledger }, { requestId: 'r2', customerId: 'c1' });
    const verified = await verifyObjection(deps, { requestId: 'r1', customerId: 'c1' });

    // Assert
    expect(applied.changes.map((change) => change.items)).toEqual([1, 4, 3, 2]);
    expect(smart.changes.map((change) => change.items)).toEqual([1, 2]);
    expect(verified.verifiedAt).toBe('2026-02-03T04:05:06.000Z');
    expect(verified.checks.map((check) => check.left)).toEqual([0, 0, 0, 0]);
    const key = customerKey('c1', env.DSR_HASH_KEY);
    expect(tables['eu-suppression']!.get(JSON.stringify([objectionKey(key, 'direct-marketing')]))!.since).toBe('2026-02-03T04:05:06.000Z');
    expect(entriesOf('eu-marketing', 'c1').map((item) => [item.entryId, item.updatedAt])).toEqual([
      ['consent#email', '2026-02-03T04:05:06.000Z'],
      ['consent#sms', '2026-02-03T04:05:06.000Z'],
      ['consent#post', '2026-01-01T00:00:00.000Z'],
    ]);
    expect(entriesOf('eu-smart', 'c1').map((item) => item.entryId)).toEqual(['analysis#p1']);
  });
});

describe('applyObjection: smart creation', () => {
  it('records the objection and deletes the tracked edits only, touching no marketing data', async () => {
    const marketing = entriesOf('dsr-marketing', 'c1');

    const result = await applyObjection(depsFor('smart-creation'), { requestId: 'r2', customerId: 'c1' });

    expect(result).toEqual({
      purpose: 'smart-creation',
      changes: [
        { store: 'marketing-suppression', action: 'objection-recorded', items: 1 },
        { store: 'smart-creation', action: 'deleted', items: 2 },
      ],
    });
    expect(entriesOf('dsr-smart-creation', 'c1').map((item) => item.entryId)).toEqual(['analysis#p1']);
    expect(entriesOf('dsr-smart-creation', 'c12')).toHaveLength(3);
    expect(entriesOf('dsr-marketing', 'c1')).toEqual(marketing);
    expect([...tables['dsr-marketing-suppression']!.values()].map((item) => item.hash)).toEqual([objectionKey(customerKey('c1', env.DSR_HASH_KEY), 'smart-creation')]);
  });

  it('keeps the first objection when a second request objects again', async () => {
    await applyObjection(depsFor('smart-creation'), { requestId: 'r2', customerId: 'c1' });

    await applyObjection(depsFor('smart-creation'), { requestId: 'r3', customerId: 'c1' });

    expect([...tables['dsr-marketing-suppression']!.values()][0]).toMatchObject({ requestId: 'r2' });
  });
});

describe('objection steps', () => {
  it('delete the entry kinds of the data map\'s stores', () => {
    expect(OBJECTED_ENTRIES).toEqual({
      'direct-marketing': { store: 'marketing', prefixes: ['segment#', 'audience#'] },
      'smart-creation': { store: 'smart-creation', prefixes: ['edit#'] },
    });
  });

  it('refuse a request of another type, and an objection that does not say what it objects to', async () => {
    await expect(objectionOf(depsFor(undefined, 'restriction').ledger, 'r9')).rejects.toThrow(new InvalidInput('Request r9 has type restriction, not objection'));
    await expect(objectionOf(depsFor('direct-marketing', 'restriction').ledger, 'r9')).rejects.toThrow(new InvalidInput('Request r9 has type restriction, not objection'));
    await expect(objectionOf(depsFor(undefined).ledger, 'r9')).rejects.toThrow(new InvalidInput('Request r9 has type objection, not objection'));
  });

  it('take the request id and answer what apply returned, as their schemas parse them', async () => {
    const applied = await applyObjection(depsFor('smart-creation'), { requestId: 'r2', customerId: 'c1' });

    expect(objectionStepInput.parse({ requestId: 'r2' })).toEqual({ requestId: 'r2' });
    expect(objectionStepInput.safeParse({}).success).toBe(false);
    expect(applyObjectionOutput.parse(applied)).toEqual(applied);
    expect(applyObjectionOutput.safeParse({ ...applied, purpose: 'profiling' }).success).toBe(false);
  });
});

describe('verifyObjection', () => {
  it('passes after the objection, with every check at zero', async () => {
    const deps = depsFor('direct-marketing');
    await applyObjection(deps, { requestId: 'r1', customerId: 'c1' });

    const result = await verifyObjection(deps, { requestId: 'r1', customerId: 'c1' });

    expect(result).toEqual({
      verifiedAt: '2026-02-01T10:00:00.000Z',
      checks: [
        { store: 'marketing-suppression', check: 'processing check refuses marketing', left: 0 },
        { store: 'marketing', check: 'segment# and audience# entries deleted', left: 0 },
        { store: 'marketing', check: 'consents not granted, source objection', left: 0 },
        { store: 'marketing-suppression', check: 'email and phone hashes suppressed', left: 0 },
      ],
    });
  });

  it('passes a smart-creation objection on its own checks, whatever the marketing data holds', async () => {
    const deps = depsFor('smart-creation');
    await applyObjection(deps, { requestId: 'r2', customerId: 'c1' });

    const result = await verifyObjection(deps, { requestId: 'r2', customerId: 'c1' });

    expect(result).toEqual({
      verifiedAt: '2026-02-01T10:00:00.000Z',
      checks: [
        { store: 'marketing-suppression', check: 'processing check refuses smart-creation', left: 0 },
        { store: 'smart-creation', check: 'edit# entries deleted', left: 0 },
      ],
    });
  });

  it('counts a consent not granted by another source, and one granted with the objection source, as not withdrawn', async () => {
    // Arrange
    const deps = depsFor('direct-marketing');
    await applyObjection(deps, { requestId: 'r1', customerId: 'c1' });
    putAll(tables, 'dsr-marketing', [
      { customerId: 'c1', entryId: 'consent#email', channel: 'email', granted: false, address: 'c1.news@example.com', source: 'preference-centre' },
      { customerId: 'c1', entryId: 'consent#sms', channel: 'sms', granted: true, address: '+31 6 3333 4444', source: 'objection' },
    ]);

    // Act
    const verifying = verifyObjection(deps, { requestId: 'r1', customerId: 'c1' });

    // Assert
    await expect(verifying).rejects.toThrow(new ProcessingVerificationFailed('Objection not in place: marketing: consents not granted, source objection (2 left)'));
  });

  it('fails naming every check that found something left', async () => {
    const direct = verifyObjection(depsFor('direct-marketing'), { requestId: 'r1', customerId: 'c1' });
    await expect(direct).rejects.toThrow(
      new ProcessingVerificationFailed(
        'Objection not in place: marketing-suppression: processing check refuses marketing (1 left); marketing: segment# and audience# entries deleted (2 left); marketing: consents not granted, source objection (2 left); marketing-suppression: email and phone hashes suppressed (4 left)',
      ),
    );

    const smart = verifyObjection(depsFor('smart-creation'), { requestId: 'r2', customerId: 'c1' });

    await expect(smart).rejects.toThrow('Objection not in place: marketing-suppression: processing check refuses smart-creation (1 left); smart-creation: edit# entries deleted (2 left)');
  });
});
