import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInput, ProcessingVerificationFailed, StoreFailed } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';
import type { RequestRecord } from '../../functions/core/ledger';
import { restrictionKey } from '../../functions/core/processing/check';
import type { RestrictionParameters } from '../../functions/core/processing/parameters';
import { applyRestriction, applyRestrictionOutput, restrictionOf, restrictionStepInput, scopesTouched, verifyRestriction } from '../../functions/core/processing/restriction';
import { memoryBucket, memoryTables, putAll } from './helpers/memory-stores';
import { restoredAfterEach } from './helpers/replacements';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);
const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
const now = () => new Date('2026-02-01T10:00:00.000Z');
const KEY = customerKey('c1', env.DSR_HASH_KEY);

/** Deps whose ledger holds one request with the given restriction (or of another type). */
function depsFor(restriction: RestrictionParameters | undefined, type: RequestRecord['type'] = 'restriction') {
  const ledger = { get: async (requestId: string) => ({ requestId, type, restriction }) as RequestRecord };
  return { doc, s3, auditBucket: 'dsr-audit', ledger, env, now };
}

let tables: ReturnType<typeof memoryTables>;
let bucket: Map<string, string>;
const replacements = restoredAfterEach();
beforeEach(() => {
  docMock.reset();
  s3Mock.reset();
  tables = memoryTables(docMock);
  bucket = memoryBucket(s3Mock);
});

const suppression = () => tables['dsr-marketing-suppression']!;
const entry = (scope: 'all' | 'marketing' | 'smart-creation', requestId = 'old', ground = 'legal-claims') => ({ hash: restrictionKey(KEY, scope), kind: 'restriction', scope, ground, requestId, since: '2026-01-01T00:00:00.000Z' });

describe('applyRestriction', () => {
  it('records the restriction under the keyed hash with its ground, request and time, and a replay keeps it', async () => {
    // Arrange
    const deps = depsFor({ action: 'restrict', scope: 'marketing', ground: 'accuracy-contested' });

    // Act
    const first = await applyRestriction(deps, { requestId: 'r1', customerId: 'c1' });
    const replay = await applyRestriction({ ...deps, now: () => new Date('2026-03-01T00:00:00.000Z') }, { requestId: 'r1', customerId: 'c1' });

    // Assert
    const expected = { action: 'restrict', scope: 'marketing', changes: [{ store: 'marketing-suppression', action: 'restriction-recorded', items: 1 }] };
    expect(first).toEqual(expected);
    expect(replay).toEqual(expected);
    expect([...suppression().values()]).toEqual([
      { hash: restrictionKey(KEY, 'marketing'), kind: 'restriction', scope: 'marketing', ground: 'accuracy-contested', requestId: 'r1', since: '2026-02-01T10:00:00.000Z' },
    ]);
    expect(JSON.stringify([...suppression().values()])).not.toContain('c1');
  });

  it('replaces an earlier request\'s restriction of the same scope', async () => {
    putAll(tables, 'dsr-marketing-suppression', [entry('marketing')]);

    await applyRestriction(depsFor({ action: 'restrict', scope: 'marketing', ground: 'objection-pending' }), { requestId: 'r2', customerId: 'c1' });

    expect([...suppression().values()]).toMatchObject([{ requestId: 'r2', ground: 'objection-pending', since: '2026-02-01T10:00:00.000Z' }]);
  });

  it('lifts every scope with all, recording each entry in the progress log before deleting it, and counts them once over a replay', async () => {
    putAll(tables, 'dsr-marketing-suppression', [entry('marketing'), entry('all'), { ...entry('smart-creation'), hash: restrictionKey(customerKey('c12', env.DSR_HASH_KEY), 'smart-creation') }]);
    const deps = depsFor({ action: 'lift', scope: 'all' });

    const lifted = await applyRestriction(deps, { requestId: 'r3', customerId: 'c1' });
    const replay = await applyRestriction(deps, { requestId: 'r3', customerId: 'c1' });

    expect(lifted.changes).toEqual([{ store: 'marketing-suppression', action: 'restriction-lifted', items: 2 }]);
    expect(replay.changes).toEqual(lifted.changes);
    expect([...suppression().values()].map((item) => item.hash)).toEqual([restrictionKey(customerKey('c12', env.DSR_HASH_KEY), 'smart-creation')]);
    expect([...bucket.keys()].map((key) => key.split('/').slice(0, 3).join('/'))).toEqual(['progress/r3/marketing-suppression']);
  });

  it('deletes nothing when the progress log cannot be written', async () => {
    putAll(tables, 'dsr-marketing-suppression', [entry('marketing')]);
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('slow down'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }));

    const lifting = applyRestriction(depsFor({ action: 'lift', scope: 'marketing' }), { requestId: 'r5', customerId: 'c1' });

    await expect(lifting).rejects.toThrow('Store "audit"');
    expect(docMock.commandCalls(DeleteCommand)).toHaveLength(0);
    expect(suppression().size).toBe(1);
  });

  it('lifts only the named scope, leaving a restriction of all in place', async () => {
    putAll(tables, 'dsr-marketing-suppression', [entry('marketing'), entry('all')]);

    const lifted = await applyRestriction(depsFor({ action: 'lift', scope: 'marketing' }), { requestId: 'r4', customerId: 'c1' });

    expect(lifted.changes[0]!.items).toBe(1);
    expect([...suppression().values()].map((item) => item.scope)).toEqual(['all']);
  });

  it('names the suppression store when the write fails, and refuses a request of another type', async () => {
    docMock.on(PutCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));

    await expect(applyRestriction(depsFor({ action: 'restrict', scope: 'all', ground: 'legal-claims' }), { requestId: 'r1', customerId: 'c1' })).rejects.toThrow(StoreFailed);
    await expect(restrictionOf(depsFor(undefined, 'objection').ledger, 'r9')).rejects.toThrow(new InvalidInput('Request r9 has type objection, not restriction'));
  });

  it('refuses an objection that carries a restriction, and a restriction that does not say what it asks for', async () => {
    await expect(restrictionOf(depsFor({ action: 'lift', scope: 'all' }, 'objection').ledger, 'r9')).rejects.toThrow(new InvalidInput('Request r9 has type objection, not restriction'));
    await expect(restrictionOf(depsFor(undefined).ledger, 'r9')).rejects.toThrow(new InvalidInput('Request r9 has type restriction, not restriction'));
  });

  it('takes the request id and answers what it did, as its schemas parse them', async () => {
    const applied = await applyRestriction(depsFor({ action: 'restrict', scope: 'marketing', ground: 'legal-claims' }), { requestId: 'r1', customerId: 'c1' });

    expect(restrictionStepInput.parse({ requestId: 'r1' })).toEqual({ requestId: 'r1' });
    expect(restrictionStepInput.safeParse({}).success).toBe(false);
    expect(applyRestrictionOutput.parse(applied)).toEqual(applied);
    expect(applyRestrictionOutput.safeParse({ ...applied, scope: 'email' }).success).toBe(false);
  });
});

describe('applyRestriction: what it writes and where', () => {
  const renamed = { DSR_TABLE_MARKETING_SUPPRESSION: 'eu-suppression' };
  const inRenamed = () => memoryTables(docMock, { 'dsr-marketing-suppression': 'eu-suppression' });

  it('records a restriction without a ground without a ground attribute', async () => {
    // Act
    await applyRestriction(depsFor({ action: 'restrict', scope: 'smart-creation' }), { requestId: 'r1', customerId: 'c1' });

    // Assert
    expect([...suppression().values()].map((item) => Object.keys(item))).toEqual([['hash', 'kind', 'scope', 'requestId', 'since']]);
  });

  it('records in the suppression table its environment names, keyed by the hash key of that environment', async () => {
    // Arrange
    const renamedTables = inRenamed();
    const deps = { ...depsFor({ action: 'restrict', scope: 'all', ground: 'legal-claims' }), env: { ...env, ...renamed } };

    // Act
    await applyRestriction(deps, { requestId: 'r1', customerId: 'c1' });
    const verified = await verifyRestriction(deps, { requestId: 'r1', customerId: 'c1' });

    // Assert
    expect([...renamedTables['eu-suppression']!.values()].map((item) => item.hash)).toEqual([restrictionKey(KEY, 'all')]);
    expect(verified.checks.map((check) => check.left)).toEqual([0, 0, 0]);
  });

  it('lifts from the suppression table its environment names, logging each entry under its known id', async () => {
    // Arrange
    putAll(inRenamed(), 'eu-suppression', [entry('all'), entry('marketing')]);
    const deps = { ...depsFor({ action: 'lift', scope: 'all' }), env: { ...env, ...renamed } };

    // Act
    const lifted = await applyRestriction(deps, { requestId: 'r3', customerId: 'c1' });
    const verified = await verifyRestriction(deps, { requestId: 'r3', customerId: 'c1' });

    // Assert
    expect(lifted.changes).toEqual([{ store: 'marketing-suppression', action: 'restriction-lifted', items: 2 }]);
    expect(docMock.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: 'eu-suppression', Key: { hash: restrictionKey(KEY, 'all') } },
      { TableName: 'eu-suppression', Key: { hash: restrictionKey(KEY, 'marketing') } },
    ]);
    expect([...bucket.values()].map((text) => JSON.parse(text))).toEqual([
      {
        store: 'marketing-suppression',
        entries: [
          { id: '7b243ace8f39b3c4422cf9c04b0684d8', deleted: 1, retained: 0, versionsDeleted: 0, bytes: 0 },
          { id: '82e2b17da9c7a40dd8a5ad9418ad6386', deleted: 1, retained: 0, versionsDeleted: 0, bytes: 0 },
        ],
      },
    ]);
    expect(verified.checks).toEqual([{ store: 'marketing-suppression', check: 'restriction of all lifted', left: 0 }]);
  });

  it('logs a lifted entry of the default table under its known id', async () => {
    putAll(tables, 'dsr-marketing-suppression', [entry('marketing')]);

    await applyRestriction(depsFor({ action: 'lift', scope: 'marketing' }), { requestId: 'r4', customerId: 'c1' });

    expect(JSON.parse([...bucket.values()][0]!).entries.map((logged: { id: string }) => logged.id)).toEqual(['524a7e1913caeac00a19ee96d110de9e']);
  });

  it('logs a lifted entry under the process\'s hash key when given no environment', async () => {
    // Arrange
    putAll(tables, 'dsr-marketing-suppression', [entry('marketing')]);
    const previous = process.env.DSR_HASH_KEY;
    replacements.replace(
      () => {
        process.env.DSR_HASH_KEY = env.DSR_HASH_KEY;
      },
      () => {
        if (previous === undefined) delete process.env.DSR_HASH_KEY;
        else process.env.DSR_HASH_KEY = previous;
      },
    );
    const { env: _env, ...deps } = depsFor({ action: 'lift', scope: 'marketing' });

    // Act
    const lifted = await applyRestriction(deps, { requestId: 'r4', customerId: 'c1' });

    // Assert
    expect(lifted.changes[0]!.items).toBe(1);
    expect(JSON.parse([...bucket.values()][0]!).entries.map((logged: { id: string }) => logged.id)).toEqual(['524a7e1913caeac00a19ee96d110de9e']);
  });

  it('counts nothing lifted when there is no restriction, and logs nothing', async () => {
    const lifted = await applyRestriction(depsFor({ action: 'lift', scope: 'smart-creation' }), { requestId: 'r6', customerId: 'c1' });

    expect(lifted).toEqual({ action: 'lift', scope: 'smart-creation', changes: [{ store: 'marketing-suppression', action: 'restriction-lifted', items: 0 }] });
    expect(docMock.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('names the suppression store when an entry cannot be deleted', async () => {
    putAll(tables, 'dsr-marketing-suppression', [entry('marketing')]);
    docMock.on(DeleteCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));

    const lifting = applyRestriction(depsFor({ action: 'lift', scope: 'marketing' }), { requestId: 'r5', customerId: 'c1' });

    await expect(lifting).rejects.toThrow(new StoreFailed('Store "marketing-suppression" failed: AccessDeniedException: denied'));
  });

  it('records and verifies at the current time when given no clock', async () => {
    // Arrange
    replacements.setClock('2026-02-03T04:05:06.000Z');
    const { now: _now, ...deps } = depsFor({ action: 'restrict', scope: 'marketing', ground: 'legal-claims' });

    // Act
    await applyRestriction(deps, { requestId: 'r1', customerId: 'c1' });
    const verified = await verifyRestriction(deps, { requestId: 'r1', customerId: 'c1' });

    // Assert
    expect([...suppression().values()][0]!.since).toBe('2026-02-03T04:05:06.000Z');
    expect(verified.verifiedAt).toBe('2026-02-03T04:05:06.000Z');
  });
});

describe('scopesTouched', () => {
  it('is the scope itself, except lift all which touches every scope', () => {
    expect(scopesTouched({ action: 'restrict', scope: 'all', ground: 'legal-claims' })).toEqual(['all']);
    expect(scopesTouched({ action: 'lift', scope: 'all' })).toEqual(['all', 'marketing', 'smart-creation']);
    expect(scopesTouched({ action: 'lift', scope: 'marketing' })).toEqual(['marketing']);
  });
});

describe('verifyRestriction', () => {
  it('passes a recorded restriction that the check answers for every purpose of its scope', async () => {
    putAll(tables, 'dsr-marketing-suppression', [entry('all', 'r1')]);

    const result = await verifyRestriction(depsFor({ action: 'restrict', scope: 'all', ground: 'legal-claims' }), { requestId: 'r1', customerId: 'c1' });

    expect(result).toEqual({
      verifiedAt: '2026-02-01T10:00:00.000Z',
      checks: [
        { store: 'marketing-suppression', check: 'restriction of all recorded', left: 0 },
        { store: 'marketing-suppression', check: 'processing check refuses marketing', left: 0 },
        { store: 'marketing-suppression', check: 'processing check refuses smart-creation', left: 0 },
      ],
    });
  });

  it('fails naming the checks when the restriction is missing, and when a lifted entry is left', async () => {
    const restrict = verifyRestriction(depsFor({ action: 'restrict', scope: 'marketing', ground: 'legal-claims' }), { requestId: 'r1', customerId: 'c1' });
    await expect(restrict).rejects.toThrow(new ProcessingVerificationFailed('Restriction not in place: marketing-suppression: restriction of marketing recorded; marketing-suppression: processing check refuses marketing'));
    putAll(tables, 'dsr-marketing-suppression', [entry('smart-creation')]);

    const lift = verifyRestriction(depsFor({ action: 'lift', scope: 'all' }), { requestId: 'r2', customerId: 'c1' });

    await expect(lift).rejects.toThrow('Restriction not in place: marketing-suppression: restriction of all lifted');
  });

  it('passes a lift with nothing left', async () => {
    const result = await verifyRestriction(depsFor({ action: 'lift', scope: 'smart-creation' }), { requestId: 'r2', customerId: 'c1' });

    expect(result.checks).toEqual([{ store: 'marketing-suppression', check: 'restriction of smart-creation lifted', left: 0 }]);
  });
});
