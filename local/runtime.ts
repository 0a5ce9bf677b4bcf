import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { FUNCTIONS } from '../functions/catalog';
import { NOTIFIED_RECIPIENTS, recipientEventPattern, recipientQueueName } from '../functions/core/notify-recipients';
import { MAX_RECEIVES } from '../infra/recipients';
import { DATA_MAP, resourceName, type StoreDefinition } from '../functions/core/data-map';
import { functionEnvironment, readFunctionSettings } from '../functions/core/settings';
import { SECRET_VARIABLES } from '../functions/shared/secrets';
import { applyBackendEnvironment, backendServices, configureStoreFeatures, provisionSecrets, withBackendSecretArns, type Backend, type BackendCredentials } from './backend';
import { startEmulators } from './emulators';
import { startEventBridgeServer, type EventBridgeServer } from './eventbridge-server';
import { startSqsServer, type SqsServer } from './sqs-server';
import { enableLocalIam, LocalIam } from './iam-enforcement';
import { loadLocalIamPolicies } from './iam-policies';
import { CONCURRENT_INVOCATIONS_ENV } from './invocation-scope';
import { LambdaRuntime, localFunctionName, type ExtraFunction, type LambdaHandler } from './lambda-runtime';
import { localStateMachineArn, startStepFunctionsServer, stateMachineNameOf, type StepFunctionsServer } from './stepfunctions-server';

/**
 * The embedded local AWS: DynamoDB and S3 emulators, an in-process Lambda runtime, Step Functions and
 * EventBridge endpoints, every store of the data map provisioned, and `process.env` set so in-process
 * functions reach them through standard SDK configuration. `npm start` and the tests both boot it. With
 * `backend` (local/backend.ts) the stores live on an AWS-compatible backend and the emulators do not start.
 */

/** Region of the local services. */
export const LOCAL_REGION = 'eu-west-1';
/** Credentials of the local services (s3rver's built-in account; the other emulators accept any). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
/** Event bus name the local functions put events on. */
export const LOCAL_EVENT_BUS = 'dsr-local';

const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Ports of the local services; 0 (the default) picks a free port. */
export interface LocalPorts {
  dynamodb: number;
  s3: number;
  stepfunctions: number;
  eventbridge: number;
  sqs: number;
}

/** Random secrets generated once per data directory (`<dataDir>/secrets.json`). */
export interface LocalSecrets {
  hashKey: string;
  callbackSecret: string;
  apiToken: string;
}

/** Options of `startLocalAws`. */
export interface LocalAwsOptions {
  dataDir: string;
  ports?: Partial<LocalPorts>;
  /** Wipe the data directory first. */
  reset?: boolean;
  /** Test speed-ups: every Wait state and every retry waits this many milliseconds instead. */
  stepFunctions?: { waitOverrideMs?: number; retryOverrideMs?: number };
  /** Functions registered by name besides the catalog (tests). */
  extraFunctions?: Record<string, LambdaHandler | ExtraFunction>;
  /** Enforce the stack's IAM policies on every AWS call of the functions and state machines (default true). */
  iam?: boolean;
  /** An AWS-compatible backend holding the stores instead of the embedded emulators (`resolveBackend`). */
  backend?: Backend;
  /** ASL files to serve (default: `statemachines/*.asl.json`). */
  stateMachineFiles?: string[];
  /** Operational log sink (ids and error names only); default `console.error` as JSON. */
  log?: (message: string, detail?: Record<string, unknown>) => void;
}

/** A running local AWS. */
export interface LocalAws {
  dataDir: string;
  region: string;
  credentials: BackendCredentials;
  /** The AWS-compatible backend in use; undefined with the embedded emulators. */
  backend?: Backend;
  endpoints: { s3: string; dynamodb: string; stepfunctions: string; eventbridge: string; sqs: string };
  ports: LocalPorts;
  secrets: LocalSecrets;
  /** The variables set in `process.env` for the in-process functions. */
  env: Record<string, string>;
  /** ARNs of the served state machines by name (`dsr-export`). */
  stateMachineArns: Record<string, string>;
  lambda: LambdaRuntime;
  stepFunctions: StepFunctionsServer;
  eventBridge: EventBridgeServer;
  /** The Art. 19 recipients' queues (`dsr-recipient-<id>`, dead-letter queue `…-dlq`). */
  sqs: SqsServer;
  /** Stops every service, flushes the persisted state and restores `process.env`. */
  close(): Promise<void>;
}

/** Boots the embedded local AWS (or its Lambda, Step Functions and EventBridge over a backend's stores). */
export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const dataDir = resolve(options.dataDir);
  if (options.reset) await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const log = options.log ?? ((message, detail) => console.error(JSON.stringify({ level: 'ERROR', message, ...detail })));
  const secrets = await loadSecrets(dataDir);
  const ports: LocalPorts = { dynamodb: 0, s3: 0, stepfunctions: 0, eventbridge: 0, sqs: 0, ...options.ports };
  const stateMachineFiles = options.stateMachineFiles ?? (await defaultStateMachineFiles());
  // Loaded (from the cache, or synthesized) while the emulators start.
  const iamPolicies = options.iam === false ? undefined : loadLocalIamPolicies({ region: LOCAL_REGION, eventBusName: LOCAL_EVENT_BUS });
  iamPolicies?.catch(() => undefined);

  const lambda = new LambdaRuntime({ region: LOCAL_REGION, extraFunctions: options.extraFunctions });
  const closers: (() => Promise<void>)[] = [];
  const previousEnv = new Map<string, string | undefined>();
  let closed = false;
  // Execution status events wait until process.env points the in-process functions at the local
  // services: executions left RUNNING are marked ABORTED (and published) while Step Functions loads.
  let environmentReady: (ready: boolean) => void = () => undefined;
  const environment = new Promise<boolean>((resolveReady) => (environmentReady = resolveReady));
  const closeAll = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    environmentReady(false);
    for (const close of closers.reverse()) await close();
    for (const [key, value] of previousEnv) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };

  try {
    const { backend } = options;
    const emulators = backend ? backendServices(backend) : await startEmulators(dataDir, { dynamodb: ports.dynamodb, s3: ports.s3 });
    closers.push(emulators.close);
    const credentials = backend?.credentials ?? LOCAL_CREDENTIALS;
    await provisionStores(emulators.dynamodbEndpoint, emulators.s3Endpoint, credentials, backend ? log : undefined);
    const backendSecrets = backend && (await provisionSecrets(backend, LOCAL_REGION, { DSR_HASH_KEY: secrets.hashKey, DSR_CALLBACK_SECRET: secrets.callbackSecret }, log));
    const liveSecrets: LocalSecrets = backendSecrets ? { ...secrets, hashKey: backendSecrets.values.DSR_HASH_KEY!, callbackSecret: backendSecrets.values.DSR_CALLBACK_SECRET! } : secrets;

    const functionArn = (functionId: string): string => lambda.arnOf(localFunctionName(functionId));
    const stateMachineArns = stateMachineFiles.map((file) => localStateMachineArn(stateMachineNameOf(file), LOCAL_REGION));
    const sqs = await startSqsServer({ port: ports.sqs, region: LOCAL_REGION, dataDir, log });
    closers.push(sqs.close);
    const queueRules = provisionRecipientQueues(sqs);
    const eventBridge = await startEventBridgeServer({ port: ports.eventbridge, region: LOCAL_REGION, dataDir, lambda, stateMachineArns, queueRules, queues: sqs, log });
    closers.push(eventBridge.close);
    const stepFunctions = await startStepFunctionsServer({
      port: ports.stepfunctions,
      region: LOCAL_REGION,
      dataDir,
      stateMachineFiles,
      lambda,
      functionArn,
      waitOverrideMs: options.stepFunctions?.waitOverrideMs,
      retryOverrideMs: options.stepFunctions?.retryOverrideMs,
      publish: async (entry) => {
        if (await environment) await eventBridge.publish([entry]);
      },
      log,
    });
    closers.push(stepFunctions.close);

    const endpoints = {
      s3: emulators.s3Endpoint,
      dynamodb: emulators.dynamodbEndpoint,
      stepfunctions: stepFunctions.url,
      eventbridge: eventBridge.url,
      sqs: sqs.url,
    };
    const env = localFunctionEnvironment(endpoints, secrets, functionArn);
    if (backend) applyBackendEnvironment(env, backend, backendSecrets);
    // With Secrets Manager the functions fill the secret variables at cold start: restored on close too.
    for (const key of backendSecrets ? SECRET_VARIABLES.map((variable) => variable.env) : []) {
      previousEnv.set(key, process.env[key]);
      delete process.env[key];
    }
    for (const [key, value] of Object.entries(env)) {
      previousEnv.set(key, process.env[key]);
      process.env[key] = value;
    }
    if (iamPolicies) {
      const disableIam = await enableLocalIam(new LocalIam(withBackendSecretArns(await iamPolicies, backendSecrets)), LOCAL_REGION);
      closers.push(async () => disableIam());
    }
    environmentReady(true);

    return {
      dataDir,
      region: LOCAL_REGION,
      credentials,
      backend,
      endpoints,
      ports: { dynamodb: emulators.ports.dynamodb, s3: emulators.ports.s3, stepfunctions: stepFunctions.port, eventbridge: eventBridge.port, sqs: sqs.port },
      secrets: liveSecrets,
      env,
      stateMachineArns: stepFunctions.stateMachineArns,
      lambda,
      stepFunctions,
      eventBridge,
      sqs,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * The environment every in-process function gets: the one the stack gives its functions
 * (`functionEnvironment`, with the runtime settings from this process's environment or their defaults,
 * the local bus, store names and ARNs), plus the local endpoints, credentials and secret values.
 */
function localFunctionEnvironment(
  endpoints: LocalAws['endpoints'],
  secrets: LocalSecrets,
  functionArn: (functionId: string) => string,
): Record<string, string> {
  return {
    ...functionEnvironment({
      settings: { ...readFunctionSettings(process.env), eventBusName: LOCAL_EVENT_BUS },
      catalog: FUNCTIONS,
      storeName: (store) => resourceName(store),
      stateMachineArn: (workflow) => localStateMachineArn(`dsr-${workflow}`, LOCAL_REGION),
      functionArn,
    }),
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SFN: endpoints.stepfunctions,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge,
    DSR_S3_FORCE_PATH_STYLE: 'true',
    DSR_HASH_KEY: secrets.hashKey,
    DSR_CALLBACK_SECRET: secrets.callbackSecret,
    // Many invocations share this process: Powertools keeps per-invocation state; no X-Ray daemon to trace to.
    ...CONCURRENT_INVOCATIONS_ENV,
    POWERTOOLS_TRACE_ENABLED: 'false',
  };
}

/**
 * The Art. 19 channels as the stack builds them (`infra/recipients.ts`): per notified recipient a queue
 * `dsr-recipient-<id>` with its dead-letter queue, and the rule routing its notifications there.
 */
function provisionRecipientQueues(sqs: SqsServer) {
  return NOTIFIED_RECIPIENTS.map((recipient) => {
    const queueName = recipientQueueName('dsr', recipient.id);
    sqs.createQueue(`${queueName}-dlq`);
    sqs.createQueue(queueName, { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: sqs.arnOf(`${queueName}-dlq`), maxReceiveCount: MAX_RECEIVES }) });
    return { queueName, pattern: recipientEventPattern(recipient.id) };
  });
}

async function loadSecrets(dataDir: string): Promise<LocalSecrets> {
  const file = join(dataDir, 'secrets.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LocalSecrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secrets: LocalSecrets = {
    hashKey: randomBytes(32).toString('hex'),
    callbackSecret: randomBytes(32).toString('hex'),
    apiToken: randomBytes(24).toString('base64url'),
  };
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

async function defaultStateMachineFiles(): Promise<string[]> {
  const dir = join(REPOSITORY_ROOT, 'statemachines');
  const files = await readdir(dir).catch(() => [] as string[]);
  return files.filter((file) => file.endsWith('.asl.json')).map((file) => join(dir, file));
}

/**
 * Creates every table and bucket of the data map that does not exist yet. On a backend (`log` given),
 * also the stack's versioning and TTL (`configureStoreFeatures`).
 */
async function provisionStores(dynamodbEndpoint: string, s3Endpoint: string, credentials: BackendCredentials, log?: LocalAwsOptions['log']): Promise<void> {
  const common = { region: LOCAL_REGION, credentials };
  const dynamo = new DynamoDBClient({ ...common, endpoint: dynamodbEndpoint });
  const s3 = new S3Client({ ...common, endpoint: s3Endpoint, forcePathStyle: true });
  try {
    const existingTables = new Set((await dynamo.send(new ListTablesCommand({}))).TableNames ?? []);
    const existingBuckets = new Set(((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((bucket) => bucket.Name));
    for (const store of DATA_MAP) {
      const name = resourceName(store);
      if (store.kind === 'dynamodb-table' && !existingTables.has(name)) {
        await dynamo.send(new CreateTableCommand(tableDefinition(store, name)));
        await waitForActiveTable(dynamo, name);
      } else if (store.kind === 'dynamodb-table') {
        await assertIndexes(dynamo, store, name);
      }
      if (store.kind === 's3-bucket' && !existingBuckets.has(name)) {
        await s3.send(new CreateBucketCommand({ Bucket: name }));
      }
    }
    if (log) await configureStoreFeatures({ dynamo, s3 }, log);
  } finally {
    dynamo.destroy();
    s3.destroy();
  }
}

/**
 * Fails with what to do when an existing local table lacks an index the data map now declares (a data
 * directory from an older version): dynalite cannot add an index to an existing table.
 */
async function assertIndexes(dynamo: DynamoDBClient, store: StoreDefinition, tableName: string): Promise<void> {
  const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  const missing = (store.table?.indexes ?? []).map((index) => index.name).filter((name) => !present.has(name));
  if (missing.length > 0) {
    throw new Error(`Local table ${tableName} lacks the index(es) ${missing.join(', ')} (stores from an older version): start once with --reset, or on a backend delete the table there`);
  }
}

/** The CreateTable input of a DynamoDB store (string keys, on-demand, GSIs projecting all). */
export function tableDefinition(store: StoreDefinition, tableName: string): CreateTableCommandInput {
  if (!store.table) throw new Error(`Store "${store.id}" has no table schema`);
  const { partitionKey, sortKey, indexes = [] } = store.table;
  const keySchema = (hash: string, range?: string) => [
    { AttributeName: hash, KeyType: 'HASH' as const },
    ...(range ? [{ AttributeName: range, KeyType: 'RANGE' as const }] : []),
  ];
  const attributes = new Set([partitionKey, sortKey, ...indexes.flatMap((index) => [index.partitionKey, index.sortKey])].filter((name): name is string => !!name));
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
    KeySchema: keySchema(partitionKey, sortKey),
    GlobalSecondaryIndexes:
      indexes.length === 0
        ? undefined
        : indexes.map((index) => ({ IndexName: index.name, KeySchema: keySchema(index.partitionKey, index.sortKey), Projection: { ProjectionType: 'ALL' as const } })),
  };
}

async function waitForActiveTable(dynamo: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 10));
  }
  throw new Error(`Table ${tableName} did not become ACTIVE`);
}
