import { existsSync } from 'node:fs';
import { LOCAL_NAMESPACE, localNamespaceOf, validateNamespace } from '../../lib/core/namespace';
import { loadServerlessConfig } from '../trigger/serverless-config';

/**
 * The deployment namespace a command acts in: `--namespace`, else SLUICE_NAMESPACE, else the
 * one `sluice dev` uses for serverless.yml (`<service>-<stage>-local`, never a deployed stage's),
 * else `local`. To inspect a deployment, pass its `<service>-<stage>`.
 */
export async function commandNamespace(input: {
  explicit: string | undefined;
  env: NodeJS.ProcessEnv;
  configPath: string;
}): Promise<string> {
  if (input.explicit !== undefined) return validateNamespace(input.explicit, '--namespace');
  if (input.env.SLUICE_NAMESPACE) return validateNamespace(input.env.SLUICE_NAMESPACE);
  if (!existsSync(input.configPath)) return LOCAL_NAMESPACE;
  const config = await loadServerlessConfig(input.configPath, { env: input.env });
  return localNamespaceOf(config.service, config.stage);
}
