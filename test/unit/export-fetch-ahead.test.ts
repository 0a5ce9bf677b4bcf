import { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { StoreFailed } from '../../functions/core/errors';
import { decodeMetadata, fetchAhead, getSourceObject, type OpenedObject } from '../../functions/core/export/fetch-ahead';

interface TestFile {
  store: string;
  key: string;
  size: number;
}

const files = (sizes: number[]): TestFile[] => sizes.map((size, index) => ({ store: 'uploaded-photos', key: `k${index}`, size }));
const bytesOf = (file: TestFile) => Buffer.alloc(file.size, file.key.charCodeAt(1));
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fake store: answers after `delay(file)` ms unless aborted; tracks requests in flight and bytes held (files up to `bufferedUpTo` bytes). */
function fakeStore(delay: (file: TestFile) => number, fail?: (file: TestFile) => Error | undefined, bufferedUpTo = Infinity) {
  const state = { active: 0, maxActive: 0, aborted: 0, held: 0, maxHeld: 0, opened: [] as string[], bodies: new Map<string, Readable>() };
  const open = async (file: TestFile, signal: AbortSignal): Promise<OpenedObject> => {
    state.active += 1;
    state.maxActive = Math.max(state.maxActive, state.active);
    state.opened.push(file.key);
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          clearTimeout(timer);
          state.aborted += 1;
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        };
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, delay(file));
        signal.addEventListener('abort', onAbort);
      });
      const error = fail?.(file);
      if (error) throw error;
      if (file.size <= bufferedUpTo) state.held += file.size;
      state.maxHeld = Math.max(state.maxHeld, state.held);
      const body = Readable.from([bytesOf(file)], { objectMode: false });
      state.bodies.set(file.key, body);
      return { body, contentLength: file.size, contentType: 'image/jpeg', metadata: { 'original-filename': `${file.key}.jpg` } };
    } finally {
      state.active -= 1;
    }
  };
  return { state, open };
}

/** Reads a stream to the end. */
async function drain(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('fetchAhead', () => {
  it('hands the files out in plan order with their bytes and metadata, with several requests in flight', async () => {
    // Arrange: later files answer sooner
    const planned = files([10, 20, 30, 40, 50, 60]);
    const store = fakeStore((file) => 60 - file.size);

    // Act
    const seen: { key: string; bytes: Buffer; name?: string }[] = [];
    for await (const fetched of fetchAhead(planned, store.open, { budgetBytes: 1000, concurrency: 4 })) {
      seen.push({ key: fetched.file.key, bytes: await drain(fetched.body), name: fetched.metadata['original-filename'] });
    }

    // Assert
    expect(seen.map((entry) => entry.key)).toEqual(planned.map((file) => file.key));
    expect(seen.every((entry, index) => entry.bytes.equals(bytesOf(planned[index]!)))).toBe(true);
    expect(seen[0]!.name).toBe('k0.jpg');
    expect(store.state.maxActive).toBe(4);
  });

  it('never holds more fetched bytes than the budget, and streams a file larger than the budget', async () => {
    // Arrange: budget 100; files of 40 and one of 250
    const planned = files([40, 40, 40, 250, 40, 40]);
    const store = fakeStore(() => 5, undefined, 100);
    let written = 0;

    // Act
    const seen: string[] = [];
    let largeBody: { yielded: Readable; opened?: Readable } | undefined;
    for await (const fetched of fetchAhead(planned, store.open, { budgetBytes: 100, concurrency: 8 })) {
      const bytes = await drain(fetched.body);
      expect(bytes.equals(bytesOf(fetched.file))).toBe(true);
      if (fetched.file.size === 250) largeBody = { yielded: fetched.body, opened: store.state.bodies.get(fetched.file.key) };
      seen.push(fetched.file.key);
      written += fetched.file.size;
      if (fetched.file.size <= 100) store.state.held -= fetched.file.size;
      await wait(10);
    }

    // Assert: the buffered files never hold more than the budget; the large one is the store's own stream
    expect(seen).toEqual(planned.map((file) => file.key));
    expect(written).toBe(450);
    expect(store.state.maxHeld).toBeLessThanOrEqual(100);
    expect(largeBody!.yielded).toBe(largeBody!.opened);
  });

  it('keeps the buffered files within the budget when every file fits', async () => {
    // Arrange
    const planned = files(Array.from({ length: 20 }, () => 30));
    const store = fakeStore(() => 2);

    // Act
    for await (const fetched of fetchAhead(planned, store.open, { budgetBytes: 100, concurrency: 16 })) {
      await drain(fetched.body);
      store.state.held -= fetched.file.size;
      await wait(5);
    }

    // Assert: at most three files of 30 fit in 100
    expect(store.state.maxHeld).toBeLessThanOrEqual(100);
    expect(store.state.maxActive).toBeLessThanOrEqual(3);
  });

  it('fails with the store error of a failing fetch, after every other request stopped', async () => {
    // Arrange: the fourth file fails fast, the others are slow
    const planned = files([10, 10, 10, 10, 10, 10, 10, 10]);
    const store = fakeStore(
      (file) => (file.key === 'k3' ? 1 : 200),
      (file) => (file.key === 'k3' ? new StoreFailed('Store "uploaded-photos": AccessDenied') : undefined),
    );

    // Act
    const seen: string[] = [];
    const attempt = (async () => {
      for await (const fetched of fetchAhead(planned, store.open, { budgetBytes: 1000, concurrency: 6 })) seen.push(fetched.file.key);
    })();

    // Assert
    await expect(attempt).rejects.toMatchObject({ name: 'StoreFailed', message: expect.stringContaining('uploaded-photos') });
    expect(seen).toEqual([]);
    expect(store.state.active).toBe(0);
    expect(store.state.aborted).toBe(5);
    expect(store.state.opened).toHaveLength(6);
  });

  it('stops every request when the writer gives up early', async () => {
    // Arrange
    const planned = files([10, 10, 10, 10, 10]);
    const store = fakeStore((file) => (file.key === 'k0' ? 1 : 100));

    // Act
    for await (const fetched of fetchAhead(planned, store.open, { budgetBytes: 1000, concurrency: 5 })) {
      await drain(fetched.body);
      break;
    }

    // Assert
    expect(store.state.active).toBe(0);
    expect(store.state.aborted).toBe(4);
  });
});

describe('decodeMetadata', () => {
  it('decodes URI-encoded metadata and keeps text that is not valid URI encoding', () => {
    expect([decodeMetadata('Strand%20%C3%86r%C3%B8.jpg'), decodeMetadata('100%'), decodeMetadata('plain')]).toEqual(['Strand Ærø.jpg', '100%', 'plain']);
  });
});

describe('getSourceObject', () => {
  const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const s3Mock = mockClient(s3);

  it('opens the object with its length, type and decoded metadata, passing the abort signal', async () => {
    // Arrange
    s3Mock.reset();
    const body = Readable.from([Buffer.from('jpeg')]);
    s3Mock.on(GetObjectCommand, { Bucket: 'bucket', Key: 'customers/c1/a.jpg' }).resolves({ Body: body as never, ContentLength: 4, ContentType: 'image/jpeg', Metadata: { 'original-name': 'Strand%20%C3%86r%C3%B8.jpg' } });
    const controller = new AbortController();

    // Act
    const opened = await getSourceObject(s3, 'uploaded-photos', 'bucket', 'customers/c1/a.jpg', controller.signal);

    // Assert
    expect(opened).toEqual({ body, contentLength: 4, contentType: 'image/jpeg', metadata: { 'original-name': 'Strand Ærø.jpg' } });
    expect((s3Mock.commandCalls(GetObjectCommand)[0]!.args as unknown[])[1]).toMatchObject({ abortSignal: controller.signal });
  });

  it('answers empty metadata for an object without any, and names the store when the read fails', async () => {
    // Arrange
    s3Mock.reset();
    s3Mock.on(GetObjectCommand, { Key: 'a' }).resolves({ Body: Readable.from([]) as never });
    s3Mock.on(GetObjectCommand, { Key: 'b' }).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));

    // Act
    const opened = await getSourceObject(s3, 'uploaded-photos', 'bucket', 'a', new AbortController().signal);
    const failed = getSourceObject(s3, 'uploaded-photos', 'bucket', 'b', new AbortController().signal);

    // Assert
    expect(opened.metadata).toEqual({});
    await expect(failed).rejects.toThrow('Store "uploaded-photos" failed: AccessDenied: denied');
  });
});
