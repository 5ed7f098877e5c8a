/**
 * The walkthrough's verdict, computed independently of the functions: pure comparisons of what
 * Kafka (read_committed) and the store hold against what the input implies.
 */

/** Words as word-count splits them: lower case, runs of [A-Za-z0-9_]. */
export function words(text: string): string[] {
  return text.toLowerCase().split(/\W+/).filter(Boolean);
}

export function countWords(sentences: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const sentence of sentences)
    for (const word of words(sentence)) counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

export interface Check {
  ok: boolean;
  /** what was checked, and the numbers */
  label: string;
  /** on failure: the first differences */
  details: string[];
}

/** Multisets equal? Lists the first differences (missing / extra / duplicated). */
export function compareMultisets(
  name: string,
  expected: Iterable<string>,
  actual: Iterable<string>,
  limit = 5,
): string[] {
  const diff = new Map<string, number>();
  for (const item of expected) diff.set(item, (diff.get(item) ?? 0) + 1);
  for (const item of actual) diff.set(item, (diff.get(item) ?? 0) - 1);
  const details: string[] = [];
  for (const [item, n] of diff) {
    if (n === 0) continue;
    if (details.length >= limit) {
      details.push('…');
      break;
    }
    details.push(
      n > 0
        ? `${name} missing ${n}× ${JSON.stringify(item)}`
        : `${name} has ${-n} extra ${JSON.stringify(item)}`,
    );
  }
  return details;
}

/** Two count maps equal? */
export function compareCounts(
  expectedName: string,
  expected: ReadonlyMap<string, number>,
  actualName: string,
  actual: ReadonlyMap<string, number>,
  limit = 5,
): string[] {
  const details: string[] = [];
  for (const word of new Set([...expected.keys(), ...actual.keys()])) {
    const e = expected.get(word) ?? 0;
    const a = actual.get(word) ?? 0;
    if (e === a) continue;
    if (details.length >= limit) {
      details.push('…');
      break;
    }
    details.push(`"${word}": ${expectedName} ${e}, ${actualName} ${a}`);
  }
  return details;
}

/**
 * word-count keeps one count per word per source partition and emits each new count, keyed by
 * word. Exactly once means: for every word, the counts on `word-counts` are exactly
 * 1..n_p for each source partition p, where n_p is that partition's final state: no count
 * missing (lost output), none twice (a duplicate), none beyond the state.
 */
export function expectedRunningCounts(
  statePerPartition: ReadonlyMap<number, ReadonlyMap<string, number>>,
): string[] {
  const expected: string[] = [];
  for (const counts of statePerPartition.values()) {
    for (const [word, n] of counts) for (let i = 1; i <= n; i++) expected.push(`${word}=${i}`);
  }
  return expected;
}

/** Sum of per-partition counts. */
export function totalCounts(
  statePerPartition: ReadonlyMap<number, ReadonlyMap<string, number>>,
): Map<string, number> {
  const total = new Map<string, number>();
  for (const counts of statePerPartition.values()) {
    for (const [word, n] of counts) total.set(word, (total.get(word) ?? 0) + n);
  }
  return total;
}

export function sum(counts: Iterable<number>): number {
  let total = 0;
  for (const n of counts) total += n;
  return total;
}
