import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { getStore, resourceName } from '../functions/core/data-map';
import { Ledger } from '../functions/core/ledger';
import { readFunctionSettings } from '../functions/core/settings';
import { documentClient, dynamoClient, eventBridgeClient, s3Client, sfnClient } from '../functions/shared/clients';

/**
 * How `dsr` commands reach AWS: the local pipeline's `<data-dir>/endpoints.json` (written by
 * `npm start`), or with `--aws` the standard SDK configuration (AWS_REGION, AWS_PROFILE, ...).
 */

/** Default data directory of the local pipeline (relative to the working directory). */
export const DEFAULT_DATA_DIR = '.dsr-local';

/** The endpoints file `npm start` writes; extra fields are kept. */
export const endpointsSchema = z.looseObject({
  s3: z.url(),
  dynamodb: z.url(),
  stepfunctions: z.url().optional(),
  eventbridge: z.url().optional(),
  api: z.url().optional(),
  token: z.string().optional(),
  region: z.string().min(1),
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
});

/** Contents of `<data-dir>/endpoints.json`. */
export type LocalEndpoints = z.infer<typeof endpointsSchema>;

/** The connection options every AWS-using command accepts. */
export interface AwsOptions {
  dataDir: string;
  aws?: boolean;
}

/** AWS clients for a command, plus the local endpoints when running against the local pipeline. */
export interface CliAws {
  s3: S3Client;
  dynamo: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  sfn: SFNClient;
  events: EventBridgeClient;
  /** Present unless `--aws` was given. */
  endpoints?: LocalEndpoints;
  /** Releases the clients' sockets. */
  destroy(): void;
}

/** Adds `--data-dir <dir>` and `--aws` to a command. */
export function withAwsOptions(command: Command): Command {
  return command
    .addOption(new Option('--data-dir <dir>', 'data directory of the local pipeline (holds endpoints.json)').env('DSR_DATA_DIR').default(DEFAULT_DATA_DIR))
    .option('--aws', 'use the standard AWS SDK configuration instead of the local pipeline', false);
}

/** Reads and validates `<dataDir>/endpoints.json`, with a hint when the local pipeline never started. */
export async function readEndpoints(dataDir: string): Promise<LocalEndpoints> {
  const file = join(resolve(dataDir), 'endpoints.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${file} not found: start the local pipeline with \`npm start\` (or pass --data-dir, or --aws for real AWS)`);
    }
    throw error;
  }
  const parsed = endpointsSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} is not a valid endpoints file: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return parsed.data;
}

/** Builds the clients for a command from its `--data-dir` / `--aws` options. */
export async function cliAws(options: AwsOptions): Promise<CliAws> {
  if (options.aws) {
    const s3 = s3Client();
    const dynamo = dynamoClient();
    const sfn = sfnClient();
    const events = eventBridgeClient();
    return { s3, dynamo, doc: documentClient(), sfn, events, destroy: () => [s3, dynamo, sfn, events].forEach((client) => client.destroy()) };
  }
  const endpoints = await readEndpoints(options.dataDir);
  const common = { region: endpoints.region, credentials: { accessKeyId: endpoints.accessKeyId, secretAccessKey: endpoints.secretAccessKey } };
  const s3 = new S3Client({ ...common, endpoint: endpoints.s3, forcePathStyle: true });
  const dynamo = new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb });
  const sfn = new SFNClient({ ...common, ...(endpoints.stepfunctions ? { endpoint: endpoints.stepfunctions } : {}) });
  const events = new EventBridgeClient({ ...common, ...(endpoints.eventbridge ? { endpoint: endpoints.eventbridge } : {}) });
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  return { s3, dynamo, doc, sfn, events, endpoints, destroy: () => [s3, dynamo, sfn, events].forEach((client) => client.destroy()) };
}

/**
 * The request ledger over a command's clients, as the functions build it (`ledgerFromEnv`): the table
 * named by the data map, status events to the bus the settings name (`DSR_EVENT_BUS_NAME`, default `dsr`).
 */
export function cliLedger(aws: Pick<CliAws, 'doc' | 'events'>, env: NodeJS.ProcessEnv = process.env): Ledger {
  return new Ledger({ doc: aws.doc, events: aws.events, tableName: resourceName(getStore('request-ledger'), env), eventBusName: readFunctionSettings(env).eventBusName });
}
