import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInput } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';
import type { RequestRecord } from '../../functions/core/ledger';
import { issueProcessingCertificate, issueProcessingCertificateInput, type ProcessingCertificate } from '../../functions/core/processing/certificate';
import { memoryBucket } from './helpers/memory-stores';
import { restoredAfterEach } from './helpers/replacements';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
let bucket: Map<string, string>;
const replacements = restoredAfterEach();
beforeEach(() => {
  s3Mock.reset();
  bucket = memoryBucket(s3Mock);
});

const record = {
  requestId: 'r1',
  type: 'objection',
  customerId: 'c1',
  customerKey: 'x',
  createdAt: '2026-01-10T10:00:00.000Z',
  dueAt: '2026-02-10T10:00:00.000Z',
  caller: 'token:ops',
  verification: { method: 'email-code', verifiedBy: 'portal', verifiedAt: '2026-01-10T09:00:00.000Z' },
  objection: { purpose: 'direct-marketing' },
} as unknown as RequestRecord;
const input = {
  requestId: 'r1',
  brand: 'albelli' as const,
  customerId: 'c1',
  changes: [
    { store: 'marketing-suppression', action: 'objection-recorded', items: 1 },
    { store: 'marketing', action: 'consents-withdrawn', items: 3 },
    { store: 'marketing', action: 'deleted', items: 2 },
  ],
  verification: { verifiedAt: '2026-01-10T10:05:00.000Z', checks: [{ store: 'marketing', check: 'consents not granted, source objection', left: 0 }] },
  notification: { notifiedAt: '2026-01-10T10:04:00.000Z', recipients: [{ id: 'email-marketing-provider', name: 'ESP', stores: ['marketing'] }] },
};
const deps = (request: RequestRecord = record, at = '2026-01-10T10:06:00.000Z') => ({ s3, auditBucket: 'dsr-audit', request: async () => request, env, now: () => new Date(at) });

describe('issueProcessingCertificate', () => {
  it('writes once what changed per store, the verification, the recipients and who asked, without the customer id', async () => {
    // Act
    const { certificate: summary } = await issueProcessingCertificate(deps(), input);

    // Assert
    const put = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect([put.Key, put.IfNoneMatch]).toEqual(['certificates/r1.json', '*']);
    const written = JSON.parse(bucket.get('certificates/r1.json')!) as ProcessingCertificate;
    expect(written).toEqual({
      format: 1,
      requestId: 'r1',
      type: 'objection',
      request: { objection: { purpose: 'direct-marketing' } },
      customerKey: customerKey('c1', env.DSR_HASH_KEY),
      brand: 'albelli',
      requestedAt: '2026-01-10T10:00:00.000Z',
      verifiedAt: '2026-01-10T10:05:00.000Z',
      issuedAt: '2026-01-10T10:06:00.000Z',
      stores: [
        { store: 'marketing-suppression', action: 'objection-recorded', items: 1, title: 'Marketing suppression list, restrictions and objections' },
        { store: 'marketing', action: 'consents-withdrawn', items: 3, title: 'Marketing preferences and segments' },
        { store: 'marketing', action: 'deleted', items: 2, title: 'Marketing preferences and segments' },
      ],
      verification: { result: 'passed', checks: input.verification.checks },
      notifiedRecipients: [{ id: 'email-marketing-provider', name: 'ESP', stores: ['marketing'], notifiedAt: '2026-01-10T10:04:00.000Z' }],
      lifecycle: { requestedBy: 'token:ops', identityVerification: record.verification, dueAt: '2026-02-10T10:00:00.000Z', holds: [] },
    });
    expect(bucket.get('certificates/r1.json')).not.toContain('"c1"');
    expect(summary).toEqual({
      bucket: 'dsr-audit',
      key: 'certificates/r1.json',
      customerKey: written.customerKey,
      requestedAt: written.requestedAt,
      verifiedAt: written.verifiedAt,
      issuedAt: written.issuedAt,
      verification: 'passed',
      stores: { 'marketing-suppression': { 'objection-recorded': 1 }, marketing: { 'consents-withdrawn': 3, deleted: 2 } },
      notifiedRecipients: ['email-marketing-provider'],
      lifecycle: written.lifecycle,
    });
  });

  it('answers a replay with the stored certificate\'s summary', async () => {
    const first = await issueProcessingCertificate(deps(), input);

    const replay = await issueProcessingCertificate(deps(record, '2026-01-11T00:00:00.000Z'), input);

    expect(replay).toEqual(first);
  });

  it('certifies a restriction with what it asked for', async () => {
    const restriction = { ...record, type: 'restriction', objection: undefined, restriction: { action: 'restrict', scope: 'all', ground: 'legal-claims' } } as unknown as RequestRecord;

    await issueProcessingCertificate(deps(restriction), input);

    expect(JSON.parse(bucket.get('certificates/r1.json')!)).toMatchObject({ type: 'restriction', request: { restriction: { action: 'restrict', scope: 'all', ground: 'legal-claims' } } });
  });

  it('refuses a request of another type and writes nothing', async () => {
    const erasure = { ...record, type: 'erasure', objection: undefined } as unknown as RequestRecord;

    await expect(issueProcessingCertificate(deps(erasure), input)).rejects.toThrow(new InvalidInput('Request r1 has type erasure, not restriction or objection'));
    expect(bucket.size).toBe(0);
  });

  it('refuses a restriction or objection record that does not say what it asked for', async () => {
    const bare = [
      { ...record, type: 'restriction', objection: undefined },
      { ...record, type: 'objection', objection: undefined },
      { ...record, type: 'objection', objection: undefined, restriction: { action: 'lift', scope: 'all' } },
      { ...record, type: 'restriction' },
      { ...record, type: 'erasure', restriction: { action: 'lift', scope: 'all' } },
    ] as unknown as RequestRecord[];

    for (const request of bare) {
      await expect(issueProcessingCertificate(deps(request), input)).rejects.toThrow(new InvalidInput(`Request r1 has type ${request.type}, not restriction or objection`));
    }
    expect(bucket.size).toBe(0);
  });

  it('issues at the current time with the process\'s hash key when given no clock and no environment', async () => {
    // Arrange
    replacements.setClock('2026-01-12T08:30:00.000Z');
    const previous = process.env.DSR_HASH_KEY;
    replacements.replace(
      () => {
        process.env.DSR_HASH_KEY = 'p'.repeat(40);
      },
      () => {
        if (previous === undefined) delete process.env.DSR_HASH_KEY;
        else process.env.DSR_HASH_KEY = previous;
      },
    );

    // Act
    const { certificate: summary } = await issueProcessingCertificate({ s3, auditBucket: 'dsr-audit', request: async () => record }, input);

    // Assert
    expect([summary.issuedAt, summary.customerKey]).toEqual(['2026-01-12T08:30:00.000Z', customerKey('c1', 'p'.repeat(40))]);
  });

  it('names the audit store when the certificate cannot be written', async () => {
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));

    await expect(issueProcessingCertificate(deps(), input)).rejects.toThrow('Store "audit" failed: AccessDenied: denied');
  });

  it('takes the request id, brand, changes, verification and notification, not the customer', () => {
    const { customerId: _customerId, ...stepInput } = input;

    expect(issueProcessingCertificateInput.parse(input)).toEqual(stepInput);
  });

  it.each([
    ['changes.0.items', { changes: [{ store: 'marketing', action: 'deleted', items: -1 }] }],
    ['changes.0.store', { changes: [{ action: 'deleted', items: 1 }] }],
    ['verification.checks.0.left', { verification: { verifiedAt: input.verification.verifiedAt, checks: [{ store: 'marketing', check: 'x', left: 0.5 }] } }],
    ['verification.verifiedAt', { verification: { checks: [] } }],
    ['notification.notifiedAt', { notification: { recipients: [] } }],
    ['notification.recipients', { notification: { notifiedAt: input.notification.notifiedAt } }],
  ])('refuses an input whose %s is missing or not a count', (path, change) => {
    const parsed = issueProcessingCertificateInput.safeParse({ ...input, ...change });

    expect(parsed.error!.issues.map((issue) => issue.path.join('.'))).toEqual([path]);
  });
});
