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

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}
