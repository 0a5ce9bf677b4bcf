import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { getStore } from '../../functions/core/data-map';
import { issueCertificate, issueCertificateInput, issueCertificateOutput, type IssueCertificateInput } from '../../functions/core/erasure/certificate';
import { StoreFailed } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';
import { restoredAfterEach } from './helpers/replacements';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const replacements = restoredAfterEach();
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);
const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
const now = () => new Date('2025-06-01T12:00:00.000Z');
const noSuchKey = () => Object.assign(new Error('missing'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });

/** A GetObject body as the SDK returns it (only the method the core uses). */
function body(text: string) {
  return { transformToString: async () => text };
}

beforeEach(() => {
  docMock.reset();
  s3Mock.reset();
});

describe('issueCertificate', () => {
  const retainedKey = `retained#${customerKey('c1', env.DSR_HASH_KEY)}`;
  const input: IssueCertificateInput = {
    requestId: 'r1',
    customerId: 'c1',
    brand: 'albelli',
    erasure: [
      { store: 'orders', action: 'anonymise-and-retain', deleted: 2, retained: 2, versionsDeleted: 0, bytes: 500, finishedAt: '2025-06-01T11:00:00.000Z' },
      { store: 'uploaded-photos', action: 'delete', deleted: 10, retained: 0, versionsDeleted: 0, bytes: 1000, finishedAt: '2025-06-01T11:01:00.000Z' },
    ],
    verification: [
      { store: 'orders', items: 2, retainedItems: 2, personalItems: 0 },
      { store: 'uploaded-photos', items: 0, retainedItems: 0, personalItems: 0 },
    ],
    verifiedAt: '2025-06-01T11:02:00.000Z',
    notification: { notifiedAt: '2025-06-01T11:01:30.000Z', recipients: [{ id: 'email-marketing-provider', name: 'ESP', stores: ['marketing'] }] },
  };
  const deps = { s3, doc, auditBucket: 'dsr-audit', request: async () => ({ type: 'erasure' as const, createdAt: '2025-05-01T00:00:00.000Z', dueAt: '2025-06-01T00:00:00.000Z' }), env, now };
  /** The progress log as two executions left it: orders in one, the photos over a crash and a replay that overlapped (one photo recorded twice). */
  const progress = (): void => {
    const entry = (id: string, bytes: number, retained = 0) => ({ id, deleted: 1, retained, versionsDeleted: 0, bytes });
    const photos = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => entry(`p${from + i}`, 100));
    const objects: Record<string, unknown> = {
      'progress/r1/orders/a.json': { store: 'orders', entries: [entry('o1', 250, 1), entry('o2', 250, 1)] },
      'progress/r1/uploaded-photos/b.json': { store: 'uploaded-photos', entries: photos(0, 6) },
      'progress/r1/uploaded-photos/b2.json': { store: 'uploaded-photos', entries: photos(5, 10) },
    };
    s3Mock.on(ListObjectsV2Command, { Bucket: 'dsr-audit', Prefix: 'progress/r1/' }).resolves({ Contents: Object.keys(objects).map((Key) => ({ Key })) });
    for (const [Key, value] of Object.entries(objects)) s3Mock.on(GetObjectCommand, { Key }).resolves({ Body: body(JSON.stringify(value)) as never });
  };

  it('certifies a workflow that notifies nobody (a consent withdrawal of the photo library) with no recipients, naming its type', async () => {
    // Arrange
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3Mock.on(PutObjectCommand).resolves({});
    docMock.on(QueryCommand).resolves({ Items: [] });
    const { notification: _notification, ...withoutNotification } = input;
    const withdrawal = { ...deps, request: async () => ({ type: 'consent-withdrawal' as const, createdAt: '2025-05-01T00:00:00.000Z', dueAt: '2025-05-04T00:00:00.000Z' }) };

    // Act
    const { certificate: summary } = await issueCertificate(withdrawal, { ...withoutNotification, erasure: [input.erasure[1]!], verification: [input.verification[1]!] });

    // Assert
    const written = JSON.parse(String(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Body)) as { type: string; notifiedRecipients: unknown[]; stores: { store: string }[] };
    expect(written.type).toBe('consent-withdrawal');
    expect(summary.type).toBe('consent-withdrawal');
    expect(written.notifiedRecipients).toEqual([]);
    expect(written.stores.map((entry) => entry.store)).toEqual(['uploaded-photos']);
    expect(summary.notifiedRecipients).toEqual([]);
  });

  it('writes the certificate with the totals of the progress log, retained invoices and recipients, and returns a small summary', async () => {
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    progress();
    s3Mock.on(PutObjectCommand).resolves({});
    docMock.on(QueryCommand, { ExpressionAttributeValues: { ':value': 'c1' } }).resolves({ Items: [] });
    docMock.on(QueryCommand, { ExpressionAttributeValues: { ':value': retainedKey } }).resolves({
      Items: [
        { customerId: retainedKey, orderId: 'o1', invoiceNumber: 'INV-1', invoiceDate: '2024-03-15T10:00:00.000Z', retainUntil: '2031-03-15T23:59:59.999Z' },
        { customerId: retainedKey, orderId: 'o2', invoiceNumber: 'INV-2', invoiceDate: '2024-04-15T10:00:00.000Z', retainUntil: '2031-04-15T23:59:59.999Z' },
      ],
    });

    const { certificate: summary } = await issueCertificate(deps, input);

    const put = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put.Key).toBe('certificates/r1.json');
    expect(put.IfNoneMatch).toBe('*');
    const certificate = JSON.parse(String(put.Body));
    expect(certificate).toMatchObject({
      requestId: 'r1',
      customerKey: customerKey('c1', env.DSR_HASH_KEY),
      requestedAt: '2025-05-01T00:00:00.000Z',
      erasedAt: '2025-06-01T11:01:00.000Z',
      verifiedAt: '2025-06-01T11:02:00.000Z',
      totals: { deleted: 12, retained: 2, versionsDeleted: 0, bytes: 1500 },
      verification: { result: 'passed' },
      notifiedRecipients: [{ id: 'email-marketing-provider', notifiedAt: '2025-06-01T11:01:30.000Z' }],
    });
    expect(certificate.retainedRecords).toEqual([
      expect.objectContaining({ store: 'orders', invoiceNumber: 'INV-1', retainUntil: '2031-03-15T23:59:59.999Z', legalBasis: expect.stringContaining('art. 52') }),
      expect.objectContaining({ invoiceNumber: 'INV-2' }),
    ]);
    expect(String(put.Body)).not.toContain('"c1"');
    expect(summary).toMatchObject({ key: 'certificates/r1.json', retainedRecords: 2, notifiedRecipients: ['email-marketing-provider'], stores: { orders: { deleted: 2, retained: 2 } } });
  });

  it('shows the request\'s lifecycle from its record: who asked, how the customer was verified, the extension and every hold period', async () => {
    // Arrange
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3Mock.on(PutObjectCommand).resolves({});
    docMock.on(QueryCommand).resolves({ Items: [] });
    const verification = { method: 'email-code' as const, verifiedBy: 'portal', verifiedAt: '2025-04-30T23:00:00.000Z' };
    const extension = { reason: 'complexity' as const, extendedAt: '2025-05-10T00:00:00.000Z', previousDueAt: '2025-06-01T00:00:00.000Z', extendedBy: 'token:ops' };
    const holds = [{ since: '2025-05-08T00:00:00.000Z', until: '2025-05-20T00:00:00.000Z', reasons: ['order o1: not yet paid'] }];
    const record = { type: 'erasure' as const, createdAt: '2025-05-01T00:00:00.000Z', dueAt: '2025-08-01T00:00:00.000Z', caller: 'arn:aws:sts::1:assumed-role/ops/a', verification, extension, holds };

    // Act
    const { certificate: summary } = await issueCertificate({ ...deps, request: async (requestId) => (requestId === 'r1' ? record : { type: 'export' as const, createdAt: 'x', dueAt: 'x' }) }, input);

    // Assert
    const lifecycle = { requestedBy: 'arn:aws:sts::1:assumed-role/ops/a', identityVerification: verification, dueAt: '2025-08-01T00:00:00.000Z', extension, holds };
    expect(JSON.parse(String(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Body)).lifecycle).toEqual(lifecycle);
    expect(summary.lifecycle).toEqual(lifecycle);
  });

  it('counts a store with nothing recorded as zero, whatever the run that reached the certificate says', async () => {
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3Mock.on(PutObjectCommand).resolves({});
    docMock.on(QueryCommand).resolves({ Items: [] });

    const { certificate: summary } = await issueCertificate(deps, input);

    expect(summary.totals).toEqual({ deleted: 0, retained: 0, versionsDeleted: 0, bytes: 0 });
  });

  it('returns the certificate another execution wrote first when the conditional write loses', async () => {
    const other = { format: 1, requestId: 'r1', customerKey: 'k', brand: 'albelli', requestedAt: 'a', erasedAt: 'b', verifiedAt: 'c', issuedAt: 'first', stores: [], totals: { deleted: 7, retained: 0, versionsDeleted: 0, bytes: 0 }, verification: { result: 'passed', stores: [] }, retainedRecords: [], notifiedRecipients: [] };
    s3Mock.on(GetObjectCommand, { Key: 'certificates/r1.json' }).rejectsOnce(noSuchKey()).resolves({ Body: body(JSON.stringify(other)) as never });
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } }));
    docMock.on(QueryCommand).resolves({ Items: [] });

    const { certificate: summary } = await issueCertificate(deps, input);

    expect(summary.issuedAt).toBe('first');
    expect(summary.totals.deleted).toBe(7);
  });

  it('keeps an existing certificate unchanged on a replay', async () => {
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    progress();
    s3Mock.on(PutObjectCommand).resolves({});
    docMock.on(QueryCommand).resolves({ Items: [] });
    await issueCertificate(deps, input);
    const first = String(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Body);
    s3Mock.reset();
    s3Mock.on(GetObjectCommand).resolves({ Body: body(first) as never });
    const replayInput = { ...input, erasure: input.erasure.map((result) => ({ ...result, deleted: 0, retained: 0, bytes: 0 })) };

    const { certificate: summary } = await issueCertificate({ ...deps, now: () => new Date('2025-07-01T00:00:00.000Z') }, replayInput);

    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(summary.totals).toEqual({ deleted: 12, retained: 2, versionsDeleted: 0, bytes: 1500 });
    expect(summary.issuedAt).toBe('2025-06-01T12:00:00.000Z');
  });
  // customer:c1 under 'k' × 40, computed once with openssl.
  const C1_KEY = '5471a5f8491c03a812f36c6b89f9025bf1f11d778f26bf35091a8208790ab7d8';

  it('writes the whole certificate once, in readable JSON, and summarises it', async () => {
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    progress();
    s3Mock.on(PutObjectCommand).resolves({});
    docMock.on(QueryCommand).resolves({ Items: [] });
    docMock.on(QueryCommand, { ExpressionAttributeValues: { ':value': retainedKey } }).resolves({
      Items: [{ customerId: retainedKey, orderId: 'o1', invoiceNumber: 7, invoiceDate: 20240315, retainUntil: '2031-03-15T23:59:59.999Z' }],
    });

    const { certificate: summary } = await issueCertificate(deps, input);

    const put = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    const legalBasis = (getStore('orders').erasure as { legalReason: string }).legalReason;
    const certificate = {
      format: 1,
      requestId: 'r1',
      type: 'erasure',
      customerKey: C1_KEY,
      brand: 'albelli',
      requestedAt: '2025-05-01T00:00:00.000Z',
      erasedAt: '2025-06-01T11:01:00.000Z',
      verifiedAt: '2025-06-01T11:02:00.000Z',
      issuedAt: '2025-06-01T12:00:00.000Z',
      stores: [
        { store: 'orders', action: 'anonymise-and-retain', deleted: 2, retained: 2, versionsDeleted: 0, bytes: 500, title: getStore('orders').title },
        { store: 'uploaded-photos', action: 'delete', deleted: 10, retained: 0, versionsDeleted: 0, bytes: 1000, title: getStore('uploaded-photos').title },
      ],
      totals: { deleted: 12, retained: 2, versionsDeleted: 0, bytes: 1500 },
      verification: { result: 'passed', stores: input.verification },
      retainedRecords: [{ store: 'orders', retainUntil: '2031-03-15T23:59:59.999Z', legalBasis }],
      notifiedRecipients: [{ id: 'email-marketing-provider', name: 'ESP', stores: ['marketing'], notifiedAt: '2025-06-01T11:01:30.000Z' }],
      lifecycle: { dueAt: '2025-06-01T00:00:00.000Z', holds: [] },
    };
    expect(put).toEqual({ Bucket: 'dsr-audit', Key: 'certificates/r1.json', Body: JSON.stringify(certificate, null, 2), ContentType: 'application/json', IfNoneMatch: '*' });
    expect(summary).toStrictEqual({
      bucket: 'dsr-audit',
      key: 'certificates/r1.json',
      type: 'erasure',
      customerKey: C1_KEY,
      requestedAt: '2025-05-01T00:00:00.000Z',
      erasedAt: '2025-06-01T11:01:00.000Z',
      verifiedAt: '2025-06-01T11:02:00.000Z',
      issuedAt: '2025-06-01T12:00:00.000Z',
      verification: 'passed',
      stores: {
        orders: { action: 'anonymise-and-retain', deleted: 2, retained: 2, versionsDeleted: 0 },
        'uploaded-photos': { action: 'delete', deleted: 10, retained: 0, versionsDeleted: 0 },
      },
      totals: { deleted: 12, retained: 2, versionsDeleted: 0, bytes: 1500 },
      retainedRecords: 1,
      notifiedRecipients: ['email-marketing-provider'],
      lifecycle: { dueAt: '2025-06-01T00:00:00.000Z', holds: [] },
    });
    const retainedQuery = docMock.commandCalls(QueryCommand).find((call) => call.args[0].input.ExpressionAttributeValues?.[':value'] === retainedKey)!;
    expect(retainedQuery.args[0].input.ConsistentRead).toBe(true);
    expect(docMock.commandCalls(QueryCommand)).toHaveLength(1);
    expect(issueCertificateOutput.parse({ certificate: summary })).toStrictEqual({ certificate: summary });
  });

  it('dates an erasure without store results at the time of issue, with the current time by default', async () => {
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    s3Mock.on(ListObjectsV2Command).resolves({});
    s3Mock.on(PutObjectCommand).resolves({});
    docMock.on(QueryCommand).resolves({ Items: [] });
    const before = new Date().toISOString();

    const { certificate: summary } = await issueCertificate({ ...deps, now: undefined }, { ...input, erasure: [] });

    expect(summary.issuedAt >= before).toBe(true);
    expect(summary.erasedAt).toBe(summary.issuedAt);
    expect(summary.stores).toEqual({});
  });

  it.each(['PreconditionFailed', 'ConditionalRequestConflict'])('after losing the conditional write (%s), returns the certificate written first', async (name) => {
    const other = { format: 1, requestId: 'r1', customerKey: 'k', brand: 'albelli', requestedAt: 'a', erasedAt: 'b', verifiedAt: 'c', issuedAt: 'first', stores: [], totals: { deleted: 7, retained: 0, versionsDeleted: 0, bytes: 0 }, verification: { result: 'passed', stores: [] }, retainedRecords: [], notifiedRecipients: [] };
    s3Mock.on(GetObjectCommand, { Key: 'certificates/r1.json' }).rejectsOnce(noSuchKey()).resolves({ Body: body(JSON.stringify(other)) as never });
    s3Mock.on(ListObjectsV2Command).resolves({});
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('lost'), { name, $metadata: { httpStatusCode: 409 } }));
    docMock.on(QueryCommand).resolves({ Items: [] });

    const { certificate: summary } = await issueCertificate(deps, input);

    expect(summary.issuedAt).toBe('first');
  });

  it.each([
    ['a refused write', 'AccessDenied', 'Store "audit" failed: AccessDenied: denied'],
    ['a lost write whose winner cannot be read', 'PreconditionFailed', 'Store "audit" failed: PreconditionFailed: denied'],
  ])('names the audit store for %s', async (_, name, message) => {
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    s3Mock.on(ListObjectsV2Command).resolves({});
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('denied'), { name, $metadata: { httpStatusCode: 403 } }));
    docMock.on(QueryCommand).resolves({ Items: [] });

    const issuing = issueCertificate(deps, input);

    await expect(issuing).rejects.toThrow(StoreFailed);
    await expect(issuing).rejects.toThrow(message);
  });

  it('names the audit store when the existing certificate cannot be read', async () => {
    s3Mock.on(GetObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));

    await expect(issueCertificate(deps, input)).rejects.toThrow('Store "audit" failed: AccessDenied: denied');
  });

  it('takes the step results and refuses a summary without its key', () => {
    const { customerId: _c, ...stepInput } = input;

    expect(issueCertificateInput.parse(stepInput)).toStrictEqual(stepInput);
    expect(() => issueCertificateInput.parse({ ...stepInput, brand: 'other' })).toThrow();
    for (const certificate of [null, 'x', {}, { key: 1 }]) expect(issueCertificateOutput.safeParse({ certificate }).success).toBe(false);
    // A step output without its certificate, or with something that is not an object (a function with a key), is refused as invalid, never a TypeError.
    expect(issueCertificateOutput.safeParse({}).success).toBe(false);
    expect(issueCertificateOutput.safeParse({ certificate: Object.assign(() => undefined, { key: 'certificates/r1.json' }) }).success).toBe(false);
    expect(issueCertificateOutput.safeParse({ certificate: { key: 'certificates/r1.json' } }).success).toBe(true);
  });
  it('sums every count, dates the erasure by its last store, keeps string invoice references, and uses the configured key by default', async () => {
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    s3Mock.on(PutObjectCommand).resolves({});
    const entry = (id: string, versionsDeleted: number) => ({ id, deleted: 1, retained: 0, versionsDeleted, bytes: 1 });
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'progress/r1/uploaded-photos/a.json' }, { Key: 'progress/r1/call-recordings/b.json' }] });
    s3Mock.on(GetObjectCommand, { Key: 'progress/r1/uploaded-photos/a.json' }).resolves({ Body: body(JSON.stringify({ store: 'uploaded-photos', entries: [entry('a', 2)] })) as never });
    s3Mock.on(GetObjectCommand, { Key: 'progress/r1/call-recordings/b.json' }).resolves({ Body: body(JSON.stringify({ store: 'call-recordings', entries: [entry('b', 3)] })) as never });
    docMock.on(QueryCommand).resolves({ Items: [{ customerId: retainedKey, orderId: 'o1', invoiceNumber: 'INV-1', invoiceDate: '2024-03-15T10:00:00.000Z', retainUntil: '2031-03-15T23:59:59.999Z' }] });
    const result = (store: string, finishedAt: string) => ({ store, action: 'delete' as const, deleted: 0, retained: 0, versionsDeleted: 0, bytes: 0, finishedAt });
    replacements.setEnv('DSR_HASH_KEY', env.DSR_HASH_KEY);
    const { certificate: summary } = await issueCertificate(
      { ...deps, env: undefined },
      { ...input, erasure: [result('call-recordings', '2025-06-01T11:05:00.000Z'), result('uploaded-photos', '2025-06-01T11:09:00.000Z'), result('marketing', '2025-06-01T11:01:00.000Z')] },
    );

    expect(summary.totals).toEqual({ deleted: 2, retained: 0, versionsDeleted: 5, bytes: 2 });
    expect(summary.erasedAt).toBe('2025-06-01T11:09:00.000Z');
    expect(summary.customerKey).toBe(C1_KEY);
    const written = JSON.parse(String(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Body));
    expect(written.retainedRecords).toEqual([
      { store: 'orders', invoiceNumber: 'INV-1', invoiceDate: '2024-03-15T10:00:00.000Z', retainUntil: '2031-03-15T23:59:59.999Z', legalBasis: (getStore('orders').erasure as { legalReason: string }).legalReason },
    ]);
  });

  it('never answers a refused write with a certificate it finds afterwards', async () => {
    const other = { format: 1, requestId: 'r1', customerKey: 'k', brand: 'albelli', requestedAt: 'a', erasedAt: 'b', verifiedAt: 'c', issuedAt: 'first', stores: [], totals: { deleted: 7, retained: 0, versionsDeleted: 0, bytes: 0 }, verification: { result: 'passed', stores: [] }, retainedRecords: [], notifiedRecipients: [] };
    s3Mock.on(GetObjectCommand, { Key: 'certificates/r1.json' }).rejectsOnce(noSuchKey()).resolves({ Body: body(JSON.stringify(other)) as never });
    s3Mock.on(ListObjectsV2Command).resolves({});
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    docMock.on(QueryCommand).resolves({ Items: [] });

    await expect(issueCertificate(deps, input)).rejects.toThrow('Store "audit" failed: AccessDenied: denied');
  });
});
