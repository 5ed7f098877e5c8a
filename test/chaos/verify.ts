import type { ChaosOutput, Reference } from './word-count';

/** One output record as a reader saw it. */
export interface SeenRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
}

export interface OutputCheck {
  expected: number;
  seen: number;
  /** extra copies of an output already seen */
  duplicated: number;
  /** expected outputs never seen */
  missing: number;
  /** places where a (partition, word)'s count went down: per-key order broken */
  outOfOrder: number;
  /** outputs of one key on more than one output partition, or not matching the reference at all */
  misplaced: number;
  /** a few concrete problems, for the failure message */
  examples: string[];
}

/**
 * Compares what a read_committed reader saw with the reference: every (source partition, word)
 * must have exactly the outputs n = 1..N, in that order, on one output partition.
 */
export function checkOutputs(reference: Reference, seen: SeenRecord[]): OutputCheck {
  const check: OutputCheck = {
    expected: reference.total,
    seen: seen.length,
    duplicated: 0,
    missing: 0,
    outOfOrder: 0,
    misplaced: 0,
    examples: [],
  };
  const note = (text: string) => {
    if (check.examples.length < 10) check.examples.push(text);
  };
  const byKey = new Map<string, { partitions: Set<number>; ns: number[] }>();
  const ordered = [...seen].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  for (const record of ordered) {
    const output = JSON.parse(record.value) as ChaosOutput;
    if (record.key !== output.w) {
      check.misplaced += 1;
      note(`key ${record.key} carries word ${output.w}`);
    }
    const id = `${output.p}/${output.w}`;
    const entry = byKey.get(id) ?? { partitions: new Set(), ns: [] };
    byKey.set(id, entry);
    entry.partitions.add(record.partition);
    entry.ns.push(output.n);
  }
  for (const [id, entry] of byKey) {
    if (!reference.outputs.has(id)) {
      check.misplaced += entry.ns.length;
      note(`${id}: not expected at all`);
    }
    if (entry.partitions.size > 1) {
      check.misplaced += 1;
      note(`${id}: on output partitions ${[...entry.partitions].join(',')}`);
    }
  }
  for (const [id, count] of reference.outputs) {
    const ns = byKey.get(id)?.ns ?? [];
    const times = new Map<number, number>();
    for (const n of ns) times.set(n, (times.get(n) ?? 0) + 1);
    for (let n = 1; n <= count; n++) {
      const t = times.get(n) ?? 0;
      if (t === 0) {
        check.missing += 1;
        note(`${id}: n=${n} missing`);
      } else if (t > 1) {
        check.duplicated += t - 1;
        note(`${id}: n=${n} seen ${t} times`);
      }
    }
    for (const [n, t] of times) {
      if (n < 1 || n > count) {
        check.misplaced += t;
        note(`${id}: n=${n} beyond the reference's ${count}`);
      }
    }
    for (let i = 1; i < ns.length; i++) {
      if (ns[i]! < ns[i - 1]!) {
        check.outOfOrder += 1;
        note(`${id}: n=${ns[i]} after n=${ns[i - 1]}`);
      }
    }
  }
  return check;
}

export function outputsOk(check: OutputCheck): boolean {
  return (
    check.seen === check.expected &&
    check.duplicated === 0 &&
    check.missing === 0 &&
    check.outOfOrder === 0 &&
    check.misplaced === 0
  );
}

/** Per partition, the keys whose committed state differs from the reference fold. */
export function checkState(
  reference: Reference,
  actual: Map<number, Record<string, unknown>>,
): { mismatches: number; examples: string[] } {
  let mismatches = 0;
  const examples: string[] = [];
  const partitions = new Set([...reference.state.keys(), ...actual.keys()]);
  for (const p of partitions) {
    const want = reference.state.get(p) ?? {};
    const got = actual.get(p) ?? {};
    for (const key of new Set([...Object.keys(want), ...Object.keys(got)])) {
      if (want[key] !== got[key]) {
        mismatches += 1;
        if (examples.length < 10)
          examples.push(`partition ${p} ${key}: want ${want[key]}, got ${String(got[key])}`);
      }
    }
  }
  return { mismatches, examples };
}
