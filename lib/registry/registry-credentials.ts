import { ConfigError, messageOf } from '../core/errors';

/**
 * Basic-auth credentials of a Confluent-compatible registry: given inline, or read from a
 * Secrets Manager secret holding `{"username": "…", "password": "…"}`, the secret Lambda's own
 * integration reads for `BASIC_AUTH` (a Confluent Cloud API key is the username, its secret the
 * password). Error messages never contain the secret's text.
 */
export type RegistryAuth = { username: string; password: string } | { secretArn: string };

export type GetSecretString = (secretArn: string) => Promise<string>;

export const getSecretString: GetSecretString = async (secretArn) => {
  // Loaded on first use: a function without a secured registry never pays for the client.
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const region = secretArn.split(':')[3];
  const client = new SecretsManagerClient(region ? { region } : {});
  try {
    const result = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (result.SecretString === undefined) throw new Error('the secret has no SecretString (binary secret)');
    return result.SecretString;
  } finally {
    client.destroy();
  }
};

export async function resolveRegistryAuth(
  auth: RegistryAuth,
  read: GetSecretString = getSecretString,
): Promise<{ username: string; password: string }> {
  if (!('secretArn' in auth)) return auth;
  let text: string;
  try {
    text = await read(auth.secretArn);
  } catch (error) {
    throw new ConfigError(
      `cannot read the schema registry secret ${auth.secretArn}: ${messageOf(error)}. ` +
        "Check the ARN and that the function's role may call secretsmanager:GetSecretValue",
    );
  }
  let parsed: { username?: unknown; password?: unknown } | null = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // never echo the text: it is a credential
  }
  const username = parsed?.username;
  const password = parsed?.password;
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw new ConfigError(
      `the schema registry secret ${auth.secretArn} must hold {"username":"…","password":"…"} (non-empty strings)`,
    );
  }
  return { username, password };
}
