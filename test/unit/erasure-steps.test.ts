import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { issueCertificate, type IssueCertificateInput } from '../../functions/core/erasure/certificate';
import { checkLegalHold, MAX_LISTED_REASONS } from '../../functions/core/erasure/legal-hold';
import { notifyProcessors } from '../../functions/core/erasure/notify';
import { planErasure } from '../../functions/core/erasure/plan';
import { purgeRetained } from '../../functions/core/erasure/purge';
import { captureSuppressionKeys, emailHash, isSuppressed, phoneHash } from '../../functions/core/erasure/suppression';
import { checkErasureVerification } from '../../functions/core/erasure/verification';
import { ConfigurationError, ErasureVerificationFailed } from '../../functions/core/errors';
import { customerKey } from '../../functions/core/keyed-hash';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const docMock = mockClient(doc);
const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
const events = new EventBridgeClient({ region: 'eu-west-1' });
const eventsMock = mockClient(events);
const now = () => new Date('2025-06-01T12:00:00.000Z');

/** A GetObject body as the SDK returns it (only the method the core uses). */
function body(text: string) {
  return { transformToString: async () => text };
}

const noSuchKey = () => Object.assign(new Error('missing'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });

beforeEach(() => {
  docMock.reset();
  s3Mock.reset();
  eventsMock.reset();
});

describe('checkLegalHold', () => {
  const orders = (items: Record<string, unknown>[]) =>
    docMock.on(QueryCommand, { TableName: 'dsr-orders', ExpressionAttributeValues: { ':value': 'c1' } }).resolves({ Items: items });

  beforeEach(() => {
    docMock.on(QueryCommand).resolves({ Items: [] });
  });

  it('holds undelivered, unpaid and disputed orders and legal-claim contacts, naming only ids', async () => {
    orders([
      { orderId: 'o1', status: 'shipped', paymentStatus: 'paid', customerNote: 'secret' },
      { orderId: 'o2', status: 'delivered', paymentStatus: 'pending' },
      { orderId: 'o3', status: 'delivered', paymentStatus: 'disputed' },
      { orderId: 'o4', status: 'delivered', paymentStatus: 'paid' },
      { orderId: 'o5', status: 'cancelled', paymentStatus: 'refunded' },
    ]);
    docMock.on(QueryCommand, { TableName: 'dsr-contact-history' }).resolves({
      Items: [
        { contactId: 'k1', legalClaim: true, subject: 'lawyer letter' },
        { contactId: 'k2', legalClaim: false },
      ],
    });

    const result = await checkLegalHold(doc, { requestId: 'r1', customerId: 'c1' }, env);

    expect(result).toEqual({
      held: true,
      reasons: [
        'order o1: not yet delivered (status shipped)',
        'order o2: not yet paid',
        'order o3: payment disputed',
        'contact k1: complaint flagged as a legal claim',
      ],
    });
  });

  it('does not hold a customer whose orders are delivered and paid, or cancelled', async () => {
    orders([
      { orderId: 'o1', status: 'delivered', paymentStatus: 'paid' },
      { orderId: 'o2', status: 'cancelled', paymentStatus: 'pending' },
    ]);

    const result = await checkLegalHold(doc, { requestId: 'r1', customerId: 'c1' }, env);

    expect(result).toEqual({ held: false, reasons: [] });
  });

  it('summarises long reason lists', async () => {
    orders(Array.from({ length: 30 }, (_, i) => ({ orderId: `o${i}`, status: 'placed', paymentStatus: 'pending' })));

    const result = await checkLegalHold(doc, { requestId: 'r1', customerId: 'c1' }, env);

    expect(result.reasons).toHaveLength(MAX_LISTED_REASONS + 1);
    expect(result.reasons.at(-1)).toBe('and 10 more');
  });
});

describe('planErasure', () => {
  const functions = (prefix: string) =>
    Object.fromEntries(
      ['customer-profile', 'orders', 'uploaded-photos', 'photo-library', 'contact-history', 'call-recordings', 'marketing', 'smart-creation', 'exports'].map((id) => [id, `${prefix}-${id}`]),
    );

  it('plans every business store with its eraser and collector', () => {
    const plan = planErasure({ eraseFunctions: functions('erase'), collectFunctions: functions('collect') }, { requestId: 'r1' });

    expect(plan.stores.map((store) => store.store)).toContain('photo-library');
    expect(plan.stores.find((store) => store.store === 'orders')).toEqual({
      store: 'orders',
      action: 'anonymise-and-retain',
      eraseFunction: 'erase-orders',
      collectFunction: 'collect-orders',
    });
  });

  it('never narrows the scope by brand: the photo library and the customer\'s exports are planned for every request', () => {
    const plan = planErasure({ eraseFunctions: functions('erase'), collectFunctions: functions('collect') }, { requestId: 'r1' });

    expect(plan.stores.map((store) => store.store)).toEqual(['customer-profile', 'orders', 'uploaded-photos', 'photo-library', 'contact-history', 'call-recordings', 'marketing', 'smart-creation', 'exports']);
    expect(plan.stores.at(-1)).toEqual({ store: 'exports', action: 'delete', eraseFunction: 'erase-exports', collectFunction: 'collect-exports' });
  });

  it('fails naming the store when an eraser is not configured', () => {
    const { marketing: _marketing, ...withoutMarketing } = functions('erase');

    expect(() => planErasure({ eraseFunctions: withoutMarketing, collectFunctions: functions('collect') }, { requestId: 'r1' })).toThrow(
      ConfigurationError,
    );
  });
});

describe('checkErasureVerification', () => {
  it('passes when only retained records without personal fields are left', () => {
    const outcome = checkErasureVerification(
      {
        requestId: 'r1',
        results: [
          { store: 'orders', items: 3, retainedItems: 3, personalItems: 0 },
          { store: 'marketing', items: 0, retainedItems: 0, personalItems: 0 },
        ],
      },
      now,
    );

    expect(outcome).toEqual({ verified: true, verifiedAt: '2025-06-01T12:00:00.000Z', retainedItems: 3 });
  });

  it('fails naming every store with leftovers', () => {
    const check = () =>
      checkErasureVerification({
        requestId: 'r1',
        results: [
          { store: 'orders', items: 3, retainedItems: 3, personalItems: 1 },
          { store: 'uploaded-photos', items: 2, retainedItems: 0, personalItems: 2 },
          { store: 'marketing', items: 0, retainedItems: 0, personalItems: 0 },
        ],
      });

    expect(check).toThrow(ErasureVerificationFailed);
    expect(check).toThrow('Personal data left after erasure in: orders (1 personal records or files), uploaded-photos (2 personal records or files)');
  });
});

describe('suppression', () => {
  /** A suppression table in memory behind the mocked document client. */
  function fakeSuppressionTable(): Map<string, Record<string, unknown>> {
    const table = new Map<string, Record<string, unknown>>();
    docMock.on(GetCommand, { TableName: 'dsr-marketing-suppression' }).callsFake((input: { Key: { hash: string } }) => ({ Item: table.get(input.Key.hash) }));
    docMock.on(UpdateCommand, { TableName: 'dsr-marketing-suppression' }).callsFake((input: { Key: { hash: string }; ExpressionAttributeValues: Record<string, unknown> }) => {
      const values = input.ExpressionAttributeValues;
      const current = table.get(input.Key.hash) ?? { hash: input.Key.hash };
      table.set(input.Key.hash, { suppressedAt: values[':now'], ...current, ...(values[':kind'] ? { kind: values[':kind'] } : {}) });
      return {};
    });
    return table;
  }

  it('writes only keyed hashes of the profile and consent contact points, and the import check finds them', async () => {
    const table = fakeSuppressionTable();
    docMock.on(GetCommand, { TableName: 'dsr-customer-profile' }).resolves({ Item: { customerId: 'c1', email: ' Ann@Example.COM', phone: '0031 6 1234 5678' } });
    docMock.on(QueryCommand, { TableName: 'dsr-marketing' }).resolves({
      Items: [
        { customerId: 'c1', entryId: 'consent#email', channel: 'email', address: 'ann.work@example.com' },
        { customerId: 'c1', entryId: 'consent#post', channel: 'post', address: 'Damrak 1, Amsterdam' },
      ],
    });

    const keys = await captureSuppressionKeys({ doc, env, now }, { requestId: 'r1', customerId: 'c1' });

    expect(keys.emailHashes).toEqual([emailHash('ann@example.com', env.DSR_HASH_KEY), emailHash('ann.work@example.com', env.DSR_HASH_KEY)].sort());
    expect(keys.phoneHashes).toEqual([phoneHash('+31612345678', env.DSR_HASH_KEY)]);
    const stored = JSON.stringify([...table.values()]);
    expect(stored).not.toMatch(/ann|example|1234|Damrak/i);
    expect(table.get(`customer#${customerKey('c1', env.DSR_HASH_KEY)}`)).toBeDefined();
    await expect(isSuppressed(doc, { email: 'ANN@example.com ' }, env)).resolves.toBe(true);
    await expect(isSuppressed(doc, { phone: '+31 6 12345678' }, env)).resolves.toBe(true);
    await expect(isSuppressed(doc, { email: 'someone.else@example.com', phone: '+4712345678' }, env)).resolves.toBe(false);
    await expect(isSuppressed(doc, {}, env)).resolves.toBe(false);
  });

  it('finds the hashes through the link entry on a replay after the profile is gone', async () => {
    const table = fakeSuppressionTable();
    table.set(`customer#${customerKey('c1', env.DSR_HASH_KEY)}`, { emailHashes: new Set(['e1']), phoneHashes: new Set(['p1']) });
    table.set('e1', { hash: 'e1', kind: 'email', suppressedAt: '2025-01-01T00:00:00.000Z' });
    docMock.on(GetCommand, { TableName: 'dsr-customer-profile' }).resolves({});
    docMock.on(QueryCommand, { TableName: 'dsr-marketing' }).resolves({ Items: [] });

    const keys = await captureSuppressionKeys({ doc, env, now }, { requestId: 'r1', customerId: 'c1' });

    expect(keys).toEqual({ emailHashes: ['e1'], phoneHashes: ['p1'] });
    expect(table.get('e1')!.suppressedAt).toBe('2025-01-01T00:00:00.000Z');
  });
});

describe('notifyProcessors', () => {
  const deps = { events, s3, eventBusName: 'bus', auditBucket: 'dsr-audit', env, now };
  const input = { requestId: 'r1', customerId: 'c1', brand: 'albelli' as const, suppression: { emailHashes: ['e1'], phoneHashes: ['p1'] } };

  it('emits one event per recipient that must be told, without raw data, and records it once', async () => {
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    s3Mock.on(PutObjectCommand).resolves({});
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }, { EventId: '2' }] });

    const record = await notifyProcessors(deps, input);

    const entries = eventsMock.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!;
    expect(entries.map((entry) => [entry.Source, entry.DetailType, JSON.parse(entry.Detail!).recipientId])).toEqual([
      ['dsr.erasure', 'Erasure Requested', 'email-marketing-provider'],
      ['dsr.erasure', 'Erasure Requested', 'meta-custom-audiences'],
    ]);
    const detail = JSON.parse(entries[0]!.Detail!);
    expect(detail).toMatchObject({ requestId: 'r1', customerKey: customerKey('c1', env.DSR_HASH_KEY), emailHashes: ['e1'], phoneHashes: ['p1'], stores: ['marketing'] });
    expect(JSON.stringify(entries)).not.toContain('"c1"');
    expect(record.recipients.map((recipient) => recipient.id)).toEqual(['email-marketing-provider', 'meta-custom-audiences']);
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Key).toBe('notifications/r1.json');
  });

  it('does not notify again when the request was already notified (replay)', async () => {
    const stored = { requestId: 'r1', notifiedAt: '2025-01-01T00:00:00.000Z', recipients: [{ id: 'email-marketing-provider', name: 'x', stores: ['marketing'] }] };
    s3Mock.on(GetObjectCommand).resolves({ Body: body(JSON.stringify(stored)) as never });

    const record = await notifyProcessors(deps, input);

    expect(record).toEqual(stored);
    expect(eventsMock.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('fails retryably when EventBridge rejects entries', async () => {
    s3Mock.on(GetObjectCommand).rejects(noSuchKey());
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }, { EventId: '2' }] });

    await expect(notifyProcessors(deps, input)).rejects.toThrow(/ThrottlingException/);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
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
  const deps = { s3, doc, auditBucket: 'dsr-audit', requestedAt: async () => '2025-05-01T00:00:00.000Z', env, now };
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
});

describe('purgeRetained', () => {
  it('deletes expired retained records page by page, filtering on the retained partitions', async () => {
    docMock
      .on(ScanCommand)
      .resolvesOnce({ Items: [{ customerId: 'retained#a', orderId: 'o1' }], LastEvaluatedKey: { customerId: 'retained#a', orderId: 'o1' } })
      .resolvesOnce({ Items: [{ customerId: 'retained#b', orderId: 'o2' }] });
    docMock.on(BatchWriteCommand).resolves({});

    const result = await purgeRetained({ doc, env }, new Date('2032-01-01T00:00:00.000Z'));

    const scans = docMock.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(scans[0]).toMatchObject({
      TableName: 'dsr-orders',
      FilterExpression: 'begins_with(#pk, :prefix) AND #until < :now',
      ExpressionAttributeValues: { ':prefix': 'retained#', ':now': '2032-01-01T00:00:00.000Z' },
    });
    expect(scans[1]!.ExclusiveStartKey).toEqual({ customerId: 'retained#a', orderId: 'o1' });
    const deleted = docMock.commandCalls(BatchWriteCommand).flatMap((call) => call.args[0].input.RequestItems!['dsr-orders']!);
    expect(deleted).toEqual([{ DeleteRequest: { Key: { customerId: 'retained#a', orderId: 'o1' } } }, { DeleteRequest: { Key: { customerId: 'retained#b', orderId: 'o2' } } }]);
    expect(result.stores).toEqual([{ store: 'orders', purged: 2 }]);
  });
});
