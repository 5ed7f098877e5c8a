/**
 * Interop with an independent client: Confluent's own Python client (confluent-kafka, with its
 * Avro and Protobuf schema-registry serialisers) produces records that a Sluice function decodes
 * (through the trigger emulator, on the real broker and a real Confluent-compatible registry,
 * Apicurio's ccompat API); the function's outputs, written by Sluice's serdes, are read back by
 * the same Python client's deserialisers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { confluentRegistry, defineFunction, kafkaSink, serde } from '../../../lib';
import { silentLogger } from '../../../lib/core/log';
import { createRuntime } from '../../../lib/lambda/runtime';
import { createKafkaPublisher } from '../../../lib/sink/kafka-publisher';
import { createMemoryStore } from '../../../lib/store/memory';
import { createInProcessInvoker } from '../../../tools/trigger/invoker';
import { injectedStack } from '../helpers/stack';
import { committed, emulate, testKafka, testTopic, trigger } from '../tools/trigger/helpers';
import { confluentIo, ensureConfluentKafkaPython } from './python-client';

const RECORDS = 20;
const TOTAL_AVRO = {
  type: 'record',
  name: 'Total',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'total', type: 'long' },
  ],
};

let python: string;
let env: { SLUICE_KAFKA_BROKERS: string; SCHEMA_REGISTRY_URL: string };
beforeAll(async () => {
  const stack = injectedStack();
  env = { SLUICE_KAFKA_BROKERS: stack.SLUICE_KAFKA_BROKERS, SCHEMA_REGISTRY_URL: stack.SCHEMA_REGISTRY_URL };
  python = await ensureConfluentKafkaPython();
}, 300_000);

function runningTotals(orders: Order[]): Array<{ id: string; total: number }> {
  let total = 0;
  return orders.map((o) => {
    total += Number(o.cents);
    return { id: o.id, total };
  });
}

interface Order {
  id: string;
  cents: number | string;
  tags: string[];
  note?: string | null;
}

async function runTotals(
  source: string,
  out: string,
  serdes: { value: ReturnType<typeof serde.avro<Order>>; total: ReturnType<typeof serde.avro<unknown>> },
  toTotal: (id: string, total: number) => unknown,
) {
  const kafka = await testKafka();
  const seen: Order[] = [];
  const fn = defineFunction({
    name: `totals-${source}`,
    source: { topic: source, key: serde.string(), value: serdes.value },
    sinks: { out: kafkaSink({ topic: out, value: serdes.total }) },
    process(batch, { emit }) {
      let total = 0;
      for (const record of batch.records) {
        seen.push(record.value);
        total += Number(record.value.cents);
        emit.out({ key: record.key, value: toTotal(record.value.id, total) });
      }
    },
  });
  const publisher = createKafkaPublisher({ kafka, log: silentLogger });
  const emulator = await emulate(kafka, [
    {
      name: fn.definition.name,
      invoker: createInProcessInvoker(fn, {
        getRuntime: async () =>
          createRuntime({ store: createMemoryStore(), publishers: { kafka: publisher }, log: silentLogger }),
      }),
      // one batch: the running total is per batch
      triggers: [trigger({ topic: source, batchSize: RECORDS })],
    },
  ]);
  await committed(emulator, [RECORDS]);
  await emulator.stop();
  await publisher.close();
  return seen;
}

describe('confluent-kafka (Python) ⇄ Sluice through a Confluent-compatible registry', () => {
  it('Avro: Sluice decodes what AvroSerializer wrote, AvroDeserializer reads what Sluice wrote', async () => {
    const kafka = await testKafka();
    const source = await testTopic(kafka, 1, 'avro-in');
    const out = await testTopic(kafka, 1, 'avro-out');
    const [written] = (await confluentIo(python, ['produce', 'avro', source, RECORDS], env)) as [Order[]];
    const registry = confluentRegistry({ url: env.SCHEMA_REGISTRY_URL });
    const seen = await runTotals(
      source,
      out,
      {
        value: serde.avro<Order>({ registry }),
        total: serde.avro({ registry, schema: TOTAL_AVRO, autoRegister: true }),
      },
      (id, total) => ({ id, total }),
    );
    expect(seen).toEqual(written);

    const read = (await confluentIo(python, ['consume', 'avro', out, RECORDS], env)) as Array<{
      key: string;
      value: { id: string; total: number };
      schema_id: number;
    }>;
    expect(read.map((r) => r.value)).toEqual(runningTotals(written));
    expect(read.map((r) => r.key)).toEqual(written.map((o) => o.id));
    const subject = (await fetch(`${env.SCHEMA_REGISTRY_URL}/subjects/${out}-value/versions/latest`).then(
      (r) => r.json(),
    )) as { id: number };
    expect(new Set(read.map((r) => r.schema_id))).toEqual(new Set([subject.id]));
  });

  it('Protobuf: message indexes and the descriptor form of the schema, both ways', async () => {
    const kafka = await testKafka();
    const source = await testTopic(kafka, 1, 'pb-in');
    const out = await testTopic(kafka, 1, 'pb-out');
    const [written] = (await confluentIo(python, ['produce', 'protobuf', source, RECORDS], env)) as [Order[]];
    // The producer registered shop.proto (Ping, Order, Total) in its descriptor form; Sluice
    // writes Total with that same registered schema, looked up by definition.
    const registered = (await fetch(
      `${env.SCHEMA_REGISTRY_URL}/subjects/${source}-value/versions/latest`,
    ).then((r) => r.json())) as { id: number; schema: string };
    const registry = confluentRegistry({ url: env.SCHEMA_REGISTRY_URL });
    const seen = await runTotals(
      source,
      out,
      {
        value: serde.protobuf<Order>({ registry }),
        total: serde.protobuf({
          registry,
          schema: registered.schema,
          messageType: 'shop.Total',
          subject: `${source}-value`,
        }),
      },
      (id, total) => ({ id, total: String(total) }),
    );
    // proto3 JSON mapping: int64 as a string
    expect(seen).toEqual(written.map((o) => ({ ...o, cents: String(o.cents) })));

    const read = (await confluentIo(python, ['consume', 'protobuf', out, RECORDS], env)) as Array<{
      value: { id: string; total: string };
      schema_id: number;
    }>;
    expect(read.map((r) => r.value)).toEqual(
      runningTotals(written).map((t) => ({ id: t.id, total: String(t.total) })),
    );
    expect(new Set(read.map((r) => r.schema_id))).toEqual(new Set([registered.id]));
  });
});
