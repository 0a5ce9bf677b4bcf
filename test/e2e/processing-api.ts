import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { getStore, resourceName } from '../../functions/core/data-map';
import { documentClient, s3Client, sfnClient } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { startApiServer, type ApiServer } from '../../local/api-server';
import { startLocalAws } from '../../local/runtime';
import { seedDemoData } from '../../local/seed/demo';
import type { ErasureContext } from '../workflow/erasure-helpers';
import { ApiClient } from './export-archive';

/** The harness of the restriction, objection and checks e2e tests: the local AWS with the demo data and the HTTP API. */

/** A running harness. */
export interface ProcessingHarness {
  ctx: ErasureContext;
  client: ApiClient;
  /** Sends a request and reads the JSON answer. */
  call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;
  /** Every item of the suppression table (restrictions, objections, suppression entries). */
  suppressionItems: () => Promise<Record<string, unknown>[]>;
  close: () => Promise<void>;
}

/** Boots the local AWS in a fresh data directory, seeds the demo data and starts the API (erasure cooling-off 1 s). */
export async function startProcessingHarness(label: string): Promise<ProcessingHarness> {
  const dataDir = await mkdtemp(join(tmpdir(), `dsr-${label}-e2e-`));
  const previousCoolingOff = process.env.DSR_ERASURE_COOLING_OFF_SECONDS;
  process.env.DSR_ERASURE_COOLING_OFF_SECONDS = '1';
  const aws = await startLocalAws({ dataDir, reset: true, stepFunctions: { retryOverrideMs: 10 }, log: () => {} });
  const ctx: ErasureContext = { aws, doc: documentClient(), s3: s3Client(), sfn: sfnClient(), ledger: ledgerFromEnv() };
  await seedDemoData({ s3: ctx.s3, doc: ctx.doc });
  const api: ApiServer = await startApiServer({ port: 0, token: aws.secrets.apiToken });
  const client = new ApiClient(api.url, aws.secrets.apiToken);
  return {
    ctx,
    client,
    call: async (method, path, body) => {
      const response = await client.call(method, path, body);
      return { status: response.status, body: await response.json() };
    },
    suppressionItems: async () => (await ctx.doc.send(new ScanCommand({ TableName: resourceName(getStore('marketing-suppression')), ConsistentRead: true }))).Items ?? [],
    close: async () => {
      await api.close();
      await aws.close();
      if (previousCoolingOff === undefined) delete process.env.DSR_ERASURE_COOLING_OFF_SECONDS;
      else process.env.DSR_ERASURE_COOLING_OFF_SECONDS = previousCoolingOff;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
