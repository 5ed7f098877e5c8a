import { defineFunction, kafkaSink, serde, state } from '../lib';

/**
 * Counts words of the strings on `test`, exactly once, and emits each running count to
 * `word-counts` (keyed by word, so a word's counts stay in order on one partition).
 */
export const handler = defineFunction({
  name: 'word-count',
  source: { topic: 'test', value: serde.string() },
  state: { counts: state.map<number>() },
  sinks: {
    counts: kafkaSink({ topic: 'word-counts', value: serde.json<{ word: string; count: number }>() }),
  },
  process(batch, { state, emit }) {
    for (const record of batch.records) {
      for (const word of record.value.toLowerCase().split(/\W+/).filter(Boolean)) {
        const count = (state.counts.get(word) ?? 0) + 1;
        state.counts.set(word, count);
        emit.counts({ key: word, value: { word, count } });
      }
    }
  },
});
