import { defineFunction, kafkaSink, serde, TerminalError } from '../lib';
import { tickProblem, tickSentences } from './demo/sentences';

/**
 * The seed's "simple string generator" writing into topic `test`: each tick on
 * `generator-ticks`, `{ "count": N }`, becomes N sentences, derived from the tick's partition
 * and offset only (deterministic, as process() must be), published exactly once. A malformed
 * tick is a TerminalError: with onError 'quarantine-key' it is parked in the task's quarantine and
 * published to `generator-ticks.quarantine` (a tick has no key, so it parks only itself) while the
 * other ticks flow; `sluice quarantine generator list` shows it.
 */
export const handler = defineFunction({
  name: 'generator',
  source: { topic: 'generator-ticks', value: serde.json<unknown>() },
  sinks: { sentences: kafkaSink({ topic: 'test', value: serde.string() }) },
  onError: 'quarantine-key',
  process(batch, { emit }) {
    for (const tick of batch.records) {
      const problem = tickProblem(tick.value);
      if (problem !== null) throw new TerminalError(`tick ${tick.partition}@${tick.offset}: ${problem}`);
      const sentences = tickSentences(tick, (tick.value as { count: number }).count);
      for (const [i, value] of sentences.entries()) {
        // A key per sentence spreads them over the partitions of `test` (murmur2 of the key).
        emit.sentences({ key: `${tick.partition}-${tick.offset}-${i}`, value });
      }
    }
  },
});
