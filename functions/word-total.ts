import { defineFunction, kafkaSink, serde, state, window } from '../lib';
import type { WordEvent } from './word-split';

/** Size of the windows of the windowed count (event time). */
export const WINDOW_MS = 5_000;

/**
 * The second stage: `words` is keyed by word, so each word is counted in one partition and the
 * counts are global. Besides the running total per word (`word-totals`), it counts words per
 * 5 s tumbling window of event time (the sentence's time): each window's count goes to
 * `word-counts-5s` once, when the watermark (stream time - 1 s of grace) passes its end. When
 * input stops, the scheduled tick moves an idle partition's stream time to now - 2 s, which
 * closes the last window; records behind a closed window go to `late-words`.
 */
export const handler = defineFunction({
  name: 'word-total',
  source: {
    topic: 'words',
    key: serde.string(),
    value: serde.json<WordEvent>(),
    timestamp: (record) => record.value.at,
  },
  time: { graceMs: 1_000, idleAdvanceMs: 2_000 },
  state: { totals: state.map<number>() },
  windows: {
    perWindow: window.tumbling({ sizeMs: WINDOW_MS, sink: 'windowed', lateSink: 'late' }).count(),
  },
  sinks: {
    totals: kafkaSink({ topic: 'word-totals', value: serde.json<{ word: string; count: number }>() }),
    windowed: kafkaSink({ topic: 'word-counts-5s', value: serde.json<unknown>() }),
    late: kafkaSink({ topic: 'late-words', value: serde.json<unknown>() }),
  },
  process(batch, { state, emit, windows }) {
    for (const record of batch.records) {
      const { word } = record.value;
      const count = (state.totals.get(word) ?? 0) + 1;
      state.totals.set(word, count);
      emit.totals({ key: word, value: { word, count } });
      windows.perWindow.add(record, word);
    }
  },
});
