import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { addCounts, entryId, noCounts, progressPrefix, progressTotals, StoreProgressLog } from '../../functions/core/erasure/progress';
import { StoreFailed } from '../../functions/core/errors';
import { inFlight } from './helpers/in-flight';

/**
 * Known-answer vectors for the progress log's entry ids: computed once with
 * `printf 'erasure-entry:<key>' | openssl dgst -sha256 -hmac "$KEY"` (first 32 hex digits), so a replay
 * after a change of the id scheme would not silently count every record twice.
 */
const KEY = 'kat-hash-key-0123456789abcdef0123';

describe('entryId (known answers)', () => {
  it.each([
    ['dsr-local-orders\u0000{"customerId":"cust-0001","orderId":"o-1"}', '6733c4a9be23e43b81609cbc284905a2'],
    ['media-bucket\u0000customers/cust-0001/a.jpg\u0000v-1', '4436d1ebf3b73716a37b04ab1f1fa82b'],
    ['', 'cf9f05cfd43e06cec380c76f0ea30d70'],
  ])('%j → %s', (key, expected) => {
    expect(entryId(key, KEY)).toBe(expected);
  });
});

describe('progressPrefix', () => {
  it('is per request, and per store when one is named', () => {
    expect(progressPrefix('r-1')).toBe('progress/r-1/');
    expect(progressPrefix('r-1', 'orders')).toBe('progress/r-1/orders/');
  });
});

describe('addCounts', () => {
  it('adds every count into the total and returns it', () => {
    const total = { deleted: 1, retained: 2, versionsDeleted: 3, bytes: 4 };

    const result = addCounts(total, { deleted: 10, retained: 20, versionsDeleted: 30, bytes: 40 });

    expect(result).toBe(total);
    expect(total).toEqual({ deleted: 11, retained: 22, versionsDeleted: 33, bytes: 44 });
    expect(noCounts()).toEqual({ deleted: 0, retained: 0, versionsDeleted: 0, bytes: 0 });
  });
});

describe('the progress log in the audit bucket', () => {
  const s3 = new S3Client({ region: 'eu-west-1' });
  const s3Mock = mockClient(s3);
  const location = { s3, auditBucket: 'audit', requestId: 'r1' };
  const counts = (deleted: number, bytes = 0) => ({ deleted, retained: 0, versionsDeleted: 0, bytes });
  const body = (value: unknown) => ({ Body: { transformToString: async () => JSON.stringify(value) } as never });
  const denied = () => Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });

  beforeEach(() => {
    s3Mock.reset();
  });

  it('sums every unique entry per store across pages of the listing, an entry recorded twice counting once', async () => {
    s3Mock
      .on(ListObjectsV2Command, { Prefix: 'progress/r1/', ContinuationToken: undefined })
      .resolves({ Contents: [{ Key: 'progress/r1/orders/a.json' }, { Key: 'elsewhere/x.json' }, {}], IsTruncated: true, NextContinuationToken: 't2' })
      .on(ListObjectsV2Command, { Prefix: 'progress/r1/', ContinuationToken: 't2' })
      .resolves({ Contents: [{ Key: 'progress/r1/orders/b.json' }, { Key: 'progress/r1/photos/c.json' }], IsTruncated: false, NextContinuationToken: 'ignored' });
    s3Mock.on(GetObjectCommand, { Key: 'progress/r1/orders/a.json' }).resolves(body({ store: 'orders', entries: [{ id: 'a', ...counts(1, 10) }, { id: 'b', ...counts(1, 20) }] }));
    s3Mock.on(GetObjectCommand, { Key: 'progress/r1/orders/b.json' }).resolves(body({ store: 'orders', entries: [{ id: 'b', ...counts(1, 20) }, { id: 'c', ...counts(1, 30) }] }));
    s3Mock.on(GetObjectCommand, { Key: 'progress/r1/photos/c.json' }).resolves(body({ store: 'photos', entries: [{ id: 'p', deleted: 1, retained: 2, versionsDeleted: 3, bytes: 4 }] }));

    const totals = await progressTotals(location);

    expect(totals).toStrictEqual({ orders: counts(3, 60), photos: { deleted: 1, retained: 2, versionsDeleted: 3, bytes: 4 } });
    expect(s3Mock.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Key)).toEqual(['progress/r1/orders/a.json', 'progress/r1/orders/b.json', 'progress/r1/photos/c.json']);
  });

  it('reads the progress objects up to 8 at a time, and sums them as one pass would', async () => {
    const keys = Array.from({ length: 20 }, (_, index) => `progress/r1/orders/${String(index).padStart(2, '0')}.json`);
    const reads = inFlight();
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: keys.map((Key) => ({ Key })), IsTruncated: false });
    s3Mock.on(GetObjectCommand).callsFake((input: { Key: string }) => reads.run(input.Key, body({ store: 'orders', entries: [{ id: input.Key, ...counts(1, 5) }] })));

    const totals = await progressTotals(location);

    expect(totals).toStrictEqual({ orders: counts(20, 100) });
    expect(reads.state.max).toBe(8);
  });

  it('is empty for a request with nothing recorded', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({});

    expect(await progressTotals(location)).toStrictEqual({});
  });

  it('records, before erasing, only the entries not recorded yet, once each, in one JSON object keyed by the first', async () => {
    s3Mock.on(ListObjectsV2Command, { Prefix: 'progress/r1/orders/' }).resolves({ Contents: [{ Key: 'progress/r1/orders/a.json' }] });
    s3Mock.on(GetObjectCommand).resolves(body({ store: 'orders', entries: [{ id: 'a', ...counts(1) }] }));
    s3Mock.on(PutObjectCommand).resolves({});
    const log = await StoreProgressLog.open(location, 'orders');

    await log.record([{ id: 'a', ...counts(1) }, { id: 'b', ...counts(1) }, { id: 'b', ...counts(1) }, { id: 'c', ...counts(2) }]);
    await log.record([{ id: 'b', ...counts(1) }, { id: 'c', ...counts(2) }]);
    await log.record([]);

    const puts = s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(puts).toEqual([
      {
        Bucket: 'audit',
        Key: 'progress/r1/orders/b.json',
        Body: JSON.stringify({ store: 'orders', entries: [{ id: 'b', ...counts(1) }, { id: 'c', ...counts(2) }] }),
        ContentType: 'application/json',
      },
    ]);
  });

  it('refuses a progress object that is not a progress log', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'progress/r1/orders/a.json' }] });
    s3Mock.on(GetObjectCommand).resolves(body({ store: 'orders', entries: [{ id: 'a', deleted: -1, retained: 0, versionsDeleted: 0, bytes: 0 }] }));

    await expect(progressTotals(location)).rejects.toThrow();
  });

  it.each([
    ['listing', ListObjectsV2Command],
    ['reading', GetObjectCommand],
    ['writing', PutObjectCommand],
  ] as const)('names the audit store when %s fails', async (_, failing) => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'progress/r1/orders/a.json' }] });
    s3Mock.on(GetObjectCommand).resolves(body({ store: 'orders', entries: [] }));
    s3Mock.on(PutObjectCommand).resolves({});
    s3Mock.on(failing as typeof ListObjectsV2Command).rejects(denied());

    const attempt = (async () => {
      const log = await StoreProgressLog.open(location, 'orders');
      await log.record([{ id: 'x', ...counts(1) }]);
    })();

    await expect(attempt).rejects.toThrow(StoreFailed);
    await expect(attempt).rejects.toThrow('Store "audit" failed: AccessDenied: denied');
  });
});
