import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { StoreFailed } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';
import { newRequestRecord, type RequestRecord } from '../../functions/core/ledger';
import { certificateLifecycle } from '../../functions/core/lifecycle';
import { issueRectificationCertificate, issueRectificationCertificateInput, type RectificationCertificate } from '../../functions/core/rectification/certificate';
import { restoredAfterEach } from './helpers/replacements';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
const NOW = new Date('2026-03-02T09:00:00.000Z');
const RECORD: RequestRecord = {
  ...newRequestRecord({ requestId: 'r1', type: 'rectification', customerId: 'c1', customerKey: 'k', brand: 'albelli', bodyHash: 'h', receivedAt: new Date('2026-03-01T08:00:00.000Z'), caller: 'token:ops', verification: { method: 'id-document', verifiedBy: 'ops-team', verifiedAt: '2026-03-01T07:00:00.000Z' } }),
  corrections: { lastName: 'Secret' },
};
const INPUT = {
  requestId: 'r1',
  customerId: 'c1',
  brand: 'albelli' as const,
  rectification: [
    { store: 'customer-profile' as const, fields: ['lastName' as const], records: 1 },
    { store: 'marketing' as const, fields: [], records: 0 },
    { store: 'orders' as const, fields: [], records: 0 },
  ],
  verification: { verifiedAt: '2026-03-02T08:59:00.000Z', stores: [{ store: 'customer-profile' as const, checked: 1, mismatches: 0 }] },
  notification: { notifiedAt: '2026-03-02T08:59:30.000Z', recipients: [{ id: 'email-marketing-provider', name: 'Email-marketing service provider', stores: ['marketing'] }] },
};
const deps = { s3, auditBucket: 'dsr-audit', request: async () => RECORD, env, now: () => NOW };

/** A GetObject answer with a JSON body. */
const body = (value: unknown) => ({ Body: { transformToString: async () => JSON.stringify(value) } }) as never;
const noSuchKey = () => Object.assign(new Error('none'), { name: 'NoSuchKey' });

beforeEach(() => {
  s3Mock.reset();
});
const replacements = restoredAfterEach();
const savedKey = process.env.DSR_HASH_KEY;

/** Puts an environment variable back as it was (absent stays absent). */
function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

describe('issueRectificationCertificateInput', () => {
  it('takes from the step input the request, brand, per-store results, read-back and the recipients told', () => {
    // Arrange
    const state = { ...INPUT, notification: { ...INPUT.notification, events: 2 } };

    // Act
    const parsed = issueRectificationCertificateInput.parse(state);

    // Assert
    expect(parsed).toStrictEqual({ requestId: 'r1', brand: 'albelli', rectification: INPUT.rectification, verification: INPUT.verification, notification: INPUT.notification });
  });

  it('refuses an unknown brand or store', () => {
    expect(issueRectificationCertificateInput.safeParse({ ...INPUT, brand: 'other' }).success).toBe(false);
    expect(issueRectificationCertificateInput.safeParse({ ...INPUT, rectification: [{ store: 'photos', fields: [], records: 0 }] }).success).toBe(false);
  });
});

describe('issueRectificationCertificate', () => {
  it('writes once, under the request\'s certificate key, the fields and counts per store, the read-back, who asked and how verified, and no value', async () => {
    // Arrange
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    s3Mock.on(PutObjectCommand).resolves({});

    // Act
    const { certificate: summary } = await issueRectificationCertificate(deps, INPUT);

    // Assert
    const put = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: 'dsr-audit', Key: 'certificates/r1.json', IfNoneMatch: '*' });
    const written = JSON.parse(String(put.Body)) as RectificationCertificate;
    expect(written).toStrictEqual({
      format: 1,
      type: 'rectification',
      requestId: 'r1',
      customerKey: customerKey('c1', env.DSR_HASH_KEY),
      brand: 'albelli',
      requestedAt: '2026-03-01T08:00:00.000Z',
      rectifiedAt: '2026-03-02T08:59:00.000Z',
      issuedAt: NOW.toISOString(),
      lifecycle: certificateLifecycle(RECORD),
      stores: [
        { store: 'customer-profile', title: 'Customer profile', fields: ['lastName'], records: 1 },
        { store: 'marketing', title: 'Marketing preferences and segments', fields: [], records: 0 },
        { store: 'orders', title: 'Orders and invoices', fields: [], records: 0 },
      ],
      notRectified: [
        {
          store: 'orders',
          records: 'invoice data of every order (billing address, invoice number and date, amounts)',
          reason: 'An invoice is kept as issued: Dutch tax law (AWR art. 52) requires the records as they were, for 7 years',
        },
        { store: 'orders', records: 'shipping address of orders already shipped, delivered or cancelled', reason: 'The parcel has left; the address is a record of the delivery' },
      ],
      verification: { result: 'passed', verifiedAt: '2026-03-02T08:59:00.000Z', stores: INPUT.verification.stores },
      notifiedRecipients: [{ ...INPUT.notification.recipients[0], notifiedAt: '2026-03-02T08:59:30.000Z' }],
    });
    expect(written.lifecycle).toMatchObject({ requestedBy: 'token:ops' });
    expect(String(put.Body)).toContain('id-document');
    expect(String(put.Body)).not.toMatch(/Secret|"c1"/);
    expect(summary).toEqual({
      bucket: 'dsr-audit',
      key: 'certificates/r1.json',
      customerKey: customerKey('c1', env.DSR_HASH_KEY),
      requestedAt: '2026-03-01T08:00:00.000Z',
      verifiedAt: '2026-03-02T08:59:00.000Z',
      issuedAt: NOW.toISOString(),
      verification: 'passed',
      stores: { 'customer-profile': { fields: ['lastName'], records: 1 }, marketing: { fields: [], records: 0 }, orders: { fields: [], records: 0 } },
      notifiedRecipients: ['email-marketing-provider'],
    });
  });

  it('hashes the customer with the process\'s key and stamps the current time when the step is given neither', async () => {
    // Arrange
    replacements.replace(() => (process.env.DSR_HASH_KEY = 'p'.repeat(40)), () => restoreEnv('DSR_HASH_KEY', savedKey));
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    s3Mock.on(PutObjectCommand).resolves({});
    const before = Date.now();

    // Act
    const { certificate } = await issueRectificationCertificate({ s3, auditBucket: 'dsr-audit', request: async () => RECORD }, INPUT);

    // Assert
    expect(certificate.customerKey).toBe(customerKey('c1', 'p'.repeat(40)));
    expect(Date.parse(certificate.issuedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(certificate.issuedAt)).toBeLessThanOrEqual(Date.now());
  });

  it('answers the stored certificate on a replay and writes nothing', async () => {
    // Arrange
    s3Mock.on(PutObjectCommand).resolves({});
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    await issueRectificationCertificate(deps, INPUT);
    const stored = JSON.parse(String(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Body));
    s3Mock.reset();
    s3Mock.on(GetObjectCommand).resolves(body(stored));

    // Act
    const { certificate } = await issueRectificationCertificate({ ...deps, now: () => new Date('2030-01-01T00:00:00.000Z') }, INPUT);

    // Assert
    expect(certificate.issuedAt).toBe(NOW.toISOString());
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('names the audit store when the stored certificate cannot be read', async () => {
    // Arrange
    s3Mock.on(GetObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));

    // Act / Assert
    await expect(issueRectificationCertificate(deps, INPUT)).rejects.toThrow(new StoreFailed('Store "audit" failed: AccessDenied: denied'));
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('answers the certificate another execution wrote first, and names the audit store for any other failure', async () => {
    // Arrange
    const other = { ...JSON.parse(JSON.stringify({ requestId: 'r1', customerKey: 'x', requestedAt: 'a', issuedAt: 'b', stores: [], notifiedRecipients: [] })), verification: { result: 'passed', verifiedAt: 'v', stores: [] } };
    s3Mock.on(GetObjectCommand).rejectsOnce(noSuchKey()).resolves(body(other));
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('exists'), { name: 'PreconditionFailed' }));

    // Act
    const { certificate } = await issueRectificationCertificate(deps, INPUT);
    s3Mock.reset();
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));

    // Assert
    expect(certificate).toMatchObject({ customerKey: 'x', issuedAt: 'b', verifiedAt: 'v' });
    await expect(issueRectificationCertificate(deps, INPUT)).rejects.toThrow(new StoreFailed('Store "audit" failed: AccessDenied: denied'));
  });
});
