import { describe, expect, it } from 'vitest';
import { kafkaSink, SchemaDecodeError, SchemaRegistryUnavailableError, serde, state } from '../../../lib';
import { defineFunction } from '../../../lib/lambda/define';
import { BatchFailedError } from '../../../lib/lambda/handler';
import { encodeConfluentFrame } from '../../../lib/registry/confluent-wire';
import { createHarness } from '../../../lib/testing/harness';
import { fakeRegistry } from './fake-registry';

const ORDER = {
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'cents', type: 'long' },
  ],
};
const TOTAL = { type: 'record', name: 'Total', fields: [{ name: 'cents', type: 'long' }] };

function orderTotals(registry: ReturnType<typeof fakeRegistry>) {
  return defineFunction({
    name: 'order-totals',
    source: {
      topic: 'orders',
      value: serde.avro<{ id: string; cents: number }>({ registry, schema: ORDER }),
    },
    state: { total: state.value(0) },
    sinks: {
      totals: kafkaSink({
        topic: 'totals',
        value: serde.avro<{ cents: number }>({ registry, schema: TOTAL, autoRegister: true }),
      }),
    },
    process(batch, { state, emit }) {
      for (const record of batch.records) {
        const total = (state.total.get() ?? 0) + record.value.cents;
        state.total.set(total);
        emit.totals({ value: { cents: total } });
      }
    },
  });
}

function failureOf(error: unknown): unknown {
  expect(error).toBeInstanceOf(BatchFailedError);
  return (error as BatchFailedError).failures[0]?.error;
}

describe('a function reading and writing registry-framed Avro', () => {
  it('decodes inputs and writes outputs framed with the registered output schema', async () => {
    const registry = fakeRegistry();
    registry.add({ format: 'AVRO', definition: JSON.stringify(ORDER) });
    const h = createHarness(orderTotals(registry));
    await h.invoke([{ value: { id: 'a', cents: 5 } }, { value: { id: 'b', cents: 7 } }]);
    expect(await h.state(0)).toMatchObject({ total: 12 });
    expect(h.published('totals').map((o) => o.value)).toEqual([{ cents: 5 }, { cents: 12 }]);
    const framed = Buffer.from(h.committedOutboxes[0]!.outbox.messages[0]!.value!, 'base64');
    expect(framed[0]).toBe(0);
    expect(registry.state.fetches).toBe(0); // the serde knew its own writer schema
  });

  it('an unknown schema id fails the partition with a terminal SchemaDecodeError naming topic, partition, offset and id', async () => {
    const registry = fakeRegistry();
    registry.add({ format: 'AVRO', definition: JSON.stringify(ORDER) });
    const h = createHarness(orderTotals(registry));
    const error = failureOf(
      await h
        .invoke([{ value: { id: 'a', cents: 5 } }, { rawValue: encodeConfluentFrame(42, Buffer.from([0])) }])
        .catch((e) => e),
    );
    expect(error).toBeInstanceOf(SchemaDecodeError);
    expect(error).toMatchObject({
      topic: 'orders',
      partition: 0,
      offset: 1,
      schemaId: '42',
      reason: 'SCHEMA_NOT_FOUND',
      retriable: false,
    });
    expect((error as Error).message).toMatch(
      /cannot decode the value of record orders-0@1: schema id 42 is not in/,
    );
    expect(await h.state(0)).toEqual({});
  });

  it('a corrupt record is DESERIALIZATION_ERROR with its schema id', async () => {
    const registry = fakeRegistry();
    const id = Number(registry.add({ format: 'AVRO', definition: JSON.stringify(ORDER) }));
    const h = createHarness(orderTotals(registry));
    const error = failureOf(
      await h.invoke([{ rawValue: encodeConfluentFrame(id, Buffer.from([0xff, 0xff])) }]).catch((e) => e),
    );
    expect(error).toMatchObject({ reason: 'DESERIALIZATION_ERROR', schemaId: String(id), offset: 0 });
  });

  it('a registry that is down is retriable, and the batch goes through once it is back', async () => {
    const registry = fakeRegistry();
    registry.add({ format: 'AVRO', definition: JSON.stringify(ORDER) });
    const newer = { ...ORDER, fields: [...ORDER.fields, { name: 'note', type: 'string', default: '' }] };
    const id2 = Number(registry.add({ format: 'AVRO', definition: JSON.stringify(newer) }));
    const h = createHarness(orderTotals(registry));
    await h.invoke([{ value: { id: 'a', cents: 1 } }]);
    registry.state.down = true;
    // written with a schema version this process has not met yet: it must ask the registry
    const bytes = encodeConfluentFrame(id2, Buffer.from([2, 0x62, 8, 0]));
    const error = await h.invoke([{ rawValue: bytes }]).catch((e) => e);
    expect(error).toBeInstanceOf(BatchFailedError);
    expect(error.retriable).toBe(true);
    expect(failureOf(error)).toBeInstanceOf(SchemaRegistryUnavailableError);
    registry.state.down = false;
    await h.retry();
    expect(await h.state(0)).toMatchObject({ total: 5 });
    expect(h.published('totals').map((o) => o.value)).toEqual([{ cents: 1 }, { cents: 5 }]);
  });
});
