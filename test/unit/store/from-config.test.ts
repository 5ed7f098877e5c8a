import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../../lib/core/config';
import { ConfigError } from '../../../lib/core/errors';
import { storeFromConfig } from '../../../lib/store/from-config';

const storeOf = (env: Record<string, string>) => {
  const config = configFromEnv(env);
  return storeFromConfig(config.store, config.namespace);
};

describe('storeFromConfig', () => {
  it('defaults to the file store off Lambda', async () => {
    expect((await storeOf({})).kind).toBe('file');
    expect((await storeOf({ SLUICE_STORE: 'memory' })).kind).toBe('memory');
  });

  it('builds the aws store from SLUICE_TABLE and SLUICE_BUCKET', async () => {
    const store = await storeOf({ SLUICE_STORE: 'aws', SLUICE_TABLE: 't', SLUICE_BUCKET: 'b' });
    expect(store.kind).toBe('aws');
    await store.close();
  });

  it.each([
    [{ SLUICE_STORE: 'redis' }, /SLUICE_STORE must be one of memory, file, aws, got "redis"/],
    [{ SLUICE_STORE: 'file', SLUICE_STORE_DIR: '' }, /SLUICE_STORE_DIR is set but empty/],
    [{ AWS_LAMBDA_FUNCTION_NAME: 'f', SLUICE_STORE: 'file' }, /would lose checkpoints with the instance/],
    [{ AWS_LAMBDA_FUNCTION_NAME: 'f' }, /SLUICE_TABLE/],
  ])('rejects %j with a clear message', (env, message) => {
    expect(() => configFromEnv(env)).toThrow(ConfigError);
    expect(() => configFromEnv(env)).toThrow(message);
  });
});
