import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';

/**
 * JSON Schema payloads are UTF-8 JSON text (both registries frame them like any other format);
 * the schema is compiled once by `ajv` and every decoded or encoded value is validated against
 * it, as Confluent's and Glue's JSON Schema serdes do. The draft follows the schema's `$schema`
 * (draft-07 when absent, the registries' default).
 */
export interface JsonSchemaCodec {
  decode(payload: Buffer): unknown;
  encode(value: unknown): Buffer;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function jsonSchemaCodec(definition: string): JsonSchemaCodec {
  const schema = JSON.parse(definition) as Record<string, unknown> | boolean;
  const validate = compile(schema);
  const check = (value: unknown) => {
    if (validate(value)) return;
    const problems = (validate.errors ?? [])
      .slice(0, 3)
      .map((e) => `${e.instancePath || '(the value)'} ${e.message ?? 'is invalid'}`)
      .join('; ');
    throw new TypeError(`the value does not match the JSON Schema: ${problems}`);
  };
  return {
    decode(payload) {
      const value = JSON.parse(utf8.decode(payload));
      check(value);
      return value;
    },
    encode(value) {
      check(value);
      return Buffer.from(JSON.stringify(value), 'utf8');
    },
  };
}

function compile(schema: Record<string, unknown> | boolean): ValidateFunction {
  const draft = typeof schema === 'object' ? String(schema.$schema ?? '') : '';
  const options = { strict: false, allErrors: false, validateFormats: false };
  const ajv = draft.includes('2020-12')
    ? new Ajv2020(options)
    : draft.includes('2019-09')
      ? new Ajv2019(options)
      : new Ajv(options);
  // Ajv's default class knows draft-07 only; older drafts' keywords it reads the same way.
  if (typeof schema === 'object' && !/2019-09|2020-12|draft-07/.test(draft)) {
    const { $schema: _ignored, ...rest } = schema;
    return ajv.compile(rest);
  }
  return ajv.compile(schema);
}
