import { describe, expect, it } from 'vitest';
import { defineFunction, serde, state } from '../../../../lib';
import { silentLogger } from '../../../../lib/core/log';
import { encodeEvent, toRawRecord } from '../../../../lib/event/encode';
import { createRuntime } from '../../../../lib/lambda/runtime';
import { createMemoryStore } from '../../../../lib/store/memory';
import { createInProcessInvoker } from '../../../../tools/trigger/invoker';

const sum = defineFunction({
  name: 'sum',
  source: { topic: 'numbers', value: serde.json<number>() },
  state: { total: state.value(0) },
  process(batch, { state }) {
    for (const record of batch.records) {
      if (record.value < 0) throw new Error(`negative at ${record.offset}`);
      state.total.set((state.total.get() ?? 0) + record.value);
    }
  },
});

const eventJson = (values: number[], from = 0) =>
  JSON.stringify(
    encodeEvent({
      bootstrapServers: ['127.0.0.1:9092'],
      records: values.map((v, i) =>
        toRawRecord({ topic: 'numbers', partition: 0, offset: from + i, value: JSON.stringify(v) }),
      ),
    }),
  );

describe('in-process invoker', () => {
  it('runs a Sluice function with the given runtime and the trigger’s partial-response setting', async () => {
    const store = createMemoryStore();
    const getRuntime = async () => createRuntime({ store, log: silentLogger });
    const invoker = createInProcessInvoker(sum, { getRuntime, reportBatchItemFailures: true });
    expect(await invoker.invoke({ eventJson: eventJson([1, 2]), requestId: 'r1', timeoutMs: 5_000 })).toEqual(
      {
        ok: true,
        response: null,
      },
    );
    const failed = await invoker.invoke({ eventJson: eventJson([-1], 2), requestId: 'r2', timeoutMs: 5_000 });
    expect(failed).toEqual({
      ok: true,
      response: { batchItemFailures: [{ itemIdentifier: { partition: 'numbers-0', offset: 2 } }] },
    });
    const loaded = await store.load({ fn: 'sum', topic: 'numbers', partition: 0 });
    expect(loaded?.checkpoint.next).toBe(2);
    await invoker.close();
  });

  it('reports a thrown error as Lambda does, and a timeout as Sandbox.Timedout', async () => {
    const throwing = createInProcessInvoker(async () => {
      throw new TypeError('bad');
    });
    expect(await throwing.invoke({ eventJson: '{}', requestId: 'r', timeoutMs: 1_000 })).toEqual({
      ok: false,
      error: { errorType: 'TypeError', errorMessage: 'bad' },
    });
    const slow = createInProcessInvoker(
      (_event, context) =>
        new Promise((resolve) => setTimeout(() => resolve(context.getRemainingTimeInMillis()), 200)),
    );
    expect(await slow.invoke({ eventJson: '{}', requestId: 'r', timeoutMs: 20 })).toEqual({
      ok: false,
      error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 0.02 seconds' },
    });
  });

  it('passes the event parsed from JSON and a Lambda context, and serialises the response', async () => {
    let seen: unknown;
    const echo = createInProcessInvoker(
      (event, context) => {
        seen = { event, requestId: context.awsRequestId, name: context.functionName };
        return { at: new Date(0) };
      },
      { functionName: 'echo' },
    );
    const outcome = await echo.invoke({ eventJson: '{"a":1}', requestId: 'req-1', timeoutMs: 1_000 });
    expect(seen).toEqual({ event: { a: 1 }, requestId: 'req-1', name: 'echo' });
    expect(outcome).toEqual({ ok: true, response: { at: '1970-01-01T00:00:00.000Z' } });
  });
});
