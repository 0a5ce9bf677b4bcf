import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/dsr';
import type { RetentionReport } from '../../functions/core/retention/report';
import { documentClient, s3Client, sfnClient } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { startApiServer, type ApiServer } from '../../local/api-server';
import { startLocalAws } from '../../local/runtime';
import type { ErasureContext } from '../workflow/erasure-helpers';
import { ledgerSnapshot, readReport, reportCounts, seedRetentionFixture, storeSnapshot, type RetentionFixture } from '../workflow/retention-helpers';
import { ApiClient } from './export-archive';

/**
 * End to end on the embedded local AWS: `dsr sweep-retention --wait` runs the retention workflow over
 * data on both sides of every rule for customers of five brands; the stores are checked directly
 * (expired gone, everything else byte for byte, the held customer untouched), the printed report is
 * the exact one in the audit bucket, the inactive account's erasure request runs the normal erasure
 * path through the API to its certificate, and a second run removes nothing new.
 */

let dataDir: string;
let ctx: ErasureContext;
let api: ApiServer;
let client: ApiClient;
let fixture: RetentionFixture;
const previous = { concurrency: process.env.DSR_RETENTION_MAX_CONCURRENCY, coolingOff: process.env.DSR_ERASURE_COOLING_OFF_SECONDS };

/** Runs `dsr sweep-retention` with the arguments and returns what it printed (the report) as JSON. */
async function sweepRetention(...args: string[]): Promise<RetentionReport> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const progress = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    process.exitCode = undefined;
    await main(['node', 'dsr', 'sweep-retention', ...args, '--data-dir', dataDir]);
    expect(process.exitCode ?? 0).toBe(0);
    return JSON.parse(String(log.mock.calls.at(-1)![0])) as RetentionReport;
  } finally {
    log.mockRestore();
    progress.mockRestore();
  }
}

/** The requests of a customer through the API. */
async function requestsOf(customerId: string): Promise<{ requestId: string; type: string; status: string; caller?: string; result?: Record<string, unknown> }[]> {
  const response = await client.call('GET', `/v1/requests?customerId=${customerId}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: never[] }).items;
}

beforeAll(async () => {
  // One child execution at a time, so the ledger's count includes the erasure request the profile sweep creates.
  process.env.DSR_RETENTION_MAX_CONCURRENCY = '1';
  process.env.DSR_ERASURE_COOLING_OFF_SECONDS = '1';
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-retention-e2e-'));
  const aws = await startLocalAws({ dataDir, reset: true, stepFunctions: { retryOverrideMs: 10 }, log: () => {} });
  ctx = { aws, doc: documentClient(), s3: s3Client(), sfn: sfnClient(), ledger: ledgerFromEnv() };
  await writeFile(
    join(dataDir, 'endpoints.json'),
    JSON.stringify({ s3: aws.endpoints.s3, dynamodb: aws.endpoints.dynamodb, stepfunctions: aws.endpoints.stepfunctions, region: aws.region, ...aws.credentials }),
  );
  api = await startApiServer({ port: 0, token: aws.secrets.apiToken });
  client = new ApiClient(api.url, aws.secrets.apiToken);
  fixture = await seedRetentionFixture(ctx, 'e-');
}, 120_000);

afterAll(async () => {
  await api?.close();
  await ctx?.aws.close();
  for (const [key, value] of [['DSR_RETENTION_MAX_CONCURRENCY', previous.concurrency], ['DSR_ERASURE_COOLING_OFF_SECONDS', previous.coolingOff]] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe('dsr sweep-retention', () => {
  it('removes what is past its rule across brands, keeps the rest and the held customer byte for byte, reports exactly, and erases the inactive account', async () => {
    // Arrange
    const before = new Map([...(await storeSnapshot(ctx)), ...(await ledgerSnapshot(ctx, 'e-'))]);
    const dry = await sweepRetention('--dry-run', '--wait');
    expect(new Map([...(await storeSnapshot(ctx)), ...(await ledgerSnapshot(ctx, 'e-'))])).toEqual(before);

    // Act
    const report = await sweepRetention('--wait');

    // Assert: the report, as printed and as stored.
    expect(dry).toMatchObject({ status: 'succeeded', dryRun: true, totals: { removed: 0, remaining: 8 } });
    expect(report).toEqual(await readReport(ctx, report.runId));
    expect(report).toMatchObject({ status: 'succeeded', dryRun: false, totals: { examined: 23, expired: 13, removed: 8, heldSkipped: 5, remaining: 0 } });
    expect(reportCounts(report)).toEqual(fixture.counts);

    // The inactive account's erasure (reason retention) goes through cooling-off, legal-hold check and erasure to its certificate.
    const [erasure, ...more] = await requestsOf(fixture.customers.inactive.customerId);
    expect(more).toEqual([]);
    expect(erasure).toMatchObject({ type: 'erasure', caller: 'retention' });
    const final = await client.waitFinal(erasure!.requestId);
    expect(final.status).toBe('completed');
    expect(final.result).toMatchObject({ certificate: { key: `certificates/${erasure!.requestId}.json`, lifecycle: { requestedBy: 'retention', holds: [] }, verification: 'passed' } });

    // The stores: expired records gone, the erased profile gone, everything else (the held customer's included) unchanged.
    const after = new Map([...(await storeSnapshot(ctx)), ...(await ledgerSnapshot(ctx, 'e-'))]);
    const erasedProfile = `customer-profile:${JSON.stringify([fixture.customers.inactive.customerId, null])}`;
    const expected = new Map([...before].filter(([key]) => !fixture.expired.includes(key) && key !== erasedProfile));
    const suppressionAdded = [...after.keys()].filter((key) => key.startsWith('marketing-suppression:') && !before.has(key));
    expect(new Map([...after].filter(([key]) => !suppressionAdded.includes(key)))).toEqual(expected);
    const held = fixture.customers.held.customerId;
    expect([...before.keys()].filter((key) => key.includes(held)).every((key) => after.get(key) === before.get(key))).toBe(true);
    // The held customer's own old request is kept, and no erasure is requested for it.
    expect((await requestsOf(held)).map((request) => request.requestId)).toEqual(['e-rq-held']);
  }, 120_000);

  it('removes nothing new on a second run and requests no second erasure', async () => {
    // Arrange
    const before = await storeSnapshot(ctx);

    // Act
    const report = await sweepRetention('--wait');

    // Assert
    expect(reportCounts(report)).toEqual([
      { store: 'customer-profile', examined: 3, expired: 1, removed: 0, heldSkipped: 1, remaining: 0 },
      { store: 'orders', examined: 2, expired: 1, removed: 0, heldSkipped: 1, remaining: 0 },
      { store: 'contact-history', examined: 4, expired: 1, removed: 0, heldSkipped: 1, remaining: 0 },
      { store: 'call-recordings', examined: 2, expired: 1, removed: 0, heldSkipped: 1, remaining: 0 },
      { store: 'request-ledger', examined: 4, expired: 1, removed: 0, heldSkipped: 1, remaining: 0 },
    ]);
    expect(await storeSnapshot(ctx)).toEqual(before);
    expect(await requestsOf(fixture.customers.inactive.customerId)).toHaveLength(1);
  }, 120_000);

  it('starts a sweep without waiting and prints its run id and execution', async () => {
    // Act
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await main(['node', 'dsr', 'sweep-retention', '--dry-run', '--data-dir', dataDir]);
    const started = JSON.parse(String(log.mock.calls.at(-1)![0])) as { runId: string; executionArn: string };
    log.mockRestore();

    // Assert
    expect(started.runId).toMatch(/^manual-\d{8}T\d{6}-[0-9a-f]{8}$/);
    expect(started.executionArn).toBe(`${ctx.aws.stateMachineArns['dsr-retention']!.replace(':stateMachine:', ':execution:')}:${started.runId}`);
  });
});
