import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { exportConfig } from '../../functions/core/export/config';
import { deletePrefix, finalizeExport } from '../../functions/core/export/finalize';
import { archiveKey, archivePrefix, exportResultKey, volumeSummaryKey } from '../../functions/core/export/layout';

const env = { DSR_HASH_KEY: 'k'.repeat(40) };
const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
const deps = { s3, config: exportConfig({}), env };

/** What collect counted per store (the plan's totals). */
const STORES = { orders: { items: 2, bytes: 100 }, 'uploaded-photos': { items: 1, bytes: 2004 }, 'call-recordings': { items: 1, bytes: 4004 } };

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"e"' });
});

describe('finalizeExport', () => {
  const collected = Object.entries(STORES).map(([store, counts]) => ({ store: store as 'orders', ...counts }));
  const prefix = archivePrefix('r1', env.DSR_HASH_KEY);
  const resultKey = exportResultKey('r1', env.DSR_HASH_KEY);
  const summaries = [1, 2].map((volume) => ({ volume, key: archiveKey('r1', volume, env.DSR_HASH_KEY), bytes: 10 * volume, sha256: 'a'.repeat(64), entries: 3 }));
  const jsonBody = (value: unknown) => ({ Body: { transformToString: async () => JSON.stringify(value) } }) as never;
  const noSuchKey = Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
  const stage = (staged: Record<string, unknown>) =>
    s3Mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      if (!(input.Key in staged)) throw noSuchKey;
      return jsonBody(staged[input.Key]);
    });
  const written = () => s3Mock.commandCalls(PutObjectCommand).map((call) => [call.args[0].input.Key, JSON.parse(String(call.args[0].input.Body))]);

  it('writes the staged summaries as the volume list beside the volumes, returns counts and its key, removes stale volumes and staging', async () => {
    stage(Object.fromEntries(summaries.map((summary) => [volumeSummaryKey('r1', summary.volume), summary])));
    s3Mock.on(ListObjectsV2Command, { Prefix: prefix }).resolves({ Contents: [{ Key: `${prefix}volume-1.zip` }, { Key: `${prefix}volume-3.zip` }, { Key: resultKey }] });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'staging/r1/' }).resolves({ Contents: [{ Key: 'staging/r1/plan.json' }, { Key: volumeSummaryKey('r1', 1) }] });
    s3Mock.on(DeleteObjectsCommand).resolves({});

    const result = await finalizeExport(deps, { requestId: 'r1', collected, volumeCount: 2 });

    expect(result).toEqual({ volumeCount: 2, totalBytes: 30, resultKey, empty: false, stores: STORES });
    expect(written()).toEqual([[resultKey, { requestId: 'r1', volumes: summaries }]]);
    const deleted = s3Mock.commandCalls(DeleteObjectsCommand).flatMap((call) => call.args[0].input.Delete!.Objects!.map((object) => object.Key));
    expect(deleted).toEqual([`${prefix}volume-3.zip`, 'staging/r1/plan.json', volumeSummaryKey('r1', 1)]);
  });

  it('returns the same result from the volume list it wrote when retried after the staging area is already gone', async () => {
    stage({ [resultKey]: { requestId: 'r1', volumes: summaries } });
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });

    const result = await finalizeExport(deps, { requestId: 'r1', collected, volumeCount: 2 });

    expect(result).toEqual({ volumeCount: 2, totalBytes: 30, resultKey, empty: false, stores: STORES });
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  it('fails naming the volume when a planned volume was never built, and deletes nothing', async () => {
    stage({ [volumeSummaryKey('r1', 1)]: summaries[0] });

    const attempt = finalizeExport(deps, { requestId: 'r1', collected, volumeCount: 2 });

    await expect(attempt).rejects.toMatchObject({ name: 'ExportIncomplete', message: expect.stringContaining('volume 2 of 2') });
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  it('says the export is empty when no store had anything', async () => {
    stage({ [volumeSummaryKey('r1', 1)]: summaries[0] });
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    const nothing = collected.map((summary) => ({ ...summary, items: 0, bytes: 0 }));

    const result = await finalizeExport(deps, { requestId: 'r1', collected: nothing, volumeCount: 1 });

    expect(result.empty).toBe(true);
  });

  it('is not empty when only some stores had nothing', async () => {
    stage({ [volumeSummaryKey('r1', 1)]: summaries[0] });
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    const some = collected.map((summary, index) => (index === 0 ? { ...summary, items: 0, bytes: 0 } : summary));

    const result = await finalizeExport(deps, { requestId: 'r1', collected: some, volumeCount: 1 });

    expect(result.empty).toBe(false);
    expect(result.stores).toEqual({ orders: { items: 0, bytes: 0 }, 'uploaded-photos': { items: 1, bytes: 2004 }, 'call-recordings': { items: 1, bytes: 4004 } });
  });

  it('reads the summaries of every volume, more than it reads at once, and lists them in volume order', async () => {
    const many = Array.from({ length: 20 }, (_, index) => ({ ...summaries[0]!, volume: index + 1, key: archiveKey('r1', index + 1, env.DSR_HASH_KEY), bytes: index + 1 }));
    stage(Object.fromEntries(many.map((summary) => [volumeSummaryKey('r1', summary.volume), summary])));
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });

    const result = await finalizeExport(deps, { requestId: 'r1', collected, volumeCount: 20 });

    expect(result).toMatchObject({ volumeCount: 20, totalBytes: 210 });
    expect(written()).toEqual([[resultKey, { requestId: 'r1', volumes: many }]]);
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Bucket).toBe('dsr-exports');
  });

  it('fails naming the first missing volume when the volume list written before has another count', async () => {
    stage({ [volumeSummaryKey('r1', 2)]: summaries[1], [resultKey]: { requestId: 'r1', volumes: [summaries[0]] } });

    const attempt = finalizeExport(deps, { requestId: 'r1', collected, volumeCount: 2 });

    await expect(attempt).rejects.toThrow('Export r1: volume 1 of 2 has no staged summary');
  });
});

describe('deletePrefix', () => {
  it('deletes quietly every listed key under the prefix except those kept, across pages, and counts them', async () => {
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({ Contents: [{ Key: 'p/a' }, { Key: 'p/keep' }], IsTruncated: true, NextContinuationToken: 't1' })
      .resolvesOnce({ Contents: [{ Key: 'p/keep' }], IsTruncated: true, NextContinuationToken: 't2' })
      .resolvesOnce({ Contents: [{ Key: 'p/b' }], IsTruncated: false, NextContinuationToken: 'never' });
    s3Mock.on(DeleteObjectsCommand).resolves({});

    const deleted = await deletePrefix(s3, 'bucket', 'p/', new Set(['p/keep']));

    expect(deleted).toBe(2);
    expect(s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'bucket', Prefix: 'p/' },
      { Bucket: 'bucket', Prefix: 'p/', ContinuationToken: 't1' },
      { Bucket: 'bucket', Prefix: 'p/', ContinuationToken: 't2' },
    ]);
    expect(s3Mock.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'bucket', Delete: { Objects: [{ Key: 'p/a' }], Quiet: true } },
      { Bucket: 'bucket', Delete: { Objects: [{ Key: 'p/b' }], Quiet: true } },
    ]);
  });

  it('deletes everything listed when nothing is kept', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'p/a' }] });
    s3Mock.on(DeleteObjectsCommand).resolves({});

    await expect(deletePrefix(s3, 'bucket', 'p/')).resolves.toBe(1);
  });

  it('deletes nothing for a listing page without contents', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({});

    await expect(deletePrefix(s3, 'bucket', 'p/')).resolves.toBe(0);
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  it('names the exports store when a staged summary or the volume list cannot be read', async () => {
    s3Mock.on(GetObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));

    await expect(finalizeExport(deps, { requestId: 'r1', collected: [], volumeCount: 1 })).rejects.toThrow('Store "exports" failed: AccessDenied: denied');
  });

  it('wraps a failing call as an error of the exports store', async () => {
    s3Mock.on(ListObjectsV2Command).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));

    await expect(deletePrefix(s3, 'bucket', 'p/')).rejects.toThrow('Store "exports" failed: AccessDenied: denied');
  });
});
