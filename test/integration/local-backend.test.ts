import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListBucketsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_MAP, getStore, isVersionedBucket, resourceName } from '../../functions/core/data-map';
import { documentClient, s3Client } from '../../functions/shared/clients';
import { startApiServer } from '../../local/api-server';
import { BACKEND_SECRET_NAMES, resolveBackend } from '../../local/backend';
import { startEmulators, type Emulators } from '../../local/emulators';
import { startLocalAws, type LocalAws } from '../../local/runtime';
import { seedDemoData } from '../../local/seed/demo';
import type { ExportResult } from '../../functions/core/export/finalize';
import { exportVolumes } from '../workflow/export-helpers';
import { ApiClient } from '../e2e/export-archive';

/**
 * `npm start` against an AWS-compatible backend. No Docker here, so the "external" backend is a second
 * dynalite + s3rver pair in its own directory; a loopback router gives it one URL (`--endpoint-url`),
 * sending DynamoDB's JSON calls to dynalite, Secrets Manager's to a small in-memory Secrets Manager, and
 * everything else (S3, presigned downloads) to s3rver.
 */

const STATE_MACHINES = [resolve(import.meta.dirname, '../../statemachines/export.asl.json')];
/** s3rver checks signatures against its one account. */
const BACKEND_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

let external: Emulators;
let externalDir: string;
let router: Server;
let routerUrl: string;
const dataDirs: string[] = [];
/** The router's Secrets Manager: secrets by name, and every GetSecretValue's secret id. */
const secretsManager = { secrets: new Map<string, { arn: string; value: string }>(), reads: [] as string[] };

function answerJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  res.end(JSON.stringify(body));
}

/** The four Secrets Manager operations the local runtime and the functions use. */
async function secretsManagerCall(req: IncomingMessage, res: ServerResponse, operation: string): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { Name?: string; SecretId?: string; SecretString?: string };
  const find = (id: string) => [...secretsManager.secrets.entries()].find(([name, secret]) => name === id || secret.arn === id);
  if (operation === 'ListSecrets') return answerJson(res, 200, { SecretList: [...secretsManager.secrets.entries()].map(([Name, secret]) => ({ Name, ARN: secret.arn })) });
  if (operation === 'CreateSecret') {
    const arn = `arn:aws:secretsmanager:eu-west-1:000000000000:secret:${input.Name}-${createHash('sha256').update(input.Name!).digest('hex').slice(0, 6)}`;
    secretsManager.secrets.set(input.Name!, { arn, value: input.SecretString! });
    return answerJson(res, 200, { ARN: arn, Name: input.Name });
  }
  if (operation === 'GetSecretValue') {
    secretsManager.reads.push(input.SecretId!);
    const found = find(input.SecretId!);
    if (!found) return answerJson(res, 400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
    return answerJson(res, 200, { ARN: found[1].arn, Name: found[0], SecretString: found[1].value, VersionId: 'v1' });
  }
  return answerJson(res, 400, { __type: 'UnknownOperationException', message: operation });
}

/** Forwards a request unchanged (Host included, so SigV4 signatures still match) to a local port. */
function forward(req: IncomingMessage, res: ServerResponse, port: number): void {
  const upstream = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}

async function startRouter(): Promise<void> {
  router = createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target.startsWith('DynamoDB_')) return forward(req, res, external.ports.dynamodb);
    if (target.startsWith('secretsmanager.')) return void secretsManagerCall(req, res, target.slice('secretsmanager.'.length));
    return forward(req, res, external.ports.s3);
  });
  await new Promise<void>((resolveListen) => router.listen(0, '127.0.0.1', resolveListen));
  routerUrl = `http://127.0.0.1:${(router.address() as AddressInfo).port}`;
}

/** SDK clients pointed straight at the external backend (not through the local runtime's environment). */
function externalClients(): { dynamo: DynamoDBClient; s3: S3Client } {
  const common = { region: 'eu-west-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };
  return { dynamo: new DynamoDBClient({ ...common, endpoint: external.dynamodbEndpoint }), s3: new S3Client({ ...common, endpoint: external.s3Endpoint, forcePathStyle: true }) };
}

async function newDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dsr-backend-local-'));
  dataDirs.push(dir);
  return dir;
}

beforeAll(async () => {
  externalDir = await mkdtemp(join(tmpdir(), 'dsr-backend-external-'));
  external = await startEmulators(externalDir, { dynamodb: 0, s3: 0 });
  await startRouter();
});

afterAll(async () => {
  await new Promise((resolveClose) => router?.close(resolveClose));
  await external?.close();
  for (const dir of [...dataDirs, externalDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('per-service endpoints, on a backend without Secrets Manager', () => {
  let aws: LocalAws;
  const notes: { message: string; detail?: Record<string, unknown> }[] = [];
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await newDataDir();
    const backend = resolveBackend(undefined, { ...BACKEND_ENV, AWS_ENDPOINT_URL_S3: external.s3Endpoint, AWS_ENDPOINT_URL_DYNAMODB: external.dynamodbEndpoint });
    aws = await startLocalAws({ dataDir, backend, iam: false, stateMachineFiles: STATE_MACHINES, log: (message, detail) => notes.push({ message, detail }) });
  });

  afterAll(async () => {
    await aws?.close();
  });

  it('creates every table of the data map, with its indexes, and every bucket on the backend, and starts no embedded emulator', async () => {
    const { dynamo, s3 } = externalClients();

    const tables = (await dynamo.send(new ListTablesCommand({}))).TableNames ?? [];
    const buckets = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((bucket) => bucket.Name);

    const tableStores = DATA_MAP.filter((store) => store.kind === 'dynamodb-table');
    expect(tables).toEqual(expect.arrayContaining(tableStores.map((store) => resourceName(store))));
    for (const store of tableStores) {
      const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: resourceName(store) }));
      expect((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName).sort()).toEqual((store.table?.indexes ?? []).map((index) => index.name).sort());
    }
    expect(buckets).toEqual(expect.arrayContaining(DATA_MAP.filter((store) => store.kind === 's3-bucket').map((store) => resourceName(store))));
    expect(aws.endpoints).toMatchObject({ s3: external.s3Endpoint, dynamodb: external.dynamodbEndpoint });
    expect((await readdir(dataDir)).filter((entry) => entry === 'dynamodb' || entry === 's3')).toEqual([]);
    dynamo.destroy();
    s3.destroy();
  });

  it('keeps the secrets in the functions environment and notes the settings the backend lacks (s3rver has no versioning)', () => {
    expect(aws.env).toMatchObject({ DSR_HASH_KEY: aws.secrets.hashKey, AWS_ENDPOINT_URL_S3: external.s3Endpoint, AWS_ACCESS_KEY_ID: 'S3RVER' });
    expect(aws.env).not.toHaveProperty('DSR_HASH_KEY_SECRET_ARN');
    const versionedNotes = notes.filter((note) => note.message.startsWith('backend does not implement')).map((note) => note.detail?.store);
    expect(versionedNotes.sort()).toEqual(DATA_MAP.filter(isVersionedBucket).map((store) => store.id).sort());
  });
});

describe('--endpoint-url: one URL for every service, secrets in the backend Secrets Manager, IAM enforced', () => {
  let aws: LocalAws;
  let api: Awaited<ReturnType<typeof startApiServer>>;
  let client: ApiClient;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await newDataDir();
    const backend = resolveBackend(routerUrl, BACKEND_ENV);
    aws = await startLocalAws({ dataDir, backend, stateMachineFiles: STATE_MACHINES, stepFunctions: { retryOverrideMs: 1 }, log: () => undefined });
    api = await startApiServer({ port: 0, token: aws.secrets.apiToken });
    client = new ApiClient(api.url, aws.secrets.apiToken);
    await seedDemoData({ s3: s3Client(), doc: documentClient() });
  });

  afterAll(async () => {
    await api?.close();
    await aws?.close();
  });

  it('creates both secrets on the backend and gives the functions their ARNs, not their values', () => {
    const hashKey = secretsManager.secrets.get(BACKEND_SECRET_NAMES.DSR_HASH_KEY)!;
    const callback = secretsManager.secrets.get(BACKEND_SECRET_NAMES.DSR_CALLBACK_SECRET)!;

    expect(aws.secrets).toMatchObject({ hashKey: hashKey.value, callbackSecret: callback.value });
    expect(aws.env).toMatchObject({ DSR_HASH_KEY_SECRET_ARN: hashKey.arn, DSR_CALLBACK_SECRET_ARN: callback.arn, AWS_ENDPOINT_URL: routerUrl, AWS_ENDPOINT_URL_SECRETS_MANAGER: routerUrl });
    expect(aws.env).not.toHaveProperty('DSR_HASH_KEY');
    expect(aws.env).not.toHaveProperty('DSR_CALLBACK_SECRET');
  });

  it('runs an export through the HTTP API on the backend: the functions read the secrets at cold start under their roles, and the archive lies on the backend', async () => {
    const { s3 } = externalClients();
    const readsBefore = secretsManager.reads.length;

    const requestId = await client.createExport('c1', 'albelli');
    const view = await client.waitFinal(requestId);

    expect(view.status).toBe('completed');
    const [volume] = await exportVolumes(view.result);
    const zip = await client.download(requestId, volume!.volume);
    expect(createHash('sha256').update(zip).digest('hex')).toBe(volume!.sha256);
    const stored = await s3.send(new ListObjectsV2Command({ Bucket: resourceName(getStore('exports')), Prefix: `exports/${requestId}/` }));
    expect((stored.Contents ?? []).map((object) => object.Key)).toContain((view.result as unknown as ExportResult).resultKey);
    const reads = secretsManager.reads.slice(readsBefore);
    // The API and the collectors read the hash key, deliver-callback (on the status events) the callback
    // secret; a role reading a secret it may not would have failed its function with AccessDeniedException.
    expect(new Set(reads)).toEqual(new Set([aws.env.DSR_HASH_KEY_SECRET_ARN, aws.env.DSR_CALLBACK_SECRET_ARN]));
    s3.destroy();
  });

  it('starts no embedded emulator', async () => {
    expect((await readdir(dataDir)).filter((entry) => entry === 'dynamodb' || entry === 's3')).toEqual([]);
  });
});
