import { mulberry32 } from '../../lib/core/random';
/**
 * The walkthrough's "simple string generator" (the seed's SimpleStringGenerator), made
 * deterministic: a tick at (partition, offset) asking for N sentences always yields the same N
 * sentences, because process() may run again for the same records after a crash and must emit
 * the same outputs. No clock, no Math.random: a seeded PRNG per (partition, offset, index).
 */

/** A tick on `generator-ticks`: `{ "count": N }`. */
export interface Tick {
  count: number;
}

/** Ticks asking for more are refused (a typo like 1e9 would otherwise fill the outbox). */
export const MAX_SENTENCES_PER_TICK = 10_000;

// Words skewed towards the front of each list (see pick), so a word count has clear leaders.
const SUBJECTS = [
  'kafka',
  'flink',
  'sluice',
  'the broker',
  'a consumer',
  'the producer',
  'a lambda',
  'the job',
];
const VERBS = ['streams', 'reads', 'writes', 'commits', 'replays', 'buffers', 'counts', 'partitions'];
const OBJECTS = ['events', 'records', 'offsets', 'messages', 'state', 'batches', 'topics', 'checkpoints'];
const ENDINGS = ['exactly once', 'in order', 'at scale', 'durably', 'under backpressure', 'from the log'];

/**
 * Why a tick is not usable, or null when it is. Checked by the function (which logs and skips
 * a bad tick rather than failing its partition forever) and by the walkthrough.
 */
export function tickProblem(value: unknown): string | null {
  const count = (value as Partial<Tick> | null)?.count;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'a tick must be {"count": N}';
  if (!Number.isInteger(count) || (count as number) < 0 || (count as number) > MAX_SENTENCES_PER_TICK) {
    return `count must be an integer from 0 to ${MAX_SENTENCES_PER_TICK}, got ${JSON.stringify(count)}`;
  }
  return null;
}

/**
 * The sentences of one tick.
 *
 * @example
 * tickSentences({ partition: 0, offset: 7 }, 2)
 * // ['Kafka commits offsets in order.', 'The broker reads events exactly once.'] (always these)
 */
export function tickSentences(tick: { partition: number; offset: number }, count: number): string[] {
  return Array.from({ length: count }, (_, i) => sentence(seedOf(tick.partition, tick.offset, i)));
}

/** One sentence from a 32-bit seed. */
export function sentence(seed: number): string {
  const random = mulberry32(seed);
  const words = [pick(SUBJECTS, random), pick(VERBS, random), pick(OBJECTS, random)];
  if (random() < 0.6) words.push(pick(ENDINGS, random));
  const text = words.join(' ');
  return `${text[0]!.toUpperCase()}${text.slice(1)}.`;
}

/** Skewed choice: squaring a uniform draw favours low indexes (roughly Zipf-like). */
function pick(list: readonly string[], random: () => number): string {
  return list[Math.floor(random() ** 2 * list.length)]!;
}

/** Mixes (partition, offset, index) into one 32-bit seed (splitmix-style avalanche). */
function seedOf(partition: number, offset: number, index: number): number {
  let h = 0x9e3779b9;
  for (const n of [partition, Math.floor(offset / 2 ** 32), offset >>> 0, index]) {
    h = Math.imul(h ^ n, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}
