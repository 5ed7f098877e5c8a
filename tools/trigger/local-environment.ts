import type { ServerlessConfig } from './serverless-config';

/**
 * Variables of `provider.environment` / `functions.*.environment` that describe the deployment
 * (MSK with IAM auth, the DynamoDB table of the stack) and that a local run takes from the CLI
 * and the shell instead: the local broker, the local store.
 */
export const DEPLOYMENT_VARIABLES = [
  'SLUICE_KAFKA_BROKERS',
  'SLUICE_KAFKA_SASL_MECHANISM',
  'SLUICE_KAFKA_SECRET_ARN',
  'SLUICE_KAFKA_TLS',
  'SLUICE_STORE',
  'SLUICE_STORE_DIR',
  'SLUICE_TABLE',
  'SLUICE_BUCKET',
] as const;

/**
 * The config with deployment variables removed from each function's environment, so the local
 * settings (passed as the emulator's env) apply; returns what was replaced, to say so.
 */
export function forLocalRun(config: ServerlessConfig): {
  config: ServerlessConfig;
  replaced: string[];
  warnings: string[];
} {
  const replaced = new Set<string>();
  const functions = config.functions.map((fn) => {
    const environment = { ...fn.environment };
    for (const name of DEPLOYMENT_VARIABLES) {
      if (name in environment) {
        replaced.add(name);
        delete environment[name];
      }
    }
    return { ...fn, environment };
  });
  const deployment = new RegExp(`\\.(${DEPLOYMENT_VARIABLES.join('|')}) `);
  const warnings = [...new Set(config.warnings)].filter((w) => !deployment.test(w));
  return { config: { ...config, functions }, replaced: [...replaced], warnings };
}
