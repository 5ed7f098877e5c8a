import { WINDOW_MS } from '../../functions/word-total';
import { formatNumber } from '../cli/progress';
import {
  type Check,
  compareCounts,
  compareMultisets,
  countWords,
  expectedRunningCounts,
  words as splitWords,
  sum,
  totalCounts,
} from './verify';

export type { Check } from './verify';

/** What the walkthrough saw at the end: Kafka read_committed, the store, the log sink. */
export interface Observed {
  /** records on test, with their Kafka timestamps (the event time of their words) */
  testRecords: Array<{ value: string; timestamp: number }>;
  /** last offset per partition of words */
  wordsLastOffsets: Map<number, number>;
  /** word-total's committed state (global: words is keyed by word): word → count */
  wordTotalState: Map<string, number>;
  /** word-total's checkpointed next offset per partition of words */
  wordTotalNext: Map<number, number>;
  /** records on word-totals, word-counts-5s and late-words */
  wordTotalsRecords: Array<{ key: string | null; value: string }>;
  windowedRecords: Array<{ key: string | null; value: string }>;
  lateRecords: Array<{ key: string | null; value: string }>;
  /** values on test */
  testValues: string[];
  /** last offset per partition of test */
  testLastOffsets: Map<number, number>;
  /** word-count's committed state per partition of test: word → count */
  wordCountState: Map<number, Map<string, number>>;
  /** word-count's checkpointed next offset per partition of test */
  wordCountNext: Map<number, number>;
  /** records on word-counts */
  wordCountsRecords: Array<{ key: string | null; value: string }>;
  /** lines printed by prefix's log sink */
  prefixLines: string[];
}

export const PREFIX = 'Sluice says: ';

/**
 * The checks behind the verdict. `expected` are the sentences the ticks must yield, computed
 * from where each tick landed; everything else is compared with what Kafka and the store hold.
 */
export function runChecks(expected: string[], seen: Observed): Check[] {
  const counted = countWords(seen.testValues);
  const state = totalCounts(seen.wordCountState);
  const words = sum(counted.values());
  const checks: Check[] = [];

  checks.push({
    label: `generator → test: ${formatNumber(seen.testValues.length)} sentences (read_committed), exactly the ${formatNumber(expected.length)} the ticks ask for, each once`,
    details: compareMultisets('test', expected, seen.testValues),
    ok: false,
  });

  checks.push({
    label: `word-count state = words counted here from test: ${formatNumber(counted.size)} words, ${formatNumber(words)} occurrences`,
    details: compareCounts('counted from test', counted, 'word-count state', state),
    ok: false,
  });

  const coverage: string[] = [];
  for (const [partition, last] of seen.testLastOffsets) {
    const next = seen.wordCountNext.get(partition) ?? 0;
    if (next !== last + 1)
      coverage.push(`partition ${partition}: checkpoint next ${next}, last record of test ${last}`);
  }
  checks.push({
    label: `word-count checkpoints: next offset = last record + 1 on all ${seen.testLastOffsets.size} partitions of test`,
    details: coverage,
    ok: false,
  });

  const emitted: string[] = [];
  const malformed: string[] = [];
  for (const record of seen.wordCountsRecords) {
    try {
      const { word, count } = JSON.parse(record.value) as { word: string; count: number };
      if (record.key !== word)
        malformed.push(`record keyed ${JSON.stringify(record.key)} holds word ${JSON.stringify(word)}`);
      emitted.push(`${word}=${count}`);
    } catch {
      malformed.push(`not a {word, count} JSON value: ${record.value.slice(0, 60)}`);
    }
  }
  checks.push({
    label: `word-count → word-counts: ${formatNumber(seen.wordCountsRecords.length)} running counts (read_committed) = 1..n per word and partition, none lost or doubled`,
    details: [
      ...malformed.slice(0, 3),
      ...compareMultisets('word-counts', expectedRunningCounts(seen.wordCountState), emitted),
    ],
    ok: false,
  });

  // Logs are at-least-once (a crash between commit and print may print a line twice): a line
  // printed twice is reported, a missing one fails.
  const printed = seen.prefixLines.map((line) =>
    line.startsWith(PREFIX) ? line.slice(PREFIX.length) : `(unprefixed) ${line}`,
  );
  const prefixDiff = compareMultisets('prefix output', expected, printed, 20);
  const missing = prefixDiff.filter((d) => d.includes('missing') || d.includes('unprefixed') || d === '…');
  checks.push({
    label: `prefix printed "${PREFIX}" + every sentence: ${formatNumber(seen.prefixLines.length)} lines${prefixDiff.length > missing.length ? ' (some twice: logs are at-least-once)' : ''}`,
    details: missing.slice(0, 5),
    ok: false,
  });

  checks.push(...globalChecks(counted, seen));

  for (const check of checks) check.ok = check.details.length === 0;
  return checks;
}

/** The two-stage global count (word-split → words → word-total) and its 5 s windows. */
function globalChecks(counted: Map<string, number>, seen: Observed): Check[] {
  const checks: Check[] = [];
  checks.push({
    label: `word-total state = words counted here from test, globally (words is keyed by word): ${formatNumber(seen.wordTotalState.size)} words`,
    details: compareCounts('counted from test', counted, 'word-total state', seen.wordTotalState),
    ok: false,
  });
  const coverage: string[] = [];
  for (const [partition, last] of seen.wordsLastOffsets) {
    const next = seen.wordTotalNext.get(partition) ?? 0;
    if (next !== last + 1)
      coverage.push(`partition ${partition}: checkpoint next ${next}, last record of words ${last}`);
  }
  const emitted = seen.wordTotalsRecords.map((r) => {
    const { word, count } = JSON.parse(r.value) as { word: string; count: number };
    return `${word}=${count}`;
  });
  checks.push({
    label: `word-total → word-totals: ${formatNumber(emitted.length)} global running counts (read_committed) = 1..n per word, none lost or doubled`,
    details: [
      ...coverage,
      ...compareMultisets('word-totals', expectedRunningCounts(new Map([[0, seen.wordTotalState]])), emitted),
    ],
    ok: false,
  });

  // Per (word, window): counted here from the sentences' timestamps, against the window's one
  // result plus the words that came too late for it.
  const windowOf = (time: number) => Math.floor(time / WINDOW_MS) * WINDOW_MS;
  const expected = new Map<string, number>();
  for (const record of seen.testRecords) {
    for (const word of splitWords(record.value)) {
      const id = `${word}@${windowOf(record.timestamp)}`;
      expected.set(id, (expected.get(id) ?? 0) + 1);
    }
  }
  const results = new Map<string, number>();
  const problems: string[] = [];
  for (const record of seen.windowedRecords) {
    const r = JSON.parse(record.value) as {
      key: string;
      start: number;
      end: number;
      value: number;
      final: boolean;
    };
    const id = `${r.key}@${r.start}`;
    if (results.has(id)) problems.push(`window ${id} emitted twice`);
    if (r.end - r.start !== WINDOW_MS || !r.final) problems.push(`malformed window result ${record.value}`);
    results.set(id, (results.get(id) ?? 0) + r.value);
  }
  const late = new Map<string, number>();
  for (const record of seen.lateRecords) {
    const r = JSON.parse(record.value) as { key: string; time: number };
    const id = `${r.key}@${windowOf(r.time)}`;
    late.set(id, (late.get(id) ?? 0) + 1);
  }
  const closed = new Map<string, number>();
  for (const id of new Set([...results.keys(), ...late.keys()]))
    closed.set(id, (results.get(id) ?? 0) + (late.get(id) ?? 0));
  const windows = new Set([...expected.keys()].map((id) => id.slice(id.lastIndexOf('@') + 1)));
  checks.push({
    label:
      `word-total → word-counts-5s: ${formatNumber(results.size)} results of ${windows.size} window${windows.size === 1 ? '' : 's'} of 5 s (event time), ` +
      `each once, = words counted here per window (${formatNumber(sum(late.values()))} late, on late-words); the last closed by the tick`,
    details: [
      ...problems.slice(0, 3),
      ...compareCounts('counted from test', expected, 'window result + late', closed),
    ],
    ok: false,
  });
  return checks;
}
