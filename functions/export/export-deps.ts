import { exportConfig } from '../core/export/config';
import { documentClient, s3Client } from '../shared/clients';

/** The export tasks' dependencies from the environment: shared clients and export settings. */
export function exportDeps(env: NodeJS.ProcessEnv = process.env) {
  return { s3: s3Client(), doc: documentClient(), config: exportConfig(env), env };
}
