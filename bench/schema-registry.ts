/**
 * Schema-registry serdes (issue 16):
 * 1. decode throughput per format — Avro, Protobuf, JSON Schema, framed for Confluent or AWS Glue
 *    (zlib) — against `serde.json()` on the same records, side by side; plus Avro with its schema
 *    parsed for every record (what the issue says Powertools does) to show what the per-process
 *    schema cache saves. Schemas are looked up once before measuring (the lookup is I/O, not
 *    decoding), so the registry here is an in-memory stand-in at the SchemaRegistry interface.
 * 2. cold-start cost: `await import()` of esbuild bundles in a fresh node each time — a handler
 *    with string serdes, the same with an Avro serde and each registry client, and what first use
 *    loads on top (avsc, protobufjs, ajv, @aws-sdk/client-glue with a client built).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual, promisify } from 'node:util';
import avro from 'avsc';
import { build } from 'esbuild';
import type { Serde } from '../lib/core/serde';
import { serde } from '../lib/core/serde';
import type { RegistrySchema, SchemaRegistry } from '../lib/registry/registry';
import { SchemaFailure } from '../lib/registry/schema-failure';
import { registrySerdes } from '../lib/registry/serdes';
import { runBench } from './lib/bench';
import { fmtBytes, fmtInt, fmtMs, fmtNum, fmtRatio } from './lib/format';
import { type Arm, interleave } from './lib/interleave';
import { REPO_ROOT, workDir } from './lib/paths';
import { median, ratioOf } from './lib/stats';

const exec = promisify(execFile);

const ORDER_AVRO = {
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'customer', type: 'string' },
    { name: 'cents', type: 'long' },
    { name: 'quantity', type: 'int' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'express', type: 'boolean' },
  ],
};
const ORDER_PROTO = `syntax = "proto3";
package shop;
message Order { string id = 1; string customer = 2; int64 cents = 3; int32 quantity = 4; repeated string tags = 5; bool express = 6; }`;
const ORDER_JSON_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    id: { type: 'string' },
    customer: { type: 'string' },
    cents: { type: 'integer' },
    quantity: { type: 'integer' },
    tags: { type: 'array', items: { type: 'string' } },
    express: { type: 'boolean' },
  },
  required: ['id', 'customer', 'cents', 'quantity', 'tags', 'express'],
};

function order(i: number) {
  return {
    id: `order-${i}`,
    customer: `customer-${(i * 7919) % 1000}`,
    cents: 1000 + ((i * 31) % 100_000),
    quantity: 1 + (i % 9),
    tags: ['web', i % 2 ? 'gift' : 'plain'],
    express: i % 3 === 0,
  };
}

/** In-memory registry at the interface (bench only: lookups happen before measuring). */
function memoryRegistry(kind: 'confluent' | 'glue'): SchemaRegistry {
  const schemas: RegistrySchema[] = [];
  const idOf = (n: number) =>
    kind === 'confluent' ? String(n + 1) : `00000000-0000-4000-8000-${String(n + 1).padStart(12, '0')}`;
  return {
    kind,
    description: 'bench registry',
    async fetchSchema(id) {
      const index = schemas.findIndex((_, i) => idOf(i) === id);
      if (index < 0) throw new SchemaFailure('SCHEMA_NOT_FOUND', id, 'unknown');
      return schemas[index]!;
    },
    async resolveId(_subject, schema) {
      const found = schemas.findIndex((s) => s.definition === schema.definition);
      if (found >= 0) return idOf(found);
      schemas.push(schema);
      return idOf(schemas.length - 1);
    },
  };
}

async function encodedWith(s: Serde<unknown>, values: unknown[]): Promise<Buffer[]> {
  const at = { topic: 'orders', part: 'value' } as const;
  await s.prepareSerialize?.(at);
  return values.map((v) => s.serialize(v, at)!);
}

runBench(
  {
    name: 'schema-registry',
    title: 'Schema-registry serdes: decode throughput and cold start',
    script: import.meta.url,
  },
  async (ctx) => {
    const count = ctx.pick({ full: 20_000, smoke: 500 });
    const rounds = ctx.pick({ full: 7, smoke: 2 });
    const warmup = ctx.pick({ full: 2, smoke: 1 });
    const values = Array.from({ length: count }, (_, i) => order(i));

    // --- 1. decode throughput ---
    const confluent = memoryRegistry('confluent');
    const glue = memoryRegistry('glue');
    const writers: Record<string, [Serde<unknown>, Serde<unknown>]> = {
      json: [serde.json(), serde.json()],
      'avro (Confluent)': [
        registrySerdes.avro({ registry: confluent, schema: ORDER_AVRO, autoRegister: true }),
        registrySerdes.avro({ registry: confluent }),
      ],
      'avro (Glue, zlib)': [
        registrySerdes.avro({ registry: glue, schema: ORDER_AVRO, autoRegister: true, compression: 'zlib' }),
        registrySerdes.avro({ registry: glue }),
      ],
      'protobuf (Confluent)': [
        registrySerdes.protobuf({ registry: confluent, schema: ORDER_PROTO, autoRegister: true }),
        registrySerdes.protobuf({ registry: confluent }),
      ],
      'jsonSchema (Confluent)': [
        registrySerdes.jsonSchema({ registry: confluent, schema: ORDER_JSON_SCHEMA, autoRegister: true }),
        registrySerdes.jsonSchema({ registry: confluent }),
      ],
    };
    const inputs: Record<string, Buffer[]> = {};
    for (const [name, [writer, reader]] of Object.entries(writers)) {
      const protobufValues = name.startsWith('protobuf')
        ? values.map((v) => ({ ...v, cents: String(v.cents) }))
        : values;
      inputs[name] = await encodedWith(writer, protobufValues);
      await reader.prepareDeserialize?.(inputs[name]!.map((bytes) => ({ bytes })));
      const back = reader.deserialize(inputs[name]![1]!);
      if (!isDeepStrictEqual({ ...(back as object) }, protobufValues[1])) {
        throw new Error(`${name} did not round-trip: ${JSON.stringify(back)}`);
      }
    }
    // Avro bytes without a frame, decoded by parsing the schema for each record.
    const avroPlain = avro.Type.forSchema(ORDER_AVRO as avro.Schema);
    const plainBytes = values.map((v) => avroPlain.toBuffer(v));
    const perRecord = (bytes: Buffer) => avro.Type.forSchema(ORDER_AVRO as avro.Schema).fromBuffer(bytes);

    const recordsPerSecond = (decode: (i: number) => unknown) => async () => {
      const started = performance.now();
      for (let i = 0; i < count; i++) decode(i);
      return count / ((performance.now() - started) / 1000);
    };
    const arms: Arm[] = [
      ...Object.entries(writers).map(([name, [, reader]]) => ({
        name,
        run: recordsPerSecond((i) => reader.deserialize(inputs[name]![i]!)),
      })),
      { name: 'avro, schema parsed per record', run: recordsPerSecond((i) => perRecord(plainBytes[i]!)) },
    ];
    ctx.method(
      `${fmtInt(count)} order records (6 fields: strings, a long, an int, a string array, a boolean), encoded once per format; each measurement decodes all of them through the serde's deserialize (frame, cached schema, decode, and for JSON Schema validation). ${rounds} measured rounds after ${warmup} warm-up, arms interleaved with rotating order; ratio = arm / json, same round.`,
    );
    const decode = await interleave({
      arms,
      warmup,
      rounds,
      log: ctx.log,
      label: 'decode',
      format: (v) => `${fmtInt(v)}/s`,
    });
    ctx.table({
      title: 'Decode throughput (records/s; ratio = format / serde.json(), same round)',
      columns: ['serde', 'bytes/record', 'records/s', 'vs json'],
      rows: arms.map((arm) => [
        arm.name,
        arm.name.startsWith('avro, schema')
          ? fmtNum(mean(plainBytes.map((b) => b.length)))
          : fmtNum(mean(inputs[arm.name]!.map((b) => b.length))),
        fmtInt(median(decode[arm.name]!)),
        fmtRatio(ratioOf(decode[arm.name]!, decode.json!)),
      ]),
      align: ['l', 'r', 'r', 'r'],
    });
    ctx.target({
      label: 'avro (cached schema) vs avro (schema parsed per record)',
      op: '>=',
      value: 1,
      ratio: ratioOf(decode['avro (Confluent)']!, decode['avro, schema parsed per record']!),
      met: null,
      note: 'information: what the per-process schema cache saves',
    });
    ctx.raw('decodeRecordsPerSecond', decode);

    // --- 2. cold start ---
    const dir = workDir('schema-registry');
    const fn = (value: string, imports: string) =>
      `import { defineFunction, kafkaSink, serde${imports} } from '${REPO_ROOT}/lib/index.ts';
export const handler = defineFunction({ name: 'f', source: { topic: 'in', value: ${value} },
  sinks: { out: kafkaSink({ topic: 'out', value: ${value} }) }, process() {} });`;
    const entries: Record<string, string> = {
      'function, string serdes': fn('serde.string()', ''),
      'function, Avro + confluentRegistry': fn(
        "serde.avro({ registry: confluentRegistry({ url: 'http://127.0.0.1:1' }), schema: '\"string\"' })",
        ', confluentRegistry',
      ),
      'function, Avro + glueRegistry': fn(
        "serde.avro({ registry: glueRegistry({ registryName: 'r' }), schema: '\"string\"' })",
        ', glueRegistry',
      ),
      '+ avsc loaded (first Avro schema)': `export * from '${REPO_ROOT}/lib/registry/avro-format.ts';`,
      '+ protobufjs loaded': `export * from '${REPO_ROOT}/lib/registry/protobuf-format.ts';`,
      '+ ajv loaded': `export * from '${REPO_ROOT}/lib/registry/json-schema-format.ts';`,
      '+ Glue client loaded and built': `const sdk = await import('@aws-sdk/client-glue'); export const c = new sdk.GlueClient({ region: 'us-east-1' });`,
    };
    const bundles: Record<string, { file: string; bytes: number }> = {};
    for (const [name, source] of Object.entries(entries)) {
      const slug = name.replace(/[^a-z]+/gi, '-').replace(/^-|-$/g, '');
      const entry = join(dir, `${slug}.ts`);
      writeFileSync(entry, `${source}\n`);
      const file = join(dir, `${slug}.mjs`);
      await build({
        entryPoints: [entry],
        outfile: file,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        minify: true,
        banner: {
          js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        },
        logLevel: 'error',
      });
      bundles[name] = { file, bytes: (await stat(file)).size };
    }
    const coldImport = async (file: string) => {
      const { stdout } = await exec(process.execPath, [
        '--input-type=module',
        '-e',
        `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`,
      ]);
      return Number(stdout.trim());
    };
    const coldRounds = ctx.pick({ full: 9, smoke: 2 });
    ctx.method(
      `Cold start: each case is an esbuild bundle (ESM, minified, node20) imported in a fresh node process (${coldRounds} rounds after 1 warm-up, cases interleaved); each function case is a handler (defineFunction with a kafkaSink) as a deployed bundle has it; the "+" rows are what a first use loads on top (the format libraries and the Glue client are imported on first use, never at definition; esbuild inlines them in the bundle, lazily evaluated).`,
    );
    const cold = await interleave({
      arms: Object.entries(bundles).map(([name, b]) => ({ name, run: () => coldImport(b.file) })),
      warmup: 1,
      rounds: coldRounds,
      log: ctx.log,
      label: 'cold import',
      format: (v) => fmtMs(v),
    });
    const baseline = cold['function, string serdes']!;
    ctx.table({
      title:
        'Cold start: import of the bundle in a fresh node (median ms; ratio = case / the string-serde function, same round)',
      columns: ['case', 'bundle', 'import ms', 'vs string serdes'],
      rows: Object.keys(bundles).map((name) => [
        name,
        fmtBytes(bundles[name]!.bytes),
        fmtMs(median(cold[name]!)),
        fmtRatio(ratioOf(cold[name]!, baseline)),
      ]),
      align: ['l', 'r', 'r', 'r'],
    });
    ctx.raw('coldImportMs', cold);
  },
);

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
