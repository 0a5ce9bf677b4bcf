import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { documentClient, s3Client } from '../functions/shared/clients';
import { startApiServer } from './api-server';
import { resolveBackend } from './backend';
import { startLocalAws } from './runtime';
import { seedDemoData } from './seed/demo';

/**
 * `npm start`: boots the embedded local AWS, seeds the demo data on first start, serves the HTTP API,
 * writes `<data-dir>/endpoints.json` and prints a banner. Ports come from `DSR_API_PORT` (3000),
 * `DSR_DYNAMODB_PORT` (4567), `DSR_S3_PORT` (4568), `DSR_SFN_PORT` (4569), `DSR_EVENTS_PORT` (4570), `DSR_SQS_PORT` (4571);
 * the API bearer token from `DSR_LOCAL_TOKEN` or one generated per data directory. With
 * `--endpoint-url URL` or `AWS_ENDPOINT_URL[_S3|_DYNAMODB|_SECRETS_MANAGER]` the stores live on that
 * AWS-compatible backend (LocalStack, moto) instead of the embedded emulators (`local/backend.ts`).
 */

/** What `<data-dir>/endpoints.json` holds: everything a standard AWS client or the API needs. */
export interface LocalEndpointsFile {
  api: string;
  s3: string;
  dynamodb: string;
  stepfunctions: string;
  eventbridge: string;
  sqs: string;
  token: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number, got "${raw}"`);
  return port;
}

async function main(): Promise<void> {
  const options = new Command('npm start')
    .description('Run the DSR pipeline locally on embedded AWS services')
    .option('--reset', 'wipe the data directory first', false)
    .option('--data-dir <dir>', 'data directory', '.dsr-local')
    .option('--endpoint-url <url>', 'AWS-compatible backend (e.g. LocalStack) for S3, DynamoDB and Secrets Manager, instead of the embedded emulators')
    .parse()
    .opts<{ reset: boolean; dataDir: string; endpointUrl?: string }>();

  // Local erasures wait 30 s (cancellable) unless configured; AWS uses the stack setting (7 days).
  process.env.DSR_ERASURE_COOLING_OFF_SECONDS ??= '30';
  const backend = resolveBackend(options.endpointUrl, process.env);
  const aws = await startLocalAws({
    dataDir: options.dataDir,
    reset: options.reset,
    backend,
    ports: {
      dynamodb: portFromEnv('DSR_DYNAMODB_PORT', 4567),
      s3: portFromEnv('DSR_S3_PORT', 4568),
      stepfunctions: portFromEnv('DSR_SFN_PORT', 4569),
      eventbridge: portFromEnv('DSR_EVENTS_PORT', 4570),
      sqs: portFromEnv('DSR_SQS_PORT', 4571),
    },
  }).catch((error: unknown) => {
    if (!backend) throw error;
    // A refused connection to `localhost` is an AggregateError without a message: name its code.
    const reason = (error as { code?: string }).code ?? ((error instanceof Error && (error.message || error.name)) || String(error));
    throw new Error(`the backend (S3 ${backend.s3}, DynamoDB ${backend.dynamodb}) failed: ${reason}`, { cause: error });
  });
  const token = process.env.DSR_LOCAL_TOKEN || aws.secrets.apiToken;
  let api: Awaited<ReturnType<typeof startApiServer>> | undefined;
  try {
    const seed = await seedDemoData({ s3: s3Client(), doc: documentClient() });
    api = await startApiServer({ port: portFromEnv('DSR_API_PORT', 3000), token, tokenName: process.env.DSR_LOCAL_TOKEN_NAME || 'local' });
    const endpoints: LocalEndpointsFile = {
      api: api.url,
      ...aws.endpoints,
      token,
      region: aws.region,
      accessKeyId: aws.credentials.accessKeyId,
      secretAccessKey: aws.credentials.secretAccessKey,
    };
    const endpointsFile = join(aws.dataDir, 'endpoints.json');
    await writeFile(endpointsFile, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
    printBanner(endpoints, endpointsFile, Object.keys(aws.stateMachineArns), seed, aws.backend && { secretsManager: aws.env.AWS_ENDPOINT_URL_SECRETS_MANAGER });
  } catch (error) {
    await api?.close();
    await aws.close();
    throw error;
  }

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local runtime...`);
    Promise.resolve(api?.close())
      .then(() => aws.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error('shutdown failed:', error);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function printBanner(
  endpoints: LocalEndpointsFile,
  endpointsFile: string,
  stateMachines: string[],
  seed: { seeded: boolean; customers: { customerId: string; brand: string }[] },
  backend: { secretsManager?: string } | undefined,
): void {
  const sample = seed.customers.slice(0, 5).map((customer) => `${customer.customerId} (${customer.brand})`);
  console.log(
    [
      'DSR pipeline running locally',
      `  API            ${endpoints.api}   (Authorization: Bearer ${endpoints.token})`,
      `  S3             ${endpoints.s3}${backend ? '   (backend)' : ''}`,
      `  DynamoDB       ${endpoints.dynamodb}${backend ? '   (backend)' : ''}`,
      ...(backend ? [`  Secrets        ${backend.secretsManager ? `${backend.secretsManager}   (backend Secrets Manager)` : 'in the functions environment (the backend has no Secrets Manager)'}`] : []),
      `  Step Functions ${endpoints.stepfunctions}   state machines: ${stateMachines.join(', ') || 'none'}`,
      `  EventBridge    ${endpoints.eventbridge}`,
      `  SQS            ${endpoints.sqs}   Art. 19 recipient queues: dsr-recipient-<id> (and -dlq)`,
      backend && endpoints.secretAccessKey !== 'test'
        ? `  Region ${endpoints.region}, access key ${endpoints.accessKeyId} (from the environment)`
        : `  Region ${endpoints.region}, access key ${endpoints.accessKeyId}, secret ${endpoints.secretAccessKey}`,
      `  Endpoints file ${endpointsFile}`,
      `  Demo data      ${seed.seeded ? 'seeded' : 'already present'}: ${seed.customers.length} customers, e.g. ${sample.join(', ')}`,
      'Press Ctrl+C to stop.',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error('npm start failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
