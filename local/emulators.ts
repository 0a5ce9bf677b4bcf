import { mkdir, rmdir, unlink } from 'node:fs/promises';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, sep } from 'node:path';
import { Readable } from 'node:stream';
import dynalite from 'dynalite';
import S3rver from 's3rver';

/**
 * The embedded DynamoDB (dynalite, LevelDB under `<dataDir>/dynamodb`) and S3 (s3rver, files under
 * `<dataDir>/s3`) emulators, bound to loopback.
 */

/** Ports of the emulators; 0 picks a free port. */
export interface EmulatorPorts {
  dynamodb: number;
  s3: number;
}

/** Running emulators and their endpoints. */
export interface Emulators {
  dynamodbEndpoint: string;
  s3Endpoint: string;
  ports: EmulatorPorts;
  /** Stops both servers and closes the DynamoDB store. */
  close(): Promise<void>;
}

/** One running emulator: its endpoint and port, and `close`. */
export interface Emulator {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

/** Starts dynalite and s3rver persisted under `dataDir`. */
export async function startEmulators(dataDir: string, ports: EmulatorPorts): Promise<Emulators> {
  const dynamodb = await startDynamoDbEmulator(join(dataDir, 'dynamodb'), ports.dynamodb);
  let s3: Emulator;
  try {
    s3 = await startS3Emulator(join(dataDir, 's3'), ports.s3);
  } catch (error) {
    await dynamodb.close();
    throw error;
  }
  return {
    dynamodbEndpoint: dynamodb.endpoint,
    s3Endpoint: s3.endpoint,
    ports: { dynamodb: dynamodb.port, s3: s3.port },
    close: async () => {
      await Promise.all([dynamodb.close(), s3.close()]);
    },
  };
}

/** Starts dynalite (LevelDB under `dir`) on 127.0.0.1:`port`, shielded from clients that go away. */
export async function startDynamoDbEmulator(dir: string, port: number): Promise<Emulator> {
  await mkdir(dir, { recursive: true });
  const server = dynalite({ path: dir, createTableMs: 5, deleteTableMs: 5, updateTableMs: 5 });
  const requests = shieldDynalite(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return { endpoint: `http://127.0.0.1:${bound}`, port: bound, close: () => requests.drain().then(() => closeServer(server)) };
}

/** Starts s3rver (files under `dir`) on 127.0.0.1:`port`, with S3's conditional puts and constant-cost deletes. */
export async function startS3Emulator(dir: string, port: number): Promise<Emulator> {
  await mkdir(dir, { recursive: true });
  const s3 = new S3rver({ address: '127.0.0.1', port, directory: dir, silent: true });
  enforceConditionalPuts(s3);
  deleteWithoutListing(s3);
  const bound = (await s3.run()).port;
  return { endpoint: `http://127.0.0.1:${bound}`, port: bound, close: () => s3.close() };
}

/** How long closing waits for dynalite to finish the requests it was handed. */
const DYNALITE_DRAIN_MS = 10_000;

/**
 * Guards the process against two dynalite faults (dynalite 4.0.0, the latest; upstream issue
 * architect/dynalite#183 "any request error takes down the whole database"):
 * - it throws from a request's `error` event, so a client that goes away while still sending its body
 *   (an SDK timeout, an aborted call) crashes the whole process with `Error: aborted`;
 * - it keeps working on a request after its client has gone, so closing its store under such a
 *   request throws `LEVEL_DATABASE_NOT_OPEN` or `LEVEL_ITERATOR_NOT_OPEN` out of a Query stream.
 * dynalite therefore gets each request only once its whole body has arrived (a request cut off before
 * that is dropped: nothing ran), as a complete stream of that body; and `drain()` refuses new requests
 * (503, which the SDK retries) and waits until dynalite has answered every request it was handed.
 */
function shieldDynalite(server: Server): { drain: () => Promise<void> } {
  const handlers = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  let active = 0;
  let closing = false;
  let idle: (() => void) | undefined;
  const finished = () => {
    active -= 1;
    if (active === 0) idle?.();
  };
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('error', () => undefined);
    request.once('end', () => {
      if (closing) {
        response.writeHead(503, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailable', message: 'The local DynamoDB is shutting down' }));
        return;
      }
      const whole = Object.assign(Readable.from(chunks.length ? [Buffer.concat(chunks)] : [], { objectMode: false }), {
        headers: request.headers,
        method: request.method,
        url: request.url,
        socket: request.socket,
      });
      active += 1;
      const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
      let answered = false;
      response.end = ((...args: unknown[]) => {
        if (!answered) {
          answered = true;
          finished();
        }
        return end(...args);
      }) as ServerResponse['end'];
      for (const handler of handlers) handler(whole as unknown as IncomingMessage, response);
    });
  });
  return {
    drain: () => {
      closing = true;
      if (active === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, DYNALITE_DRAIN_MS);
        idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}

/** The Koa surface of s3rver this module relies on (its middleware list and its store). */
interface S3rverInternals {
  middleware: ((ctx: KoaContext, next: () => Promise<void>) => Promise<void>)[];
  store: S3rverStore;
}

/** The parts of s3rver's filesystem store (`lib/stores/filesystem.js`) used here. */
interface S3rverStore {
  existsObject(bucket: string, key: string): Promise<boolean>;
  deleteObject(bucket: string, key: string): Promise<void>;
  getBucketPath(bucket: string): string;
  getResourcePath(bucket: string, key: string, resource: string): string;
}

interface KoaContext {
  method: string;
  path: string;
  querystring: string;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
}

/**
 * Makes s3rver honour `If-None-Match: *` on PutObject as S3 does (conditional writes): a put over an
 * existing key answers `412 PreconditionFailed`, and two conditional puts of one key are serialised so
 * exactly one wins. s3rver ignores the header, so without this a second write-once put would succeed.
 */
function enforceConditionalPuts(s3: S3rver): void {
  const internals = s3 as unknown as S3rverInternals;
  const inFlight = new Map<string, Promise<void>>();
  internals.middleware.unshift(async (ctx, next) => {
    const [, bucket, ...keyParts] = ctx.path.split('/');
    if (ctx.method !== 'PUT' || ctx.headers['if-none-match'] !== '*' || !bucket || !keyParts.length || ctx.querystring.includes('uploadId')) return next();
    const key = decodeURIComponent(keyParts.join('/'));
    const id = `${bucket}/${key}`;
    while (inFlight.has(id)) await inFlight.get(id);
    let release!: () => void;
    inFlight.set(id, new Promise<void>((resolve) => (release = resolve)));
    try {
      if (await internals.store.existsObject(bucket, key)) {
        ctx.status = 412;
        ctx.type = 'application/xml';
        ctx.body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition></Error>';
        return;
      }
      await next();
    } finally {
      inFlight.delete(id);
      release();
    }
  });
}

/**
 * Makes s3rver's object delete cost what it costs in S3: constant per key. s3rver (3.7.1, the latest)
 * removes an object's three files and then, to clean up the key's emptied folders, reads the whole
 * folder with a synchronous `readdirSync` before each `rmdir`. A customer's 10,000 photos share one
 * folder, so erasing them read that folder 10,000 times with the event loop blocked (59 s of CPU in
 * the erasure benchmark, the 6–9 s event-loop stalls it reported). Here the folders are removed with
 * `rmdir` alone, from the deepest up, stopping at the first that is not empty (`ENOTEMPTY`) or gone:
 * the same end state, folders included, without a listing.
 */
function deleteWithoutListing(s3: S3rver): void {
  const store = (s3 as unknown as S3rverInternals).store;
  store.deleteObject = async (bucket, key) => {
    await Promise.all(
      ['object', 'object.md5', 'metadata.json'].map((resource) =>
        unlink(store.getResourcePath(bucket, key, resource)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        }),
      ),
    );
    const bucketPath = store.getBucketPath(bucket);
    for (let folder = dirname(store.getResourcePath(bucket, key, 'object')); folder.startsWith(`${bucketPath}${sep}`); folder = dirname(folder)) {
      try {
        await rmdir(folder);
      } catch (error) {
        if (['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes((error as NodeJS.ErrnoException).code ?? '')) return;
        throw error;
      }
    }
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}
