/**
 * Benchmark 3, commit cost scaling: bytes and AWS requests of one aws-store commit as the total
 * state grows (1k → 1M keys) while every batch changes 100 keys. Counts, not times: the numbers
 * are deterministic (seeded keys), so there is one pass per size and no interleaving.
 *
 * Two views per size: the warm commit (median of the commits that read no object: what most
 * batches pay) and the amortised commit (mean over whole cycles, each ending with the commit
 * that rewrites the snapshot: what a batch pays on average, merges and full compactions
 * included). Measurement starts right after the commit that creates the state (a fresh snapshot,
 * an empty chain: the start of a cycle) and stops at the first full compaction after
 * `minCommits`, so the mean is an exact amortisation, not an estimate. The default options
 * (tiered delta merging) are measured first, then merging off (`deltaFanIn: 0`, the behaviour
 * before tiering: full compaction every `compactAfterDeltas` commits), side by side.
 */
import { randomUUID } from 'node:crypto';
import type { TaskId } from '../lib/core/checkpoint';
import type { Json } from '../lib/core/state-types';
import { encodeSnapshot } from '../lib/state/encoding';
import { type AwsStoreOptions, createAwsStore } from '../lib/store/aws';
import {
  DEFAULT_CHAIN_TO_SNAPSHOT_RATIO,
  DEFAULT_COMPACT_AFTER_DELTAS,
  DEFAULT_DELTA_FAN_IN,
  DEFAULT_INLINE_STATE_LIMIT_BYTES,
} from '../lib/store/aws-options';
import { type BenchAws, createBenchAws } from './lib/aws';
import { type BenchContext, runBench } from './lib/bench';
import { prng } from './lib/data';
import { fmtBytes, fmtInt, fmtNum, fmtRatio } from './lib/format';
import { ensureStack } from './lib/stack';
import { max, mean, median, type Ratio } from './lib/stats';

const CHANGED_KEYS = 100;

interface CommitSample {
  bytesSent: number;
  bytesReceived: number;
  requests: number;
  kind: string;
  /** full compaction: snapshot and chain read back, a new snapshot written */
  compacted: boolean;
  /** deltas read back and merged into this commit's object */
  merged: number;
  /** deltas in the chain after this commit */
  chain: number;
}

interface SizeResult {
  keys: number;
  snapshotBytes: number;
  samples: CommitSample[];
  /** the measurement ended at a full compaction (whole cycles) */
  wholeCycles: boolean;
  seconds: number;
}

interface Variant {
  name: string;
  options: Partial<AwsStoreOptions>;
  sizes: number[];
  /** measure at least this many commits, then stop at the next full compaction */
  minCommits: number;
  /** give up on whole cycles past this many commits (reported) */
  maxCommits: number;
}

runBench(
  { name: 'commit-cost', title: 'Commit cost scaling (aws store)', script: import.meta.url },
  async (ctx) => {
    const sizes = ctx.pick({ full: [1_000, 10_000, 100_000, 1_000_000], smoke: [1_000, 10_000, 100_000] });
    const untiered = DEFAULT_COMPACT_AFTER_DELTAS + 1;
    const variants: Variant[] = [
      {
        name: 'default',
        options: {},
        sizes,
        minCommits: ctx.pick({ full: 200, smoke: 50 }),
        maxCommits: ctx.pick({ full: 40_000, smoke: 5_000 }),
      },
      {
        name: 'merging off (deltaFanIn 0: the layout before tiering)',
        options: { deltaFanIn: 0 },
        sizes,
        minCommits: ctx.pick({ full: 3 * untiered, smoke: untiered }),
        maxCommits: ctx.pick({ full: 10 * untiered, smoke: 3 * untiered }),
      },
    ];
    ctx.method(
      `aws store on DynamoDB Local + moto S3. Default options: state inline in the item up to ${fmtBytes(DEFAULT_INLINE_STATE_LIMIT_BYTES)}, else an S3 snapshot + a chain of delta objects; every commit that completes ${DEFAULT_DELTA_FAN_IN} deltas of one level at the chain's tail merges them into one of the next level (deltaFanIn ${DEFAULT_DELTA_FAN_IN}, cascading); the snapshot is rewritten (full compaction) when the chain outweighs ${DEFAULT_CHAIN_TO_SNAPSHOT_RATIO === 1 ? 'the snapshot' : `${DEFAULT_CHAIN_TO_SNAPSHOT_RATIO}× the snapshot`} or would exceed ${DEFAULT_COMPACT_AFTER_DELTAS} deltas.`,
    );
    ctx.method(
      `Per size: one commit creates the state (keys \`counts/w0000123\`, small integers); then each measured commit sets ${CHANGED_KEYS} existing keys chosen at random (seeded; one-digit values, so deltas weigh the same at every size; no outbox). Measured from the first commit after the state was created (fresh snapshot, empty chain) up to and including the first full compaction after ${variants[0]!.minCommits} commits: whole cycles, so the amortised mean includes the snapshot rewrites at every size, measured, not extrapolated (the "whole cycles" column says so for every row).`,
    );
    ctx.method(
      `Alternative: merging off (\`deltaFanIn: 0\`), i.e. the layout before tiering: full compaction when the chain exceeds ${DEFAULT_COMPACT_AFTER_DELTAS} deltas or outweighs the snapshot; at least ${variants[1]!.minCommits} commits, same stop rule.`,
    );
    ctx.method(
      'bytes sent = the store`s own `cost.bytes` (request payloads: item, objects); bytes received = response Content-Length, counted by client middleware; requests = DynamoDB + S3 calls, DeleteObjects included. Warm = median over the commits that read no object (no merge, no compaction). Chain = deltas in the item after the commit (a cold load reads 1 + chain objects).',
    );
    await ensureStack(['dynamodb', 's3'], ctx.log);
    const aws = await createBenchAws();
    try {
      for (const variant of variants) await runVariant(ctx, aws, variant, variant === variants[0]);
    } finally {
      await aws.cleanup();
    }
  },
);

async function runVariant(
  ctx: BenchContext,
  aws: BenchAws,
  variant: Variant,
  primary: boolean,
): Promise<void> {
  const results: SizeResult[] = [];
  for (const keys of variant.sizes) {
    const store = createAwsStore({
      table: aws.table,
      bucket: aws.bucket,
      dynamodb: aws.dynamodb,
      s3: aws.s3,
      ...variant.options,
    });
    const result = await measureSize(store, keys, variant, aws.received);
    results.push(result);
    await store.close();
    ctx.log(
      `  ${variant.name}: ${fmtInt(keys)} keys, ${result.samples.length} commits (${result.samples.filter((s) => s.compacted).length} full compactions) in ${fmtNum(result.seconds)} s`,
    );
    if (!result.wholeCycles) {
      ctx.note(
        `${variant.name}, ${fmtInt(keys)} keys: no full compaction within ${variant.maxCommits} commits: the amortised mean covers a partial cycle (no snapshot rewrite share beyond what was measured).`,
      );
    }
  }

  const warm = (r: SizeResult) => r.samples.filter((s) => !s.compacted && s.merged === 0);
  const warmBytes = (r: SizeResult) => median(warm(r).map((s) => s.bytesSent));
  const warmRequests = (r: SizeResult) => median(warm(r).map((s) => s.requests));
  const bytesOf = (s: CommitSample) => s.bytesSent + s.bytesReceived;
  const amortisedBytes = (r: SizeResult) => mean(r.samples.map(bytesOf));
  const amortisedRequests = (r: SizeResult) => mean(r.samples.map((s) => s.requests));
  /** bytes of the full compactions, spread over all measured commits */
  const compactionShare = (r: SizeResult) =>
    r.samples.filter((s) => s.compacted).reduce((sum, s) => sum + bytesOf(s), 0) / r.samples.length;
  /** bytes of the merging commits (their own delta and item included), spread over all commits */
  const mergeShare = (r: SizeResult) =>
    r.samples.filter((s) => s.merged > 0).reduce((sum, s) => sum + bytesOf(s), 0) / r.samples.length;
  const base = results[0]!;
  const ratio = (value: number, baseline: number): Ratio => ({
    median: value / baseline,
    min: value / baseline,
    max: value / baseline,
    rounds: [value / baseline],
  });

  ctx.table({
    title: `${variant.name}: per commit, ${CHANGED_KEYS} changed keys (warm = median of commits reading no object; amortised = mean over whole cycles, full compactions included)`,
    columns: [
      'state keys',
      'state size',
      'commits',
      'whole cycles',
      'warm layout',
      'warm bytes sent',
      'warm requests',
      'merging commits',
      'amortised bytes sent',
      'amortised bytes received',
      'amortised bytes sent+received',
      'of which merging commits',
      'of which full compactions',
      'amortised requests',
      'chain max / mean',
      `warm bytes vs ${fmtInt(base.keys)}`,
      `amortised bytes vs ${fmtInt(base.keys)}`,
    ],
    rows: results.map((r) => [
      fmtInt(r.keys),
      fmtBytes(r.snapshotBytes),
      fmtInt(r.samples.length),
      r.wholeCycles ? `yes (${r.samples.filter((s) => s.compacted).length})` : 'NO (partial)',
      [...new Set(warm(r).map((s) => s.kind))].join('+'),
      fmtInt(warmBytes(r)),
      fmtNum(warmRequests(r), 0),
      fmtInt(r.samples.filter((s) => s.merged > 0).length),
      fmtInt(mean(r.samples.map((s) => s.bytesSent))),
      fmtInt(mean(r.samples.map((s) => s.bytesReceived))),
      fmtInt(amortisedBytes(r)),
      fmtInt(mergeShare(r)),
      fmtInt(compactionShare(r)),
      fmtNum(amortisedRequests(r), 2),
      `${max(r.samples.map((s) => s.chain))} / ${fmtNum(mean(r.samples.map((s) => s.chain)))}`,
      fmtRatio(ratio(warmBytes(r), warmBytes(base))),
      fmtRatio(ratio(amortisedBytes(r), amortisedBytes(base))),
    ]),
  });

  /** The ratios of every size to `from` (the first size, or the first spilled one). */
  const growth = (metric: (r: SizeResult) => number, from: SizeResult): Ratio => {
    const values = results.slice(results.indexOf(from)).map((r) => metric(r) / metric(from));
    return { median: values.at(-1)!, min: Math.min(...values), max: Math.max(...values), rounds: values };
  };
  const span = (from: SizeResult) => `${fmtInt(from.keys)} → ${fmtInt(results.at(-1)!.keys)} keys`;
  const label = (what: string, from: SizeResult) =>
    `${primary ? '' : `[${variant.name}] `}${what}, ${span(from)} (ratio at the largest [range])`;
  if (primary) {
    ctx.target({
      label: label('warm commit bytes', base),
      op: 'within',
      value: 0.1,
      ratio: growth(warmBytes, base),
    });
    ctx.target({
      label: label('warm commit requests', base),
      op: 'within',
      value: 0.1,
      ratio: growth(warmRequests, base),
    });
  }
  const firstSpilled = results.find((r) => warm(r).some((s) => s.kind === 'delta'));
  if (firstSpilled) {
    if (firstSpilled !== base && primary) {
      ctx.target({
        label: label('warm commit bytes, S3-spilled states', firstSpilled),
        op: 'within',
        value: 0.1,
        ratio: growth(warmBytes, firstSpilled),
      });
    }
    ctx.target({
      label: label(
        'amortised bytes (sent+received) incl. merges and full compactions, S3-spilled states',
        firstSpilled,
      ),
      op: 'within',
      value: 0.1,
      ratio: growth(amortisedBytes, firstSpilled),
    });
    if (primary) {
      ctx.target({
        label: label('amortised requests incl. merges and full compactions, S3-spilled states', firstSpilled),
        op: 'within',
        value: 0.1,
        ratio: growth(amortisedRequests, firstSpilled),
      });
    }
  }
  ctx.raw(
    variant.name,
    results.map((r) => ({
      keys: r.keys,
      snapshotBytes: r.snapshotBytes,
      commits: r.samples.length,
      wholeCycles: r.wholeCycles,
      seconds: r.seconds,
      warmBytes: warmBytes(r),
      warmRequests: warmRequests(r),
      amortisedBytesSent: mean(r.samples.map((s) => s.bytesSent)),
      amortisedBytesReceived: mean(r.samples.map((s) => s.bytesReceived)),
      amortisedMergeShare: mergeShare(r),
      amortisedCompactionShare: compactionShare(r),
      amortisedRequests: amortisedRequests(r),
      merges: r.samples.filter((s) => s.merged > 0).length,
      compactions: r.samples.filter((s) => s.compacted).length,
      compactionAt: r.samples.flatMap((s, i) => (s.compacted ? [i + 1] : [])),
      compactionBytes: r.samples.filter((s) => s.compacted).map(bytesOf),
      chainMax: max(r.samples.map((s) => s.chain)),
      chainMean: mean(r.samples.map((s) => s.chain)),
    })),
  );
}

async function measureSize(
  store: ReturnType<typeof createAwsStore>,
  keys: number,
  variant: Variant,
  received: () => number,
): Promise<SizeResult> {
  const started = performance.now();
  const task: TaskId = { fn: 'bench-commit-cost', topic: `t-${randomUUID()}`, partition: 0 };
  const key = (i: number) => `counts/w${String(i).padStart(7, '0')}`;
  const state: Array<[string, Json]> = [];
  for (let i = 0; i < keys; i++) state.push([key(i), 1]);
  // The caller keeps the store's base between commits, as the coordinator's warm cache does.
  let { checkpoint, base } = await store.commit({
    task,
    expectedVersion: 0,
    next: 100,
    delta: { set: state, del: [] },
    stateKeys: keys,
    outbox: null,
    committedAt: Date.now(),
  });
  const snapshotBytes = Buffer.byteLength(encodeSnapshot(new Map(state)));
  const random = prng(keys);
  const samples: CommitSample[] = [];
  let chain = 0;
  let wholeCycles = false;
  for (let i = 0; i < variant.maxCommits; i++) {
    const chosen = new Set<number>();
    while (chosen.size < CHANGED_KEYS) chosen.add(Math.floor(random() * keys));
    // One digit, like the initial 1: sizes run different numbers of commits, and a value
    // growing with the commit index would make the later (bigger) sizes' deltas heavier.
    const set: Array<[string, Json]> = [...chosen].map((k) => [key(k), 2 + (i % 8)]);
    const before = { deletes: store.stats().objectDeletes, received: received() };
    const result = await store.commit({
      task,
      expectedVersion: checkpoint.version,
      next: checkpoint.next + 100,
      delta: { set, del: [] },
      stateKeys: keys,
      outbox: null,
      committedAt: Date.now(),
      base,
    });
    checkpoint = result.checkpoint;
    base = result.base;
    const { cost } = result;
    // A delta commit reads objects only to merge them (no outbox here): its GETs are the
    // deltas it replaced with its one object.
    const merged = result.stateWrite === 'delta' ? cost.objectGets : 0;
    if (result.stateWrite === 'delta') chain = chain - merged + 1;
    else if (result.compacted) chain = 0;
    samples.push({
      bytesSent: cost.bytes,
      bytesReceived: received() - before.received,
      requests:
        cost.reads +
        cost.writes +
        cost.objectGets +
        cost.objectPuts +
        (store.stats().objectDeletes - before.deletes),
      kind: result.stateWrite,
      compacted: result.compacted,
      merged,
      chain,
    });
    if (result.compacted && samples.length >= variant.minCommits) {
      wholeCycles = true;
      break;
    }
  }
  return { keys, snapshotBytes, samples, wholeCycles, seconds: (performance.now() - started) / 1000 };
}
