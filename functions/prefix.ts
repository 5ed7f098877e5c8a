import { defineFunction, logSink, serde } from '../lib';

/** The seed's first example: reads topic `test` and prints "Sluice says: " + each string. */
export const handler = defineFunction({
  name: 'prefix',
  source: { topic: 'test', value: serde.string() },
  sinks: { out: logSink() },
  process(batch, { emit }) {
    for (const record of batch.records) emit.out({ value: `Sluice says: ${record.value}` });
  },
});
