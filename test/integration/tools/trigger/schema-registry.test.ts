/**
 * The emulator reproduces Lambda's schema-registry integration against a real registry (the
 * stack's Apicurio, Confluent API): records are decoded before the invocation and handed over as
 * JSON or SOURCE bytes with their schema metadata; a Sluice function's serde takes what the event
 * carries; undecodable records never reach the function and go to the on-failure topic with
 * Lambda's reasons.
 */
import { randomUUID } from 'node:crypto';
import { CreateRegistryCommand, GlueClient } from '@aws-sdk/client-glue';
import { describe, expect, it } from 'vitest';
import { confluentRegistry, defineFunction, glueRegistry, serde, state } from '../../../../lib';
import { silentLogger } from '../../../../lib/core/log';
import { createRuntime } from '../../../../lib/lambda/runtime';
import { encodeConfluentFrame } from '../../../../lib/registry/confluent-wire';
import { encodeGlueFrame } from '../../../../lib/registry/glue-wire';
import { createMemoryStore } from '../../../../lib/store/memory';
import { createInProcessInvoker } from '../../../../tools/trigger/invoker';
import { injectedStack } from '../../helpers/stack';
import { uniqueName } from '../../helpers/unique-name';
import { committed, emulate, produce, readTopic, recorder, testKafka, testTopic, trigger } from './helpers';

const ORDER = {
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'cents', type: 'long' },
  ],
};

async function framedOrders(topic: string, registryUrl: string) {
  const writer = serde.avro<{ id: string; cents: number }>({
    registry: confluentRegistry({ url: registryUrl }),
    schema: ORDER,
    autoRegister: true,
  });
  await writer.prepareSerialize?.({ topic, part: 'value' });
  const good = (i: number) => writer.serialize({ id: `o${i}`, cents: i }, { topic, part: 'value' })!;
  return {
    good,
    schemaId: good(0).readInt32BE(1),
    unknown: encodeConfluentFrame(987_654, Buffer.from([2, 0x61, 2])),
    corrupt: Buffer.concat([good(0).subarray(0, 5), Buffer.from([0xff])]),
  };
}

describe('trigger emulator: schema registry integration', () => {
  it.each(['SOURCE', 'JSON'] as const)(
    '%s: decoded records reach the function with their schema metadata; bad ones go to the on-failure topic',
    async (eventRecordFormat) => {
      const url = injectedStack().SCHEMA_REGISTRY_URL;
      const kafka = await testKafka();
      const topic = await testTopic(kafka, 1, 'sr');
      const dlt = await testTopic(kafka, 1, 'sr-dlt');
      const orders = await framedOrders(topic, url);
      await produce(kafka, topic, [
        { key: 'a', value: orders.good(1) },
        { key: 'b', value: orders.unknown },
        { key: 'c', value: orders.good(2) },
        { key: 'd', value: orders.corrupt },
        { key: 'e', value: orders.good(3) },
      ]);

      const seen: unknown[] = [];
      const fn = defineFunction({
        name: `sr-${eventRecordFormat}`,
        source: { topic, key: serde.string(), value: serde.avro({ registry: confluentRegistry({ url }) }) },
        state: { n: state.value(0) },
        process(batch) {
          for (const record of batch.records) seen.push(record.value);
        },
      });
      const events = recorder(async (s) => {
        // what the function's handler receives: the event as the emulator built it
        expect(s.records.every((r) => r.valueSchemaMetadata?.schemaId === String(orders.schemaId))).toBe(
          true,
        );
        expect(s.records.every((r) => r.valueSchemaMetadata?.dataFormat === 'AVRO')).toBe(true);
        if (eventRecordFormat === 'JSON')
          expect(s.records[0]!.value!.toString()).toBe('{"id":"o1","cents":1}');
        else expect(s.records[0]!.value![0]).not.toBe(0); // no Confluent header
      });
      const invoker = createInProcessInvoker(fn, {
        getRuntime: async () =>
          createRuntime({ store: createMemoryStore(), publishers: {}, log: silentLogger }),
      });
      const emulator = await emulate(kafka, [
        {
          name: fn.definition.name,
          invoker: {
            async invoke(request) {
              await events.handler(JSON.parse(request.eventJson), undefined as never);
              return invoker.invoke(request);
            },
            close: () => invoker.close(),
            memory: invoker.memory,
          },
          triggers: [
            trigger({
              topic,
              batchSize: 10,
              onFailureTopic: dlt,
              schemaRegistry: { uri: url, eventRecordFormat },
            }),
          ],
        },
      ]);
      await committed(emulator, [5]);
      expect(seen).toEqual([
        { id: 'o1', cents: 1 },
        { id: 'o2', cents: 2 },
        { id: 'o3', cents: 3 },
      ]);
      expect(events.offsets()).toEqual([0, 2, 4]);
      const failed = (await readTopic(kafka, dlt, 2)).map((m) => ({ key: m.key, ...JSON.parse(m.value) }));
      expect(
        failed.map((f) => [f.key, f.requestContext.condition, f.KafkaBatchInfo.recordInfo.offset]),
      ).toEqual([
        ['b', 'SCHEMA_NOT_FOUND', '1'],
        ['d', 'DESERIALIZATION_ERROR', '3'],
      ]);
      expect(emulator.stats().triggers[0]!.sentToOnFailure).toBe(2);
    },
  );
});

describe('trigger emulator: schema registry integration with AWS Glue (moto)', () => {
  it('SOURCE Protobuf from a Glue registry ARN: message index kept, zlib inflated, unknown version to the on-failure topic', async () => {
    process.env.AWS_ENDPOINT_URL_GLUE ??= injectedStack().AWS_ENDPOINT_URL_S3;
    const registryName = uniqueName('reg').slice(0, 40);
    const glue = new GlueClient({});
    await glue.send(new CreateRegistryCommand({ RegistryName: registryName }));
    glue.destroy();
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 1, 'gsr');
    const dlt = await testTopic(kafka, 1, 'gsr-dlt');
    const proto =
      'syntax = "proto3";\npackage shop;\nmessage Ping { int32 n = 1; }\nmessage Order { string id = 1; int64 cents = 2; }\n';
    const writer = serde.protobuf({
      registry: glueRegistry({ registryName }),
      schema: proto,
      messageType: 'shop.Order',
      autoRegister: true,
      compression: 'zlib',
    });
    await writer.prepareSerialize?.({ topic, part: 'value' });
    const good = (i: number) =>
      writer.serialize({ id: `o${i}`, cents: String(i) }, { topic, part: 'value' })!;
    await produce(kafka, topic, [
      { key: 'a', value: good(1) },
      { key: 'b', value: encodeGlueFrame(randomUUID(), Buffer.from([0, 10, 1, 120])) },
      { key: 'c', value: good(2) },
    ]);
    const seen: unknown[] = [];
    const fn = defineFunction({
      name: 'gsr',
      source: {
        topic,
        key: serde.string(),
        value: serde.protobuf({ registry: glueRegistry({ registryName }) }),
      },
      process(batch) {
        for (const record of batch.records) seen.push(record.value);
      },
    });
    const emulator = await emulate(kafka, [
      {
        name: 'gsr',
        invoker: createInProcessInvoker(fn, {
          getRuntime: async () =>
            createRuntime({ store: createMemoryStore(), publishers: {}, log: silentLogger }),
        }),
        triggers: [
          trigger({
            topic,
            batchSize: 10,
            onFailureTopic: dlt,
            schemaRegistry: {
              uri: `arn:aws:glue:us-east-1:123456789012:registry/${registryName}`,
              eventRecordFormat: 'SOURCE',
            },
          }),
        ],
      },
    ]);
    await committed(emulator, [3]);
    expect(seen).toEqual([
      { id: 'o1', cents: '1' },
      { id: 'o2', cents: '2' },
    ]);
    const failed = (await readTopic(kafka, dlt, 1)).map((m) => JSON.parse(m.value));
    expect(failed.map((f) => f.requestContext.condition)).toEqual(['SCHEMA_NOT_FOUND']);
  });
});
