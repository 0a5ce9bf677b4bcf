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

/** How a fake store answers beyond its delay: the length it announces, a body that is slow to deliver, a request that takes time to stop once aborted. */
interface FakeStoreOptions {
  /** `Content-Length` of the response (default: the planned size). */
  announced?: (file: TestFile) => number | undefined;
  /** Ms before the body delivers its bytes (default: at once). */
  bodyDelay?: (file: TestFile) => number;
  /** Ms an aborted request takes to reject (default: at once). */
  abortDelay?: number;
}

/** A fake store: answers after `delay(file)` ms unless aborted; tracks requests in flight and bytes held (files up to `bufferedUpTo` bytes). */
function fakeStore(delay: (file: TestFile) => number, fail?: (file: TestFile) => Error | undefined, bufferedUpTo = Infinity, options: FakeStoreOptions = {}) {
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
          const abortError = Object.assign(new Error('aborted'), { name: 'AbortError' });
          if (options.abortDelay === undefined) reject(abortError);
          else setTimeout(() => reject(abortError), options.abortDelay);
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
      const bodyDelay = options.bodyDelay?.(file) ?? 0;
      const body = Readable.from(
        (async function* () {
          if (bodyDelay) await wait(bodyDelay);
          yield bytesOf(file);
        })(),
        { objectMode: false },
      );
      state.bodies.set(file.key, body);
      const contentLength = options.announced ? options.announced(file) : file.size;
      return { body, contentLength, contentType: 'image/jpeg', metadata: { 'original-filename': `${file.key}.jpg` } };
    } finally {
      state.active -= 1;
    }
  };
  return { state, open };
}

/** A fetched file's bytes: those read into memory, or its stream read to the end. */
async function drain(content: Buffer | Readable): Promise<Buffer> {
  if (Buffer.isBuffer(content)) return content;
  const chunks: Buffer[] = [];
  for await (const chunk of content) chunks.push(chunk as Buffer);
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
      seen.push({ key: fetched.file.key, bytes: await drain(fetched.content), name: fetched.metadata['original-filename'] });
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
      const bytes = await drain(fetched.content);
      expect(bytes.equals(bytesOf(fetched.file))).toBe(true);
      if (fetched.file.size === 250) largeBody = { yielded: fetched.content as Readable, opened: store.state.bodies.get(fetched.file.key) };
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
      await drain(fetched.content);
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
      await drain(fetched.content);
      break;
    }

    // Assert
    expect(store.state.active).toBe(0);
    expect(store.state.aborted).toBe(4);
  });

  it('frees the request of a file once it is in memory, so later files are fetched while the writer still holds one', async () => {
    // Arrange: two requests at most, four small files
    const planned = files([10, 10, 10, 10]);
    const store = fakeStore(() => 5);

    // Act: the writer holds the first file long enough for every other file to arrive
    const openedWhileHeld: string[][] = [];
    for await (const fetched of fetchAhead(planned, store.open, { budgetBytes: 1000, concurrency: 2 })) {
      await wait(60);
      openedWhileHeld.push([...store.state.opened]);
      await drain(fetched.content);
    }

    // Assert
    expect(openedWhileHeld[0]).toEqual(['k0', 'k1', 'k2', 'k3']);
    expect(store.state.maxActive).toBe(2);
  });

  it('never has more requests in flight than the concurrency, however many files are written', async () => {
    // Arrange
    const planned = files(Array.from({ length: 12 }, () => 10));
    const store = fakeStore(() => 4);

    // Act
    const seen: string[] = [];
    for await (const fetched of fetchAhead(planned, store.open, { budgetBytes: 10_000, concurrency: 2 })) {
      await drain(fetched.content);
      seen.push(fetched.file.key);
      await wait(1);
    }

    // Assert
    expect(seen).toEqual(planned.map((file) => file.key));
    expect(store.state.maxActive).toBe(2);
  });

  it('fetches files that exactly fill the budget together, and buffers a file exactly the size of the budget', async () => {
    // Arrange: budget 100; two files of 50 fit at once, a file of 100 is not "larger than the budget"
    const planned = files([50, 50, 50, 50, 100]);
    const store = fakeStore(() => 5);

    // Act
    const bufferedAtHandOut: boolean[] = [];
    for await (const fetched of fetchAhead(planned, store.open, { budgetBytes: 100, concurrency: 8 })) {
      bufferedAtHandOut.push(Buffer.isBuffer(fetched.content) && store.state.bodies.get(fetched.file.key)!.readableEnded);
      expect((await drain(fetched.content)).equals(bytesOf(fetched.file))).toBe(true);
      store.state.held -= fetched.file.size;
      await wait(10);
    }

    // Assert
    expect(store.state.maxActive).toBe(2);
    expect(store.state.maxHeld).toBe(100);
    expect(bufferedAtHandOut).toEqual([true, true, true, true, true]);
  });

  it('streams a file whose response announces more than planned or a large one that announces no length, and buffers the others', async () => {
    // Arrange: budget 100
    const planned = files([10, 250, 10, 10]);
    const announced: Record<string, number | undefined> = { k0: 500, k1: undefined, k2: 10, k3: undefined };
    const store = fakeStore(() => 2, undefined, Infinity, { announced: (file) => announced[file.key] });

    // Act
    const streamed: string[] = [];
    const bytes: Buffer[] = [];
    for await (const fetched of fetchAhead(planned, store.open, { budgetBytes: 100, concurrency: 4 })) {
      streamed.push(Buffer.isBuffer(fetched.content) ? 'bytes' : fetched.content === store.state.bodies.get(fetched.file.key) ? 'the store stream' : 'another stream');
      bytes.push(await drain(fetched.content));
    }

    // Assert: a streamed file comes as the store's own stream, a buffered one as its whole bytes
    expect(streamed).toEqual(['the store stream', 'the store stream', 'bytes', 'bytes']);
    expect(bytes.map((data, index) => data.equals(bytesOf(planned[index]!)))).toEqual([true, true, true, true]);
  });

  it('opens a file larger than the budget only once it is the next to write or the one after it', async () => {
    // Arrange: budget 100; the fourth file is larger
    const planned = files([10, 10, 10, 250]);
    const store = fakeStore(() => 2, undefined, 100);

    // Act
    const openedWhileHeld: number[] = [];
    for await (const fetched of fetchAhead(planned, store.open, { budgetBytes: 100, concurrency: 8 })) {
      await wait(20);
      openedWhileHeld.push(store.state.opened.length);
      await drain(fetched.content);
    }

    // Assert: k3 is opened while k2 is written, not before
    expect(openedWhileHeld).toEqual([3, 3, 4, 4]);
  });

  it("fails with the store's error (a reset connection: retryable) when a file's body fails while it is read into memory", async () => {
    // Arrange
    const planned = files([10, 10]);
    const open = async (file: TestFile): Promise<OpenedObject> => ({
      body:
        file.key === 'k1'
          ? new Readable({
              read() {
                this.destroy(Object.assign(new Error('socket hang up'), { name: 'ECONNRESET' }));
              },
            })
          : Readable.from([bytesOf(file)]),
      contentLength: file.size,
      metadata: {},
    });

    // Act
    const seen: string[] = [];
    const attempt = (async () => {
      for await (const fetched of fetchAhead(planned, open, { budgetBytes: 1000, concurrency: 1 })) {
        await drain(fetched.content);
        seen.push(fetched.file.key);
      }
    })();

    // Assert
    await expect(attempt).rejects.toMatchObject({ name: 'StoreUnavailable', message: 'Store "uploaded-photos" is unavailable: ECONNRESET: socket hang up' });
    expect(seen).toEqual(['k0']);
  });

  it('aborts the other requests as soon as one fails and starts no more, even while the writer still holds a file', async () => {
    // Arrange: k0 arrives at once; k1's response comes fast but its body takes 40 ms; k2 fails at 10 ms; k3 waits
    const planned = files([10, 10, 10, 10, 10]);
    const store = fakeStore(
      (file) => (file.key === 'k0' || file.key === 'k1' ? 1 : file.key === 'k2' ? 10 : 500),
      (file) => (file.key === 'k2' ? new StoreFailed('Store "uploaded-photos" failed: AccessDenied') : undefined),
      Infinity,
      { bodyDelay: (file) => (file.key === 'k1' ? 40 : 0) },
    );

    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);

    try {
      // Act: the writer holds k0 for 80 ms
      let whileHeld: { active: number; opened: string[] } | undefined;
      const attempt = (async () => {
        for await (const fetched of fetchAhead(planned, store.open, { budgetBytes: 1000, concurrency: 3 })) {
          await wait(80);
          whileHeld = { active: store.state.active, opened: [...store.state.opened] };
          await drain(fetched.content);
        }
      })();

      // Assert: the failure waits for the writer without being reported as unhandled
      await expect(attempt).rejects.toMatchObject({ name: 'StoreFailed', message: 'Store "uploaded-photos" failed: AccessDenied' });
      expect(whileHeld).toEqual({ active: 0, opened: ['k0', 'k1', 'k2', 'k3'] });
      expect(store.state.opened).toEqual(['k0', 'k1', 'k2', 'k3']);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });

  it('with one request at a time, a streamed file holds the request until it is written, a buffered one only until it is in memory', async () => {
    // Arrange: budget 100; the first and last files are larger
    const planned = files([250, 10, 250]);
    const store = fakeStore(() => 1, undefined, 100);

    // Act
    const openedAtHandOut: string[][] = [];
    const bytes: Buffer[] = [];
    for await (const fetched of fetchAhead(planned, store.open, { budgetBytes: 100, concurrency: 1 })) {
      await wait(10);
      openedAtHandOut.push([...store.state.opened]);
      bytes.push(await drain(fetched.content));
    }

    // Assert
    expect(openedAtHandOut).toEqual([['k0'], ['k0', 'k1', 'k2'], ['k0', 'k1', 'k2']]);
    expect(bytes.map((data, index) => data.equals(bytesOf(planned[index]!)))).toEqual([true, true, true]);
    expect(store.state.maxActive).toBe(1);
  });

  it('lets go of the next file while it is still being read into memory when another file fails, rather than finish reading it', async () => {
    // Arrange: k0's response comes at once but its body takes 300 ms; k1 fails at 10 ms
    const planned = files([10, 10]);
    const store = fakeStore(
      (file) => (file.key === 'k0' ? 1 : 10),
      (file) => (file.key === 'k1' ? new StoreFailed('Store "uploaded-photos" failed: AccessDenied') : undefined),
      Infinity,
      { bodyDelay: (file) => (file.key === 'k0' ? 300 : 0) },
    );

    // Act
    const seen: string[] = [];
    const attempt = (async () => {
      for await (const fetched of fetchAhead(planned, store.open, { budgetBytes: 1000, concurrency: 2 })) seen.push(fetched.file.key);
    })();

    // Assert
    await expect(attempt).rejects.toMatchObject({ name: 'StoreFailed', message: 'Store "uploaded-photos" failed: AccessDenied' });
    const body = store.state.bodies.get('k0')!;
    expect({ seen, destroyed: body.destroyed, ended: body.readableEnded }).toEqual({ seen: [], destroyed: true, ended: false });
  });

  it('waits until every aborted request has stopped before it returns early', async () => {
    // Arrange: an aborted request takes 30 ms to stop
    const planned = files([10, 10, 10]);
    const store = fakeStore((file) => (file.key === 'k0' ? 1 : 500), undefined, Infinity, { abortDelay: 30 });

    // Act
    for await (const fetched of fetchAhead(planned, store.open, { budgetBytes: 1000, concurrency: 3 })) {
      await drain(fetched.content);
      break;
    }

    // Assert
    expect(store.state.aborted).toBe(2);
    expect(store.state.active).toBe(0);
  });

  it('destroys the body of a file it opened but never handed out when the writer gives up', async () => {
    // Arrange: budget 100; the large second file is opened (streaming) while the first is written
    const planned = files([10, 250]);
    const store = fakeStore(() => 1, undefined, 100);

    // Act
    for await (const fetched of fetchAhead(planned, store.open, { budgetBytes: 100, concurrency: 2 })) {
      await wait(20);
      await drain(fetched.content);
      break;
    }

    // Assert
    expect(store.state.opened).toEqual(['k0', 'k1']);
    expect(store.state.bodies.get('k1')!.destroyed).toBe(true);
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
