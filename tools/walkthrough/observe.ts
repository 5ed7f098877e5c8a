import { tickSentences } from '../../functions/demo/sentences';
import type { Store } from '../../lib/store/store';
import type { Collected } from './collect';
import type { RunFunction } from './functions';
import type { WalkthroughPlan } from './plan';
import type { Observed } from './verdict';

type Functions = ReadonlyMap<string, RunFunction>;

/** A tick as produced: where it landed decides its sentences. */
export interface SentTick {
  partition: number;
  offset: number;
  count: number;
}

/** The sentences the ticks must produce: the generator's rule, applied to where each tick landed. */
export function expectedSentences(ticks: readonly SentTick[]): string[] {
  return ticks.flatMap((tick) => tickSentences(tick, tick.count));
}

/** Have the functions checkpointed every record of their source that arrived so far? */
export async function caughtUp(
  plan: WalkthroughPlan,
  functions: Functions,
  store: Store,
  sources: { test: Collected; words: Collected },
): Promise<boolean> {
  const stages: Array<[string, string, Collected]> = [
    ['prefix', 'test', sources.test],
    ['word-count', 'test', sources.test],
    ['word-split', 'test', sources.test],
    ['word-total', 'words', sources.words],
  ];
  for (const [name, topic, collected] of stages) {
    const fn = functions.get(name)!.definition.name;
    for (const [partition, last] of collected.lastOffsets) {
      const loaded = await store.peek({ fn, topic: plan.topic(topic), partition });
      if ((loaded?.next ?? 0) <= last) return false;
    }
  }
  return true;
}

/** Reads what the checks compare: word-count's state and checkpoints, and what the readers got. */
export async function observe(
  plan: WalkthroughPlan,
  functions: Functions,
  store: Store,
  sources: {
    test: Collected;
    wordCounts: Collected;
    words: Collected;
    wordTotals: Collected;
    windowed: Collected;
    late: Collected;
    prefixLines: readonly string[];
  },
): Promise<Observed> {
  const fn = functions.get('word-count')!.definition.name;
  const state = new Map<number, Map<string, number>>();
  const next = new Map<number, number>();
  for (const task of await store.list(fn)) {
    if (task.topic !== plan.topic('test')) continue;
    const loaded = await store.load(task);
    const counts = new Map<string, number>();
    for (const [key, value] of loaded?.state ?? []) {
      if (key.startsWith('counts/') && typeof value === 'number')
        counts.set(key.slice('counts/'.length), value);
    }
    state.set(task.partition, counts);
    next.set(task.partition, loaded?.checkpoint.next ?? 0);
  }
  const total = functions.get('word-total')!.definition.name;
  const totals = new Map<string, number>();
  const totalNext = new Map<number, number>();
  for (const task of await store.list(total)) {
    if (task.topic !== plan.topic('words')) continue;
    const loaded = await store.load(task);
    for (const [key, value] of loaded?.state ?? []) {
      if (key.startsWith('totals/') && typeof value === 'number')
        totals.set(key.slice('totals/'.length), value);
    }
    totalNext.set(task.partition, loaded?.checkpoint.next ?? 0);
  }
  const records = (c: Collected) => c.records.map((r) => ({ key: r.key, value: r.value }));
  return {
    testRecords: sources.test.records.map((r) => ({ value: r.value, timestamp: r.timestamp })),
    wordsLastOffsets: new Map(sources.words.lastOffsets),
    wordTotalState: totals,
    wordTotalNext: totalNext,
    wordTotalsRecords: records(sources.wordTotals),
    windowedRecords: records(sources.windowed),
    lateRecords: records(sources.late),
    testValues: [...sources.test.values],
    testLastOffsets: new Map(sources.test.lastOffsets),
    wordCountState: state,
    wordCountNext: next,
    wordCountsRecords: sources.wordCounts.records.map((r) => ({ key: r.key, value: r.value })),
    prefixLines: [...sources.prefixLines],
  };
}
