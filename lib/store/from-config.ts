import type { StoreConfig } from '../core/config';
import { createFileStore } from './file';
import { createMemoryStore } from './memory';
import type { Store } from './store';

export { STORE_KINDS } from '../core/config';

/**
 * The store a configuration names (lib/core/config.ts checked it: SLUICE_STORE and its settings,
 * no file store on Lambda). The aws store is loaded only when used, so a function on the memory
 * or file store never loads the AWS SDK.
 *
 * @example
 * const store = await storeFromConfig(config.store, config.namespace);
 */
export async function storeFromConfig(store: StoreConfig, namespace: string): Promise<Store> {
  if (store.kind === 'memory') return createMemoryStore();
  if (store.kind === 'file') return createFileStore(store.dir);
  const { createAwsStore } = await import('./aws');
  return createAwsStore({ namespace, table: store.table, bucket: store.bucket });
}
