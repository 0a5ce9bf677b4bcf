import { exportConfig } from '../core/export/config';
import { guardWrites } from '../core/export/write-guard';
import { documentClient, s3Client } from '../shared/clients';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/**
 * The export tasks' dependencies from the environment: shared clients and export settings. With the
 * request id of a task that writes, its S3 writes are refused once the request is no longer in
 * progress (a cancelled export: see `guardWrites`).
 */
export function exportDeps(env: NodeJS.ProcessEnv = process.env, writingFor?: string) {
  const s3 = writingFor === undefined ? s3Client() : guardWrites(s3Client(), writingFor, async () => (await ledgerFromEnv(env).get(writingFor)).status === 'in_progress');
  return { s3, doc: documentClient(), config: exportConfig(env), env };
}
