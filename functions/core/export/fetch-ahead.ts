import type { Readable } from 'node:stream';
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

/** What a GetObject response says about a source object besides its bytes. */
export interface ObjectDetails {
  /** Bytes the response announces (`Content-Length`). */
  contentLength?: number;
  contentType?: string;
  /** User metadata, URI-decoded. */
  metadata: Record<string, string>;
}

/** An opened source object: its byte stream and its response details. */
export interface OpenedObject extends ObjectDetails {
  body: Readable;
}

/** A file handed to the writer: the planned file, its content and its response details. */
export interface FetchedFile<T> extends ObjectDetails {
  file: T;
  /** The whole content when the file was read into memory, else the response's open byte stream. */
  content: Buffer | Readable;
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
  /** The file once ready (so the writer takes it without waiting on `ready`). */
  fetched?: FetchedFile<T>;
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
        const { body, ...details } = await open(file, controller.signal);
        slot.body = body;
        // A file larger than its planned size streams rather than overrun the budget.
        if (reserve === 0 || (details.contentLength ?? 0) > reserve) return (slot.fetched = { ...details, content: body, file });
        const chunks: Buffer[] = [];
        try {
          for await (const chunk of body) chunks.push(chunk as Buffer);
        } catch (error) {
          throw storeError(file.store, error);
        }
        stopRunning(slot);
        return (slot.fetched = { ...details, content: Buffer.concat(chunks), file });
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
      let fetched = slot.fetched;
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
