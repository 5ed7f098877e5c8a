import { ConfigError } from '../core/errors';
import { createFileStore } from './file';
import { createMemoryStore } from './memory';
import type { Store } from './store';

export const STORE_KINDS = ['memory', 'file', 'aws'] as const;

/**
 * Picks the store from SLUICE_STORE. Default: `aws` on Lambda (AWS_LAMBDA_FUNCTION_NAME is
 * set), `file` elsewhere. A file store on Lambda is refused: /tmp dies with the instance, and
 * exactly-once with it.
 */
export async function storeFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<Store> {
  const onLambda = env.AWS_LAMBDA_FUNCTION_NAME !== undefined;
  const kind = env.SLUICE_STORE ?? (onLambda ? 'aws' : 'file');
  if (!(STORE_KINDS as readonly string[]).includes(kind)) {
    throw new ConfigError(`SLUICE_STORE must be one of ${STORE_KINDS.join(', ')}, got "${kind}"`);
  }
  if (onLambda && kind !== 'aws') {
    throw new ConfigError(
      `SLUICE_STORE=${kind} on Lambda would lose checkpoints with the instance; use SLUICE_STORE=aws (the default there)`,
    );
  }
  if (kind === 'memory') return createMemoryStore();
  if (kind === 'file') {
    if (env.SLUICE_STORE_DIR === '') {
      throw new ConfigError(
        'SLUICE_STORE_DIR is set but empty: unset it (default .sluice/checkpoints) or name a directory',
      );
    }
    return createFileStore(env.SLUICE_STORE_DIR ?? '.sluice/checkpoints');
  }
  const { awsStoreFromEnv } = await import('./aws');
  return awsStoreFromEnv(env);
}
