import { stackEndpoints } from '../../infra/local/stack';
import { createAwsClients } from '../../lib/store/aws-clients';
import { ensureAwsResources } from '../../lib/store/aws-setup';

/** The walkthrough's table and bucket on DynamoDB Local and moto (runs share them: tasks are per topic). */
export const WALKTHROUGH_TABLE = 'sluice-walkthrough';
export const WALKTHROUGH_BUCKET = 'sluice-walkthrough';

/**
 * Points the aws store at the local stack for this process: endpoints, a region and dummy
 * credentials, each only where the environment has none. The AWS SDK reads these variables from
 * `process.env` itself, hence the assignment of the AWS_* ones (this is the CLI's edge, nothing
 * else reads them; Sluice's own settings go into the typed configuration, never `process.env`).
 * Then creates the table and bucket if missing. Returns the variables for the configuration and
 * for printing.
 */
export async function useLocalAwsStore(env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const stack = stackEndpoints(env);
  const defaults: Record<string, string> = {
    SLUICE_STORE: 'aws',
    SLUICE_TABLE: WALKTHROUGH_TABLE,
    SLUICE_BUCKET: WALKTHROUGH_BUCKET,
    AWS_ENDPOINT_URL_DYNAMODB: stack.AWS_ENDPOINT_URL_DYNAMODB,
    AWS_ENDPOINT_URL_S3: stack.AWS_ENDPOINT_URL_S3,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
  const applied: Record<string, string> = {};
  for (const [name, value] of Object.entries(defaults)) {
    const current = name === 'SLUICE_STORE' ? undefined : env[name];
    applied[name] = current ?? value;
    if (!name.startsWith('AWS_')) continue;
    env[name] = applied[name];
    process.env[name] = applied[name];
  }
  const clients = createAwsClients(env);
  try {
    await ensureAwsResources({ table: applied.SLUICE_TABLE!, bucket: applied.SLUICE_BUCKET!, ...clients });
  } finally {
    clients.dynamodb.destroy();
    clients.s3.destroy();
  }
  return applied;
}
