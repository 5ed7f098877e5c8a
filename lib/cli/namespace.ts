import { existsSync } from 'node:fs';
import { localNamespaceOf, validateNamespace } from '../namespace';
import { loadServerlessConfig } from '../trigger/serverless-config';
import type { CommandEnv } from './context';

/**
 * The deployment namespace a command acts in: `--namespace`, else SLUICE_NAMESPACE, else the
 * one `sluice dev` uses for serverless.yml (`<service>-<stage>-local`, never a deployed stage's),
 * else `local`. To inspect a deployment, pass its `<service>-<stage>`.
 */
export async function commandNamespace(env: CommandEnv, explicit?: string): Promise<string> {
  if (explicit !== undefined) return validateNamespace(explicit, '--namespace');
  if (env.env.SLUICE_NAMESPACE) return validateNamespace(env.env.SLUICE_NAMESPACE);
  if (!existsSync(env.configPath)) return 'local';
  const config = await loadServerlessConfig(env.configPath, { env: env.env });
  return localNamespaceOf(config.service, config.stage);
}

export const NAMESPACE_OPTION_HELP =
  'deployment namespace of the Kafka identities (default: SLUICE_NAMESPACE, else <service>-<stage>-local as `sluice dev` uses; a deployment: <service>-<stage>)';
