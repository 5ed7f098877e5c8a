import { formatNumber } from '../cli/progress';
import {
  type Check,
  compareCounts,
  compareMultisets,
  countWords,
  expectedRunningCounts,
  sum,
  totalCounts,
} from './verify';

export type { Check } from './verify';

/** What the walkthrough saw at the end: Kafka read_committed, the store, the log sink. */
export interface Observed {
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

  for (const check of checks) check.ok = check.details.length === 0;
  return checks;
}
