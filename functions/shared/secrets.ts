import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { ConfigurationError } from '../core/errors';
import { secretsManagerClient } from './clients';

/**
 * Secrets reach the code as environment variables (`DSR_HASH_KEY`, `DSR_CALLBACK_SECRET`). In AWS the
 * function environment holds only the Secrets Manager secret's ARN (`<NAME>_SECRET_ARN`), and the value is
 * fetched once per cold start, so it never appears in the function configuration. Where the variable
 * itself is set (the local runtime, tests), nothing is fetched.
 */

/** The secret variables and the variables naming the Secrets Manager secret that holds each. */
export const SECRET_VARIABLES = [
  { env: 'DSR_HASH_KEY', secretArnEnv: 'DSR_HASH_KEY_SECRET_ARN' },
  { env: 'DSR_CALLBACK_SECRET', secretArnEnv: 'DSR_CALLBACK_SECRET_ARN' },
] as const;

/** Reads a secret's string value by ARN or name. */
export type SecretReader = (secretId: string) => Promise<unknown>;

/** Reads a secret from Secrets Manager through Powertools Parameters, on the shared (traced) client. */
const readFromSecretsManager: SecretReader = (secretId) => new SecretsProvider({ awsSdkV3Client: secretsManagerClient() }).get(secretId);

/** Fills every unset secret variable whose secret ARN is configured; throws `ConfigurationError` for an empty secret. */
export async function loadSecrets(env: NodeJS.ProcessEnv = process.env, read: SecretReader = readFromSecretsManager): Promise<void> {
  for (const variable of SECRET_VARIABLES) {
    const secretId = env[variable.secretArnEnv];
    if (env[variable.env] || !secretId) continue;
    const value = await read(secretId);
    if (typeof value !== 'string' || value.length === 0) {
      throw new ConfigurationError(`Secret ${variable.secretArnEnv} holds no string value for ${variable.env}`);
    }
    env[variable.env] = value;
  }
}
