import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../functions/core/errors';
import { loadSecrets } from '../../functions/shared/secrets';

describe('loadSecrets', () => {
  it('fills each secret variable from the secret its ARN variable names', async () => {
    const env: NodeJS.ProcessEnv = { DSR_HASH_KEY_SECRET_ARN: 'arn:hash', DSR_CALLBACK_SECRET_ARN: 'arn:callback' };
    const values: Record<string, string> = { 'arn:hash': 'h'.repeat(64), 'arn:callback': 'c'.repeat(64) };

    await loadSecrets(env, async (id) => values[id]);

    expect(env.DSR_HASH_KEY).toBe('h'.repeat(64));
    expect(env.DSR_CALLBACK_SECRET).toBe('c'.repeat(64));
  });

  it('fetches nothing when the values are already set (local runtime, warm start)', async () => {
    const env: NodeJS.ProcessEnv = { DSR_HASH_KEY: 'local', DSR_HASH_KEY_SECRET_ARN: 'arn:hash', DSR_CALLBACK_SECRET: 'local-cb' };
    const asked: string[] = [];

    await loadSecrets(env, async (id) => {
      asked.push(id);
      return 'fetched';
    });

    expect(asked).toEqual([]);
    expect(env.DSR_HASH_KEY).toBe('local');
  });

  it('refuses a secret without a string value, naming the variable', async () => {
    const env: NodeJS.ProcessEnv = { DSR_HASH_KEY_SECRET_ARN: 'arn:hash' };

    const attempt = loadSecrets(env, async () => undefined);

    await expect(attempt).rejects.toThrow(ConfigurationError);
    await expect(loadSecrets(env, async () => '')).rejects.toThrow(/DSR_HASH_KEY/);
    expect(env.DSR_HASH_KEY).toBeUndefined();
  });
});
