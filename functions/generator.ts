import { defineFunction, kafkaSink, serde } from '../lib';
import { tickProblem, tickSentences } from './demo/sentences';

/**
 * The seed's "simple string generator" writing into topic `test`: each tick on
 * `generator-ticks`, `{ "count": N }`, becomes N sentences, derived from the tick's partition
 * and offset only (deterministic, as process() must be), published exactly once.
 */
export const handler = defineFunction({
  name: 'generator',
  source: { topic: 'generator-ticks', value: serde.json<unknown>() },
  sinks: { sentences: kafkaSink({ topic: 'test', value: serde.string() }) },
  process(batch, { emit, log }) {
    for (const tick of batch.records) {
      const problem = tickProblem(tick.value);
      if (problem !== null) {
        log.warn(`skipping tick ${tick.partition}@${tick.offset}: ${problem}`);
        continue;
      }
      const sentences = tickSentences(tick, (tick.value as { count: number }).count);
      for (const [i, value] of sentences.entries()) {
        // A key per sentence spreads them over the partitions of `test` (murmur2 of the key).
        emit.sentences({ key: `${tick.partition}-${tick.offset}-${i}`, value });
      }
    }
  },
});
