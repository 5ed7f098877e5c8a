import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/core/errors';
import { storeFromEnv } from '../../../lib/store/from-env';

describe('storeFromEnv', () => {
  it('defaults to the file store off Lambda', async () => {
    expect((await storeFromEnv({})).kind).toBe('file');
    expect((await storeFromEnv({ SLUICE_STORE: 'memory' })).kind).toBe('memory');
  });

  it.each([
    [{ SLUICE_STORE: 'redis' }, /SLUICE_STORE must be one of memory, file, aws, got "redis"/],
    [{ SLUICE_STORE: 'file', SLUICE_STORE_DIR: '' }, /SLUICE_STORE_DIR is set but empty/],
    [{ AWS_LAMBDA_FUNCTION_NAME: 'f', SLUICE_STORE: 'file' }, /would lose checkpoints with the instance/],
    [{ AWS_LAMBDA_FUNCTION_NAME: 'f' }, /SLUICE_TABLE/],
  ])('rejects %j with a clear message', async (env, message) => {
    const result = storeFromEnv(env);
    await expect(result).rejects.toBeInstanceOf(ConfigError);
    await expect(result).rejects.toThrow(message);
  });
});
