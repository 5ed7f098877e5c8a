import { defineFunction, kafkaSink, serde, state } from '../../lib';
import { mulberry32 } from '../../lib/core/random';
import type { KafkaHandler } from '../../lib/lambda/handler';

/** One output of the chaos word count: word `w` seen for the `n`-th time on source partition `p`. */
export interface ChaosOutput {
  p: number;
  w: string;
  n: number;
}

/**
 * A word count whose outputs make exactly-once checkable: for every (source partition, word)
 * the outputs must be exactly n = 1, 2, 3, ... in this order on one output partition (keyed by
 * word). A duplicate repeats an n, a loss skips one, a reorder goes down.
 */
export function chaosWordCount(names: { fn: string; source: string; sink: string }): KafkaHandler {
  return defineFunction({
    name: names.fn,
    source: { topic: names.source, value: serde.string() },
    state: { counts: state.map<number>() },
    sinks: { counts: kafkaSink({ topic: names.sink, value: serde.json<ChaosOutput>() }) },
    process(batch, { state, emit }) {
      for (const record of batch.records) {
        for (const w of record.value.split(' ').filter(Boolean)) {
          const n = (state.counts.get(w) ?? 0) + 1;
          state.counts.set(w, n);
          emit.counts({ key: w, value: { p: batch.partition, w, n } });
        }
      }
    },
  });
}

export interface Sentence {
  partition: number;
  value: string;
}

/** Seeded PRNG: the same seed gives the same records, kill times, everything. */
export const random = mulberry32;

/** `count` sentences of 1-4 words from a small vocabulary (so counts grow long), over `partitions`. */
export function sentences(seed: number, count: number, partitions: number, vocabulary = 40): Sentence[] {
  const next = random(seed);
  const words = Array.from({ length: vocabulary }, (_, i) => `w${i}`);
  return Array.from({ length: count }, () => ({
    partition: Math.floor(next() * partitions),
    value: Array.from(
      { length: 1 + Math.floor(next() * 4) },
      () => words[Math.floor(next() * vocabulary)]!,
    ).join(' '),
  }));
}

export interface Reference {
  /** `${p}/${w}` -> how many outputs (n = 1..count) must exist */
  outputs: Map<string, number>;
  /** per source partition, the final state as the harness shows it (`counts/<word>`) */
  state: Map<number, Record<string, number>>;
  total: number;
}

/** The reference model: every record applied once, in order, per partition. */
export function referenceFold(records: Sentence[]): Reference {
  const outputs = new Map<string, number>();
  const state = new Map<number, Record<string, number>>();
  let total = 0;
  for (const { partition, value } of records) {
    const counts = state.get(partition) ?? {};
    state.set(partition, counts);
    for (const w of value.split(' ').filter(Boolean)) {
      const n = (counts[`counts/${w}`] ?? 0) + 1;
      counts[`counts/${w}`] = n;
      outputs.set(`${partition}/${w}`, n);
      total += 1;
    }
  }
  return { outputs, state, total };
}
