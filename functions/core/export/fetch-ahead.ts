import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { storeError } from '../errors';

/**
 * Fetching a volume's source files ahead of the archive writer: several GetObject requests in flight,
 * so S3's first-byte latency overlaps the copy, while the entries are still handed out in plan order.
 * A file that fits the memory budget is read into memory as soon as its response arrives; the bytes
 * held that way (fetched, not yet written) never exceed the budget. A file larger than the budget is
 * not buffered: it is opened once every file before it is out and streams straight into the archive.
 * The first failure aborts every request still running and, once they have all settled, is thrown
 * (already named after the store by the opener) when the writer asks for its next file.
 */

/** An opened source object: its byte stream and what the GetObject response says about it. */
export interface OpenedObject {
  body: Readable;
  /** Bytes the response announces (`Content-Length`). */
  contentLength?: number;
  contentType?: string;
  /** User metadata, URI-decoded. */
  metadata: Record<string, string>;
}

/** A file handed to the writer: the planned file, its bytes and its response details. */
export interface FetchedFile<T> extends OpenedObject {
  file: T;
  /** The whole content, when the file was read into memory (`body` then streams the same bytes). */
  bytes?: Buffer;
}

/** How far ahead to fetch. */
export interface FetchAheadOptions {
  /** Bytes of fetched, not yet written files held at most (planned sizes). */
  budgetBytes: number;
  /** Requests in flight at most (buffering files and the opened large one). */
  concurrency: number;
}

/** Opens one file; the signal aborts the request. Errors must already name the store. */
export type OpenFile<T> = (file: T, signal: AbortSignal) => Promise<OpenedObject>;

/** Decodes a URI-encoded metadata value; keeps the raw text when it is not valid URI encoding. */
export function decodeMetadata(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** GetObject of one source file (abortable), errors wrapped naming the store. */
export async function getSourceObject(s3: S3Client, storeId: string, bucket: string, key: string, signal: AbortSignal): Promise<OpenedObject> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    return {
      body: response.Body as Readable,
      contentLength: response.ContentLength,
      contentType: response.ContentType,
      metadata: Object.fromEntries(Object.entries(response.Metadata ?? {}).map(([name, value]) => [name, decodeMetadata(value)])),
    };
  } catch (error) {
    throw storeError(storeId, error);
  }
}

/** One file's fetch: settles with the file ready to be written. */
interface Slot<T> {
  ready: Promise<FetchedFile<T>>;
  /** Budget bytes it holds until written (0 for a streamed file). */
  reserved: number;
  /** True while it holds a request slot: until buffered, or for a streamed file until written. */
  running: boolean;
  /** The body once opened (destroyed when the fetch is abandoned). */
  body?: Readable;
}

/**
 * Yields every file with its bytes, in the given order, fetching ahead within the budget. The writer
 * must finish with a file before asking for the next one (that releases the file's budget). Returning
 * early or a failure aborts and waits out every request still running, so none outlives the call.
 */
export async function* fetchAhead<T extends { size: number; store: string }>(
  files: readonly T[],
  open: OpenFile<T>,
  options: FetchAheadOptions,
): AsyncGenerator<FetchedFile<T>> {
  const controller = new AbortController();
  // Slots of the files started and not yet written (a written file's bytes are let go at once).
  const slots = new Map<number, Slot<T>>();
  let started = 0;
  let head = 0;
  let reserved = 0;
  let running = 0;
  let failure: { error: unknown } | undefined;
  /** Wakes the loop waiting for the next file (a no-op until it waits). */
  let wake = (): void => undefined;

  /** Throws the first failure, if any (a closure sets it, so it is read through a call). */
  const throwIfFailed = () => {
    if (failure) throw failure.error;
  };

  const stopRunning = (slot: Slot<T>) => {
    if (!slot.running) return;
    slot.running = false;
    running -= 1;
  };

  /** Starts the fetch of file `index`: buffered into memory when `reserve` > 0, else left streaming. */
  const start = (index: number, reserve: number) => {
    const file = files[index]!;
    const slot = { reserved: reserve, running: true } as Slot<T>;
    reserved += reserve;
    running += 1;
    started += 1;
    slots.set(index, slot);
    slot.ready = (async () => {
      try {
        const opened = await open(file, controller.signal);
        slot.body = opened.body;
        // A file larger than its planned size streams rather than overrun the budget.
        if (reserve === 0 || (opened.contentLength ?? 0) > reserve) return { ...opened, file };
        const chunks: Buffer[] = [];
        try {
          for await (const chunk of opened.body) chunks.push(chunk as Buffer);
        } catch (error) {
          throw storeError(file.store, error);
        }
        stopRunning(slot);
        const bytes = Buffer.concat(chunks);
        return { ...opened, body: Readable.from([bytes], { objectMode: false }), bytes, file };
      } catch (error) {
        failure ??= { error };
        controller.abort();
        throw error;
      } finally {
        fill();
        wake();
      }
    })();
    slot.ready.catch(() => undefined);
  };

  /** Starts, in plan order, every file the budget and the concurrency allow. */
  const fill = () => {
    while (!failure && started < files.length && running < options.concurrency) {
      const index = started;
      const size = files[index]!.size;
      if (size > options.budgetBytes) {
        // Streamed: opened only once it is the next to write or the one after it.
        if (index > head + 1) return;
        start(index, 0);
      } else {
        if (reserved + size > options.budgetBytes) return;
        start(index, Math.max(size, 1));
      }
    }
  };

  try {
    for (; head < files.length; head += 1) {
      fill();
      const slot = slots.get(head)!;
      let fetched: FetchedFile<T> | undefined;
      while (!fetched) {
        throwIfFailed();
        const changed = new Promise<void>((resolve) => (wake = resolve));
        fetched = await Promise.race([slot.ready.catch(() => undefined), changed.then(() => undefined)]);
      }
      throwIfFailed();
      yield fetched;
      fetched = undefined;
      slots.delete(head);
      reserved -= slot.reserved;
      stopRunning(slot);
    }
  } finally {
    controller.abort();
    for (const slot of slots.values()) slot.body?.destroy();
    await Promise.allSettled([...slots.values()].map((slot) => slot.ready));
  }
}
