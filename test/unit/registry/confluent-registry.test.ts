import { describe, expect, it } from 'vitest';
import { ConfigError, SchemaRegistryUnavailableError } from '../../../lib/core/errors';
import { confluentRegistry } from '../../../lib/registry/confluent-registry';
import { SchemaFailure } from '../../../lib/registry/schema-failure';

/**
 * The client at its HTTP boundary, against the documented REST API
 * (https://docs.confluent.io/platform/current/schema-registry/develop/api.html). The integration
 * test runs it against a real registry when the stack has one.
 */
interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

function fakeHttp(routes: Record<string, (call: Call) => { status: number; body?: unknown } | Error>) {
  const calls: Call[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    const call: Call = {
      method: init.method ?? 'GET',
      url,
      headers: init.headers as Record<string, string>,
      ...(init.body !== undefined && { body: JSON.parse(String(init.body)) }),
    };
    calls.push(call);
    const path = new URL(url).pathname.replace(/^\/base/, '');
    const route = routes[`${call.method} ${path}`];
    const answer = route
      ? route(call)
      : { status: 404, body: { error_code: 404, message: 'HTTP 404 Not Found' } };
    if (answer instanceof Error) throw answer;
    return new Response(answer.body === undefined ? '' : JSON.stringify(answer.body), {
      status: answer.status,
    });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

describe('Confluent-compatible registry client', () => {
  it('reads a schema by id (GET /schemas/ids/{id}); schemaType absent means Avro', async () => {
    const http = fakeHttp({ 'GET /schemas/ids/7': () => ({ status: 200, body: { schema: '"string"' } }) });
    const registry = confluentRegistry({ url: 'http://registry.test/base/', fetch: http.fetch });
    expect(await registry.fetchSchema('7')).toEqual({ format: 'AVRO', definition: '"string"' });
    expect(http.calls[0]).toMatchObject({ method: 'GET', url: 'http://registry.test/base/schemas/ids/7' });
    expect(http.calls[0]!.headers.accept).toBe('application/vnd.schemaregistry.v1+json');
  });

  it('follows Protobuf references to the files the schema imports', async () => {
    const http = fakeHttp({
      'GET /schemas/ids/3': () => ({
        status: 200,
        body: {
          schemaType: 'PROTOBUF',
          schema: 'import "common.proto"; message A { C c = 1; }',
          references: [{ name: 'common.proto', subject: 'common', version: 2 }],
        },
      }),
      'GET /subjects/common/versions/2': () => ({
        status: 200,
        body: { schemaType: 'PROTOBUF', schema: 'message C {}' },
      }),
    });
    const schema = await confluentRegistry({ url: 'http://r.test', fetch: http.fetch }).fetchSchema('3');
    expect(schema).toMatchObject({ format: 'PROTOBUF', imports: { 'common.proto': 'message C {}' } });
  });

  it('an unknown id (404, error 40403) is SCHEMA_NOT_FOUND', async () => {
    const http = fakeHttp({
      'GET /schemas/ids/9': () => ({
        status: 404,
        body: { error_code: 40403, message: 'Schema 9 not found' },
      }),
    });
    const failure = await confluentRegistry({ url: 'http://r.test', fetch: http.fetch })
      .fetchSchema('9')
      .catch((e) => e);
    expect(failure).toBeInstanceOf(SchemaFailure);
    expect(failure).toMatchObject({ reason: 'SCHEMA_NOT_FOUND', schemaId: '9' });
    expect(failure.message).toContain('Schema 9 not found');
  });

  it.each([
    ['a network error', () => new TypeError('fetch failed')],
    ['HTTP 500', () => ({ status: 500, body: { error_code: 50001, message: 'store error' } })],
    ['HTTP 429', () => ({ status: 429 })],
    ['HTTP 401 (credentials refused)', () => ({ status: 401, body: { message: 'Unauthorized' } })],
  ])('%s is a retriable SchemaRegistryUnavailableError', async (_, answer) => {
    const http = fakeHttp({ 'GET /schemas/ids/1': answer });
    const error = await confluentRegistry({ url: 'http://r.test', fetch: http.fetch })
      .fetchSchema('1')
      .catch((e) => e);
    expect(error).toBeInstanceOf(SchemaRegistryUnavailableError);
    expect(error.retriable).toBe(true);
  });

  it('sends basic auth, read once from the Secrets Manager secret, never showing it in errors', async () => {
    const http = fakeHttp({ 'GET /schemas/ids/1': () => ({ status: 200, body: { schema: '"int"' } }) });
    let reads = 0;
    const registry = confluentRegistry({
      url: 'http://r.test',
      auth: { secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:sr' },
      fetch: http.fetch,
      getSecretString: async () => {
        reads += 1;
        return JSON.stringify({ username: 'KEY', password: 'SECRET' });
      },
    });
    await registry.fetchSchema('1');
    await registry.fetchSchema('1');
    expect(reads).toBe(1);
    expect(http.calls[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('KEY:SECRET').toString('base64')}`,
    );
    const bad = confluentRegistry({
      url: 'http://r.test',
      auth: { secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:sr' },
      fetch: http.fetch,
      getSecretString: async () => 'password=hunter2',
    });
    const error = await bad.fetchSchema('1').catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).not.toContain('hunter2');
  });

  it('looks an output schema up by definition (POST /subjects/{subject}) and registers it only when allowed', async () => {
    let registered = false;
    const http = fakeHttp({
      'POST /subjects/orders-value': () =>
        registered
          ? { status: 200, body: { id: 21, version: 1, subject: 'orders-value' } }
          : { status: 404, body: { error_code: 40401, message: 'Subject not found' } },
      'POST /subjects/orders-value/versions': (call) => {
        registered = true;
        expect(call.body).toEqual({ schema: 'message M {}', schemaType: 'PROTOBUF' });
        return { status: 200, body: { id: 21 } };
      },
    });
    const registry = confluentRegistry({ url: 'http://r.test', fetch: http.fetch });
    const schema = { format: 'PROTOBUF' as const, definition: 'message M {}' };
    await expect(registry.resolveId('orders-value', schema, false)).rejects.toThrow(
      'not registered under subject "orders-value"',
    );
    expect(await registry.resolveId('orders-value', schema, true)).toBe('21');
    expect(await registry.resolveId('orders-value', schema, false)).toBe('21');
    expect(http.calls.map((c) => `${c.method} ${new URL(c.url).pathname}`)).toEqual([
      'POST /subjects/orders-value',
      'POST /subjects/orders-value',
      'POST /subjects/orders-value/versions',
      'POST /subjects/orders-value',
    ]);
  });

  it('an incompatible schema (409) is a configuration error saying so', async () => {
    const http = fakeHttp({
      'POST /subjects/s': () => ({ status: 404, body: { error_code: 40403, message: 'Schema not found' } }),
      'POST /subjects/s/versions': () => ({
        status: 409,
        body: { error_code: 409, message: 'incompatible' },
      }),
    });
    const registry = confluentRegistry({ url: 'http://r.test', fetch: http.fetch });
    await expect(registry.resolveId('s', { format: 'AVRO', definition: '"int"' }, true)).rejects.toThrow(
      /HTTP 409: incompatible/,
    );
  });

  it('refuses a url that is not one', () => {
    expect(() => confluentRegistry({ url: 'registry:8081' })).not.toThrow();
    expect(() => confluentRegistry({ url: 'not a url' })).toThrow(ConfigError);
  });
});
