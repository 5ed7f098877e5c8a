import { describe, expect, it } from 'vitest';
import { createPlan } from '../../../../tools/walkthrough/plan';
import { type Observed, PREFIX, runChecks } from '../../../../tools/walkthrough/verdict';
import { countWords, expectedRunningCounts, sum, words } from '../../../../tools/walkthrough/verify';

const T0 = 1_700_000_001_000;

/** What a correct run of word-count over these sentences, split over two partitions, leaves behind. */
function correctRun(sentences: string[]): Observed {
  const byPartition = new Map<number, string[]>([
    [0, sentences.filter((_, i) => i % 2 === 0)],
    [1, sentences.filter((_, i) => i % 2 === 1)],
  ]);
  const state = new Map([...byPartition].map(([p, list]) => [p, countWords(list)]));
  const records = expectedRunningCounts(state).map((entry) => {
    const [word, count] = entry.split('=') as [string, string];
    return { key: word, value: JSON.stringify({ word, count: Number(count) }) };
  });
  // The two-stage global count: one state for all words, windows of the sentences' times.
  const times = sentences.map((_, i) => T0 + i * 3_000);
  const global = countWords(sentences);
  const perWindow = new Map<string, { key: string; start: number; value: number }>();
  sentences.forEach((sentence, i) => {
    for (const word of words(sentence)) {
      const start = Math.floor(times[i]! / 5_000) * 5_000;
      const r = perWindow.get(`${word}@${start}`) ?? { key: word, start, value: 0 };
      r.value += 1;
      perWindow.set(`${word}@${start}`, r);
    }
  });
  return {
    testRecords: sentences.map((value, i) => ({ value, timestamp: times[i]! })),
    wordsLastOffsets: new Map([[0, sum(global.values()) - 1]]),
    wordTotalState: global,
    wordTotalNext: new Map([[0, sum(global.values())]]),
    wordTotalsRecords: expectedRunningCounts(new Map([[0, global]])).map((entry) => {
      const [word, count] = entry.split('=') as [string, string];
      return { key: word, value: JSON.stringify({ word, count: Number(count) }) };
    }),
    windowedRecords: [...perWindow.values()].map((r) => ({
      key: r.key,
      value: JSON.stringify({ ...r, end: r.start + 5_000, final: true }),
    })),
    lateRecords: [],
    testValues: [...sentences],
    testLastOffsets: new Map([...byPartition].map(([p, list]) => [p, list.length - 1])),
    wordCountState: state,
    wordCountNext: new Map([...byPartition].map(([p, list]) => [p, list.length])),
    wordCountsRecords: records,
    prefixLines: sentences.map((s) => `${PREFIX}${s}`),
  };
}

const sentences = ['Kafka streams events.', 'Flink counts events.', 'Kafka replays events exactly once.'];

describe('the walkthrough verdict', () => {
  it('passes a correct run', () => {
    const checks = runChecks(sentences, correctRun(sentences));
    expect(checks.map((c) => [c.ok, c.details])).toEqual(checks.map(() => [true, []]));
    expect(checks[1]!.label).toContain('8 words, 11 occurrences');
  });

  it('fails a sentence the generator published twice (not exactly once)', () => {
    const seen = correctRun(sentences);
    seen.testValues.push(sentences[0]!);
    const [generator] = runChecks(sentences, seen);
    expect(generator!.ok).toBe(false);
    expect(generator!.details).toEqual(['test has 1 extra "Kafka streams events."']);
  });

  it('fails a running count emitted twice, or lost', () => {
    const twice = correctRun(sentences);
    twice.wordCountsRecords.push({ key: 'kafka', value: '{"word":"kafka","count":1}' });
    expect(runChecks(sentences, twice)[3]!.details).toEqual(['word-counts has 1 extra "kafka=1"']);

    const lost = correctRun(sentences);
    lost.wordCountsRecords = lost.wordCountsRecords.filter((r) => r.value !== '{"word":"events","count":2}');
    expect(runChecks(sentences, lost)[3]!.details).toEqual(['word-counts missing 1× "events=2"']);
  });

  it('fails state that counted a record twice, naming the word', () => {
    const seen = correctRun(sentences);
    seen.wordCountState.get(0)!.set('kafka', 3);
    const checks = runChecks(sentences, seen);
    expect(checks[1]!.details).toEqual(['"kafka": counted from test 2, word-count state 3']);
  });

  it('fails a checkpoint that does not cover the last record', () => {
    const seen = correctRun(sentences);
    seen.wordCountNext.set(1, 0);
    expect(runChecks(sentences, seen)[2]!.details).toEqual([
      'partition 1: checkpoint next 0, last record of test 0',
    ]);
  });

  it('tolerates a log line printed twice (logs are at-least-once) but not a missing one', () => {
    const twice = correctRun(sentences);
    twice.prefixLines.push(twice.prefixLines[0]!);
    const dup = runChecks(sentences, twice)[4]!;
    expect(dup.ok).toBe(true);
    expect(dup.label).toContain('some twice');
    const missing = correctRun(sentences);
    missing.prefixLines.pop();
    expect(runChecks(sentences, missing)[4]!.ok).toBe(false);
  });
});

describe('the walkthrough plan', () => {
  it('suffixes every topic and group with the run, and splits sentences into ticks', () => {
    const plan = createPlan({ sentences: 45, perTick: 20, run: 'wabc123' });
    expect(plan.topic('test')).toBe('test-wabc123');
    expect(plan.group('sluice-word-count')).toBe('sluice-word-count-wabc123');
    expect(plan.ticks).toEqual([20, 20, 5]);
    expect(plan.topics.map((t) => [t.name, t.partitions])).toEqual([
      ['generator-ticks-wabc123', 2],
      ['generator-ticks.quarantine-wabc123', 1],
      ['test-wabc123', 4],
      ['word-counts-wabc123', 4],
      ['word-count-failures-wabc123', 1],
      ['words-wabc123', 4],
      ['word-totals-wabc123', 4],
      ['word-counts-5s-wabc123', 2],
      ['late-words-wabc123', 1],
    ]);
    expect(createPlan({ sentences: 1, perTick: 1 }).run).toMatch(/^w[0-9a-f]{6}$/);
  });

  it('fails a window result emitted twice, and accepts a word that came late (on late-words)', () => {
    const twice = correctRun(sentences);
    twice.windowedRecords.push(twice.windowedRecords[0]!);
    const windowed = runChecks(sentences, twice).at(-1)!;
    expect(windowed.ok).toBe(false);
    expect(windowed.details[0]).toMatch(/emitted twice/);

    const late = correctRun(sentences);
    const first = JSON.parse(late.windowedRecords[0]!.value) as { key: string; start: number; value: number };
    late.windowedRecords = late.windowedRecords.slice(1);
    for (let i = 0; i < first.value; i++)
      late.lateRecords.push({
        key: first.key,
        value: JSON.stringify({ key: first.key, time: first.start + 1 }),
      });
    expect(runChecks(sentences, late).at(-1)!.ok).toBe(true);
    const lost = correctRun(sentences);
    lost.windowedRecords = lost.windowedRecords.slice(1);
    expect(runChecks(sentences, lost).at(-1)!.ok).toBe(false);
  });

  it('fails a global running count lost', () => {
    const seen = correctRun(sentences);
    seen.wordTotalsRecords.pop();
    expect(runChecks(sentences, seen).at(-2)!.ok).toBe(false);
  });
});
