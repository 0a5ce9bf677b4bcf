import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
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

/** Starts dynalite and s3rver persisted under `dataDir`. */
export async function startEmulators(dataDir: string, ports: EmulatorPorts): Promise<Emulators> {
  const dynamoDir = join(dataDir, 'dynamodb');
  const s3Dir = join(dataDir, 's3');
  await mkdir(dynamoDir, { recursive: true });
  await mkdir(s3Dir, { recursive: true });

  const dynamoServer = dynalite({ path: dynamoDir, createTableMs: 5, deleteTableMs: 5, updateTableMs: 5 });
  await new Promise<void>((resolve, reject) => {
    dynamoServer.once('error', reject);
    dynamoServer.listen(ports.dynamodb, '127.0.0.1', () => {
      dynamoServer.off('error', reject);
      resolve();
    });
  });
  const dynamoPort = (dynamoServer.address() as AddressInfo).port;

  const s3 = new S3rver({ address: '127.0.0.1', port: ports.s3, directory: s3Dir, silent: true });
  enforceConditionalPuts(s3);
  let s3Port: number;
  try {
    s3Port = (await s3.run()).port;
  } catch (error) {
    await closeServer(dynamoServer);
    throw error;
  }

  return {
    dynamodbEndpoint: `http://127.0.0.1:${dynamoPort}`,
    s3Endpoint: `http://127.0.0.1:${s3Port}`,
    ports: { dynamodb: dynamoPort, s3: s3Port },
    close: async () => {
      await Promise.all([closeServer(dynamoServer), s3.close()]);
    },
  };
}

/** The Koa surface of s3rver this module relies on (its middleware list and its store). */
interface S3rverInternals {
  middleware: ((ctx: KoaContext, next: () => Promise<void>) => Promise<void>)[];
  store: { existsObject(bucket: string, key: string): Promise<boolean> };
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

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}
