import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkProcessing, objectionKey, refusingKeys, restrictionKey } from '../../functions/core/processing/check';
import { memoryTables, putAll } from './helpers/memory-stores';

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);
const K = 'a'.repeat(64);

beforeEach(() => docMock.reset());

describe('processing check keys', () => {
  it('keys restrictions and objections by the keyed hash, never a customer id', () => {
    expect(restrictionKey(K, 'marketing')).toBe(`restriction#${K}#marketing`);
    expect(objectionKey(K, 'direct-marketing')).toBe(`objection#${K}#direct-marketing`);
  });

  it('lists the entries that can refuse a purpose, strongest first', () => {
    expect(refusingKeys(K, 'marketing')).toEqual([`customer#${K}`, `objection#${K}#direct-marketing`, `restriction#${K}#all`, `restriction#${K}#marketing`]);
    expect(refusingKeys(K, 'smart-creation')).toEqual([`customer#${K}`, `objection#${K}#smart-creation`, `restriction#${K}#all`, `restriction#${K}#smart-creation`]);
  });
});

describe('checkProcessing', () => {
  const restriction = { hash: restrictionKey(K, 'all'), kind: 'restriction', scope: 'all', ground: 'legal-claims', requestId: 'r1', since: '2026-01-01T00:00:00.000Z' };
  const objection = { hash: objectionKey(K, 'direct-marketing'), kind: 'objection', purpose: 'direct-marketing', requestId: 'r2', since: '2026-01-02T00:00:00.000Z' };
  const erasure = { hash: `customer#${K}`, suppressedAt: '2026-01-03T00:00:00.000Z', emailHashes: new Set(['e']) };

  it('allows a purpose nothing refuses, reading the entries strongly consistent in one batch', async () => {
    // Arrange
    memoryTables(docMock);

    // Act
    const answer = await checkProcessing({ doc }, K, 'marketing');

    // Assert
    expect(answer).toEqual({ purpose: 'marketing', allowed: true });
    const batch = docMock.commandCalls(BatchGetCommand)[0]!.args[0].input.RequestItems!['dsr-marketing-suppression']!;
    expect(batch).toEqual({ Keys: refusingKeys(K, 'marketing').map((hash) => ({ hash })), ConsistentRead: true });
  });

  it('refuses with the restriction, its scope, ground, request and since', async () => {
    putAll(memoryTables(docMock), 'dsr-marketing-suppression', [restriction]);

    const answers = await Promise.all([checkProcessing({ doc }, K, 'marketing'), checkProcessing({ doc }, K, 'smart-creation')]);

    for (const [index, purpose] of (['marketing', 'smart-creation'] as const).entries()) {
      expect(answers[index]).toEqual({ purpose, allowed: false, reason: { kind: 'restriction', since: restriction.since, requestId: 'r1', scope: 'all', ground: 'legal-claims' } });
    }
  });

  it('names the objection before a restriction, and the erasure before both', async () => {
    const tables = memoryTables(docMock);
    putAll(tables, 'dsr-marketing-suppression', [restriction, objection]);
    const objected = await checkProcessing({ doc }, K, 'marketing');
    const otherPurpose = await checkProcessing({ doc }, K, 'smart-creation');
    putAll(tables, 'dsr-marketing-suppression', [erasure]);

    const erased = await checkProcessing({ doc }, K, 'marketing');

    expect(objected.reason).toEqual({ kind: 'objection', since: objection.since, requestId: 'r2' });
    expect(otherPurpose.reason!.kind).toBe('restriction');
    expect(erased).toEqual({ purpose: 'marketing', allowed: false, reason: { kind: 'erasure', since: erasure.suppressedAt } });
  });

  it('does not mix up customers: another keyed hash is allowed', async () => {
    putAll(memoryTables(docMock), 'dsr-marketing-suppression', [restriction, objection, erasure]);

    expect(await checkProcessing({ doc }, 'b'.repeat(64), 'marketing')).toEqual({ purpose: 'marketing', allowed: true });
  });

  it('names the strongest reason whatever order the batch answers in', async () => {
    // Arrange
    docMock.on(BatchGetCommand).resolves({ Responses: { 'dsr-marketing-suppression': [restriction, objection] } });

    // Act
    const answer = await checkProcessing({ doc }, K, 'marketing');

    // Assert
    expect(answer.reason).toEqual({ kind: 'objection', since: objection.since, requestId: 'r2' });
  });

  it('reads the suppression table its environment names', async () => {
    // Arrange
    putAll(memoryTables(docMock, { 'dsr-marketing-suppression': 'eu-suppression' }), 'eu-suppression', [objection]);

    // Act
    const answer = await checkProcessing({ doc, env: { DSR_TABLE_MARKETING_SUPPRESSION: 'eu-suppression' } }, K, 'marketing');

    // Assert
    expect(answer).toEqual({ purpose: 'marketing', allowed: false, reason: { kind: 'objection', since: objection.since, requestId: 'r2' } });
  });

  it('names the suppression store when the read fails', async () => {
    docMock.on(BatchGetCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));

    await expect(checkProcessing({ doc }, K, 'marketing')).rejects.toThrow('Store "marketing-suppression" failed: AccessDeniedException: denied');
  });
});
