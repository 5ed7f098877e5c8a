import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import type { SASLOptions } from 'kafkajs';
import { ConfigError, messageOf } from '../core/errors';
import type { KafkaSaslConfig } from './config';

/** The I/O SASL resolution needs; tests pass fakes. */
export interface KafkaAuthDeps {
  /** The SecretString of a Secrets Manager secret. */
  getSecretString(secretArn: string): Promise<string>;
  /** An MSK IAM auth token (SigV4-signed URL, base64url) and its expiry in epoch ms. */
  generateIamToken(region: string): Promise<{ token: string; expiryTime: number }>;
}

/** Refresh an IAM token this long before it expires (tokens live 15 min; kafkajs re-authenticates). */
const IAM_TOKEN_REFRESH_MARGIN_MS = 60_000;

export const defaultKafkaAuthDeps: KafkaAuthDeps = {
  async getSecretString(secretArn) {
    // The secret's own region (ARN field 4), which may differ from the function's.
    const region = secretArn.split(':')[3];
    const client = new SecretsManagerClient(region ? { region } : {});
    try {
      const result = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
      if (result.SecretString === undefined)
        throw new Error('the secret has no SecretString (binary secret)');
      return result.SecretString;
    } finally {
      client.destroy();
    }
  },
  generateIamToken: (region) => generateAuthToken({ region }),
};

/**
 * Turns Sluice's SASL setting into kafkajs options: SCRAM credentials (read from Secrets Manager
 * when given a secret ARN), or an OAUTHBEARER provider that signs MSK IAM tokens. Error messages
 * never contain credentials.
 */
export async function resolveSasl(
  sasl: KafkaSaslConfig,
  deps: KafkaAuthDeps = defaultKafkaAuthDeps,
): Promise<SASLOptions> {
  if (sasl.mechanism === 'aws-iam') return iamOAuthBearer(sasl.region, deps);
  if ('secretArn' in sasl) {
    const { username, password } = await readScramSecret(sasl.secretArn, deps);
    return { mechanism: sasl.mechanism, username, password };
  }
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password };
}

async function readScramSecret(
  secretArn: string,
  deps: KafkaAuthDeps,
): Promise<{ username: string; password: string }> {
  let text: string;
  try {
    text = await deps.getSecretString(secretArn);
  } catch (error) {
    throw new ConfigError(
      `cannot read the Kafka SASL/SCRAM secret ${secretArn} (SLUICE_KAFKA_SECRET_ARN): ${messageOf(error)}. ` +
        "Check the ARN and that the function's role may call secretsmanager:GetSecretValue (and kms:Decrypt for a customer key)",
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Never echo the text: it is a credential.
    throw new ConfigError(
      `the Kafka SASL/SCRAM secret ${secretArn} is not JSON: store {"username":"…","password":"…"}`,
    );
  }
  const { username, password } = (parsed ?? {}) as { username?: unknown; password?: unknown };
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw new ConfigError(
      `the Kafka SASL/SCRAM secret ${secretArn} must hold {"username":"…","password":"…"} (non-empty strings)`,
    );
  }
  return { username, password };
}

/** kafkajs asks the provider at each (re)authentication; a token is reused until near its expiry. */
function iamOAuthBearer(region: string, deps: KafkaAuthDeps): SASLOptions {
  let cached: { token: string; expiryTime: number } | undefined;
  return {
    mechanism: 'oauthbearer',
    oauthBearerProvider: async () => {
      if (!cached || cached.expiryTime - IAM_TOKEN_REFRESH_MARGIN_MS <= Date.now()) {
        cached = await deps.generateIamToken(region);
      }
      return { value: cached.token };
    },
  };
}
