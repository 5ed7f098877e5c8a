import { defineFunction, kafkaSink, serde } from '../lib';

/** A word on `words`, with the time of the sentence it came from (its event time downstream). */
export interface WordEvent {
  word: string;
  /** the Kafka timestamp of the sentence on `test` (epoch ms) */
  at: number;
}

/**
 * The first stage of a global word count (Flink's `keyBy`): state is per partition, so each
 * word goes to `words` keyed by itself; Kafka's default partitioner puts every occurrence of a
 * word in one partition, where `word-total` counts it.
 */
export const handler = defineFunction({
  name: 'word-split',
  source: { topic: 'test', value: serde.string() },
  sinks: { words: kafkaSink({ topic: 'words', key: serde.string(), value: serde.json<WordEvent>() }) },
  process(batch, { emit }) {
    for (const record of batch.records) {
      for (const word of record.value.toLowerCase().split(/\W+/).filter(Boolean)) {
        emit.words({ key: word, value: { word, at: record.timestamp } });
      }
    }
  },
});
