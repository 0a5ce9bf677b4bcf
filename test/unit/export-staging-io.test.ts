import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { StoreFailed } from '../../functions/core/errors';
import { openObject, readJson, readJsonLines, writeJson } from '../../functions/core/export/staging-io';

const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);
const denied = () => Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });

/** A GetObject answer streaming `text` in small chunks. */
function streamed(text: string) {
  const chunks = text.match(/[\s\S]{1,4}/g) ?? [];
  return { Body: Readable.from(chunks.map((chunk) => Buffer.from(chunk))) as never };
}

beforeEach(() => {
  s3Mock.reset();
});

describe('staging I/O', () => {
  it('reads JSON Lines one record at a time, skipping empty lines and CRLF endings', async () => {
    s3Mock.on(GetObjectCommand, { Bucket: 'b', Key: 'staging/r1/orders.jsonl' }).resolves(streamed('{"a":1}\r\n\n{"b":"x y"}\n{"c":[1,2]}'));

    const records = [];
    for await (const record of readJsonLines(s3, 'b', 'staging/r1/orders.jsonl')) records.push(record);

    expect(records).toEqual([{ a: 1 }, { b: 'x y' }, { c: [1, 2] }]);
  });

  it('reads and writes a small JSON object', async () => {
    s3Mock.on(GetObjectCommand, { Bucket: 'b', Key: 'plan.json' }).resolves(streamed('{"volumes":[{"n":1}],"name":"Zoë"}'));
    s3Mock.on(PutObjectCommand).resolves({});

    const plan = await readJson(s3, 'b', 'plan.json');
    await writeJson(s3, 'b', 'out.json', { ok: true });

    expect(plan).toEqual({ volumes: [{ n: 1 }], name: 'Zoë' });
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input).toEqual({ Bucket: 'b', Key: 'out.json', Body: '{"ok":true}', ContentType: 'application/json' });
  });

  it('names the store when reading or writing fails', async () => {
    s3Mock.on(GetObjectCommand).rejects(denied());
    s3Mock.on(PutObjectCommand).rejects(denied());

    await expect(openObject(s3, 'uploaded-photos', 'b', 'k')).rejects.toThrow(new StoreFailed('Store "uploaded-photos" failed: AccessDenied: denied'));
    await expect(readJson(s3, 'b', 'k')).rejects.toThrow('Store "exports" failed: AccessDenied: denied');
    await expect(readJsonLines(s3, 'b', 'k').next()).rejects.toThrow('Store "exports" failed: AccessDenied: denied');
    await expect(writeJson(s3, 'b', 'k', {})).rejects.toThrow(StoreFailed);
    await expect(writeJson(s3, 'b', 'k', {})).rejects.toThrow('Store "exports" failed: AccessDenied: denied');
  });
});
