import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStore, resourceName } from '../../functions/core/data-map';
import { buildVolumeInput, type VolumeSummary } from '../../functions/core/export/build-volume';
import type { ExportResult } from '../../functions/core/export/finalize';
import { archiveKey, volumeSummaryKey } from '../../functions/core/export/layout';
import { writeJson } from '../../functions/core/export/staging-io';
import { downloadUrl } from '../../functions/core/requests';
import { documentClient, s3Client } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { startLocalAws, type LocalAws } from '../../local/runtime';
import { seedSyntheticCustomer } from '../../local/seed/synthetic';
import { createExportRecord, exportVolumes, runExport } from './export-helpers';

/**
 * A 2,000-volume export on the real export ASL: the real collectors and planner (2,000 small photos,
 * `DSR_EXPORT_VOLUME_BYTES` of 1 byte, so every photo gets a volume of its own after volume 1), a stub
 * `build-volume` that stages the summary the real one stages (building 2,000 ZIPs would take minutes),
 * and the real `finalize-export`. Every state's input and output in the history stays under 256 KB.
 */

const EXPORT_ASL = resolve(import.meta.dirname, '../../statemachines/export.asl.json');
const PHOTOS = 2000;
const PAYLOAD_LIMIT = 256 * 1024;
/** AWS keeps at most this many events in a Standard execution's history. */
const HISTORY_LIMIT = 25_000;

/** Stands in for `build-volume`: stages a summary as the real builder does and returns what its handler returns. */
async function stubBuildVolume(event: unknown): Promise<{ volume: number }> {
  const { requestId, volume } = buildVolumeInput.parse(event);
  const summary: VolumeSummary = { volume, key: archiveKey(requestId, volume), bytes: 1000 + volume, sha256: '0'.repeat(64), entries: 2 };
  await writeJson(s3Client(), resourceName(getStore('exports')), volumeSummaryKey(requestId, volume), summary);
  return { volume };
}

let aws: LocalAws;
let dataDir: string;
let sfn: SFNClient;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-export-scale-'));
  aws = await startLocalAws({
    dataDir,
    stepFunctions: { retryOverrideMs: 1 },
    stateMachineFiles: [EXPORT_ASL],
    extraFunctions: { 'dsr-build-volume': { handler: stubBuildVolume as never, timeoutSeconds: 900 } },
    log: () => undefined,
  });
  sfn = new SFNClient({ region: aws.region, credentials: aws.credentials });
  await seedSyntheticCustomer({ s3: s3Client(), doc: documentClient() }, { customerId: 'scale-0001', brand: 'albelli', photos: PHOTOS, photoBytes: 0, orders: 1, contacts: 1 });
  process.env.DSR_EXPORT_VOLUME_BYTES = '1';
}, 120_000);

afterAll(async () => {
  delete process.env.DSR_EXPORT_VOLUME_BYTES;
  await aws?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The whole execution history, every page. */
async function fullHistory(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** Every input, output and task parameters field of the history, with the event that carries it. */
function payloads(events: HistoryEvent[]): { event: string; field: string; bytes: number }[] {
  return events.flatMap((event) =>
    Object.entries(event)
      .filter(([key, details]) => key.endsWith('EventDetails') && typeof details === 'object' && details !== null)
      .flatMap(([, details]) =>
        Object.entries(details as Record<string, unknown>)
          .filter(([field, value]) => ['input', 'output', 'parameters'].includes(field) && typeof value === 'string')
          .map(([field, value]) => ({ event: `${event.type} #${event.id}`, field, bytes: Buffer.byteLength(value as string) })),
      ),
  );
}

describe('a 2,000-volume export (statemachines/export.asl.json)', () => {
  it('completes with every state input and output under 256 KB and a small ledger result', async () => {
    const requestId = await createExportRecord('scale-0001', 'albelli');

    const execution = await runExport(sfn, { requestId, brand: 'albelli' });

    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
    const events = await fullHistory(execution.executionArn!);
    const fields = payloads(events);
    const largest = fields.reduce((max, field) => (field.bytes > max.bytes ? field : max));
    expect(fields.filter((field) => field.bytes >= PAYLOAD_LIMIT)).toEqual([]);
    expect(largest.bytes).toBeLessThan(32 * 1024);
    expect(events.filter((event) => event.mapIterationStartedEventDetails?.name === 'Build Volumes')).toHaveLength(PHOTOS);
    expect(events.filter((event) => event.stateEnteredEventDetails?.name === 'Build First Volume')).toHaveLength(1);
    expect(events.length).toBeLessThan(HISTORY_LIMIT);

    const record = await ledgerFromEnv().get(requestId);
    const result = record.result as unknown as ExportResult;
    expect(result.volumeCount).toBe(PHOTOS + 1);
    expect(Buffer.byteLength(JSON.stringify(record))).toBeLessThan(8 * 1024);
    const volumes = await exportVolumes(result);
    expect(volumes.map((volume) => volume.volume)).toEqual(Array.from({ length: PHOTOS + 1 }, (_, index) => index + 1));
    expect(result.totalBytes).toBe(volumes.reduce((sum, volume) => sum + volume.bytes, 0));
    const deps = { ledger: ledgerFromEnv(), s3: s3Client(), exportsBucket: resourceName(getStore('exports')), downloadUrlTtlSeconds: 60 };
    expect(new URL(await downloadUrl(deps, requestId, PHOTOS + 1)).pathname).toBe(`/dsr-exports/${archiveKey(requestId, PHOTOS + 1)}`);
  }, 120_000);
});
