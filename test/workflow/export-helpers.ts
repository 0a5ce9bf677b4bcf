import { randomUUID } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import type { Brand } from '../../functions/core/brands';
import { getStore, resourceName } from '../../functions/core/data-map';
import type { VolumeSummary } from '../../functions/core/export/build-volume';
import type { ExportResult, ExportVolumes } from '../../functions/core/export/finalize';
import { customerKey } from '../../functions/core/keyed-hash';
import type { RequestRecord } from '../../functions/core/ledger';
import { s3Client } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';

/** Test helpers for export workflows on the embedded local AWS (clients from the environment it sets). */

/** Writes a pending export request to the ledger, as the request API does (`fields` such as a requested `locale` added). */
export async function createExportRecord(customerId: string, brand: Brand, createdAt = '2025-06-01T09:00:00.000Z', fields: Partial<RequestRecord> = {}): Promise<string> {
  const requestId = randomUUID();
  const record: RequestRecord = {
    requestId,
    type: 'export',
    customerId,
    customerKey: customerKey(customerId),
    brand,
    status: 'pending',
    createdAt,
    updatedAt: createdAt,
    dueAt: '2025-07-01T09:00:00.000Z',
    bodyHash: 'test',
    stores: {},
    version: 1,
    ...fields,
  };
  await ledgerFromEnv().create(record);
  return requestId;
}

/** Polls an execution until it leaves RUNNING. */
export async function settled(sfn: SFNClient, executionArn: string): Promise<DescribeExecutionCommandOutput> {
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts the export state machine for a request (execution name = `name`) and waits for the outcome. */
export async function runExport(
  sfn: SFNClient,
  input: { requestId: string; brand: Brand },
  name: string = input.requestId,
): Promise<DescribeExecutionCommandOutput> {
  const started = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: process.env.DSR_EXPORT_STATE_MACHINE_ARN, name, input: JSON.stringify({ ...input, type: 'export' }) }),
  );
  return settled(sfn, started.executionArn!);
}

/** Every volume of a completed export, from the volume list `finalize-export` wrote beside the volumes. */
export async function exportVolumes(result: unknown): Promise<VolumeSummary[]> {
  const object = await s3Client().send(new GetObjectCommand({ Bucket: resourceName(getStore('exports')), Key: (result as ExportResult).resultKey }));
  return (JSON.parse(await object.Body!.transformToString()) as ExportVolumes).volumes;
}
