import { randomBytes } from 'node:crypto';

/**
 * One run of the walkthrough. Topics carry a suffix unique to the run, so runs never see each
 * other's records, checkpoints (tasks are per topic), consumer-group or outbox offsets, and no
 * topic anyone else uses (`test` on a shared broker) is touched.
 */
export interface WalkthroughPlan {
  run: string;
  /** serverless.yml topic name → this run's topic */
  topic(name: string): string;
  /** consumer group of a trigger for this run */
  group(name: string): string;
  topics: Array<{ name: string; partitions: number }>;
  /** tick values, `{count}` each, produced to generator-ticks round-robin over its partitions */
  ticks: number[];
}

/** The topics of the seed walkthrough and their partitions (several, to show parallelism). */
export const WALKTHROUGH_TOPICS = [
  { name: 'generator-ticks', partitions: 2 },
  // the generator's onError: 'quarantine-key' publishes malformed ticks here
  { name: 'generator-ticks.quarantine', partitions: 1 },
  { name: 'test', partitions: 4 },
  { name: 'word-counts', partitions: 4 },
  { name: 'word-count-failures', partitions: 1 },
  { name: 'words', partitions: 4 },
  { name: 'word-totals', partitions: 4 },
  { name: 'word-counts-5s', partitions: 2 },
  { name: 'late-words', partitions: 1 },
] as const;

export function createPlan(options: { sentences: number; perTick: number; run?: string }): WalkthroughPlan {
  const run = options.run ?? `w${randomBytes(3).toString('hex')}`;
  const ticks: number[] = [];
  for (let left = options.sentences; left > 0; left -= options.perTick)
    ticks.push(Math.min(left, options.perTick));
  const topic = (name: string) => `${name}-${run}`;
  return {
    run,
    topic,
    group: (name: string) => `${name}-${run}`,
    topics: WALKTHROUGH_TOPICS.map((t) => ({ name: topic(t.name), partitions: t.partitions })),
    ticks,
  };
}
