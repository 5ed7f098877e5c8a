/**
 * Benchmark 3, commit cost scaling: bytes and AWS requests of one aws-store commit as the total
 * state grows (1k → 1M keys) while every batch changes 100 keys. Counts, not times: the numbers
 * are deterministic, so there is one pass per size and no interleaving.
 *
 * Two views per size: the warm commit (median of the commits that do not compact: what almost
 * every batch pays) and the amortised commit (mean over whole compaction cycles: what a batch
 * pays on average, compaction included). The default options are measured first, then two
 * alternatives of the store's own knobs, to show where the non-flat parts come from.
 */
import { randomUUID } from 'node:crypto';
import type { TaskId } from '../lib/checkpoint/checkpoint';
import { encodeSnapshot } from '../lib/state/encoding';
import type { Json } from '../lib/state/types';
import { type AwsStoreOptions, createAwsStore } from '../lib/store/aws';
import {
  DEFAULT_COMPACT_AFTER_DELTAS,
  DEFAULT_INLINE_STATE_LIMIT_BYTES,
  MAX_COMPACT_AFTER_DELTAS,
} from '../lib/store/aws-options';
import { type BenchAws, createBenchAws } from './lib/aws';
import { type BenchContext, runBench } from './lib/bench';
import { prng } from './lib/data';
import { fmtBytes, fmtInt, fmtNum, fmtRatio } from './lib/format';
import { ensureStack } from './lib/stack';
import { mean, median, type Ratio } from './lib/stats';

const CHANGED_KEYS = 100;

interface CommitSample {
  bytesSent: number;
  bytesReceived: number;
  requests: number;
  kind: string;
  compacted: boolean;
}

interface SizeResult {
  keys: number;
  snapshotBytes: number;
  samples: CommitSample[];
}

interface Variant {
  name: string;
  options: Partial<AwsStoreOptions>;
  sizes: number[];
  commits: number;
}

runBench(
  { name: 'commit-cost', title: 'Commit cost scaling (aws store)', script: import.meta.url },
  async (ctx) => {
    const sizes = ctx.pick({ full: [1_000, 10_000, 100_000, 1_000_000], smoke: [1_000, 10_000, 100_000] });
    // A cycle: `compactAfterDeltas` delta commits, then the compacting one. Measuring from the first
    // commit after the state is created, whole cycles make the mean an exact amortisation.
    const cycle = DEFAULT_COMPACT_AFTER_DELTAS + 1;
    const cycles = ctx.pick({ full: 3, smoke: 1 });
    const variants: Variant[] = [
      { name: 'default', options: {}, sizes, commits: cycle * cycles },
      {
        name: 'inline limit 100 KB (default before 3bdf251)',
        options: { inlineStateLimitBytes: 100 * 1024 },
        sizes,
        commits: cycle * cycles,
      },
      {
        name: `compactAfterDeltas ${MAX_COMPACT_AFTER_DELTAS}`,
        options: { compactAfterDeltas: MAX_COMPACT_AFTER_DELTAS },
        sizes: sizes.filter((k) => k >= 10_000),
        commits: ctx.pick({ full: MAX_COMPACT_AFTER_DELTAS + 1, smoke: cycle }),
      },
    ];
    ctx.method(
      `aws store on DynamoDB Local + moto S3. Default options: state inline in the item up to ${fmtBytes(DEFAULT_INLINE_STATE_LIMIT_BYTES)}, else S3 snapshot + delta chain compacted after ${DEFAULT_COMPACT_AFTER_DELTAS} deltas.`,
    );
    ctx.method(
      `Per size: one commit creates the state (keys \`counts/w0000123\`, small integers); then each measured commit sets ${CHANGED_KEYS} existing keys chosen at random (no outbox). Default: ${cycle * cycles} measured commits = ${cycles} whole compaction cycle(s).`,
    );
    ctx.method(
      `Alternatives: inline limit 100 KB (the default until commit 3bdf251: a small state is rewritten whole in the item on each commit); compactAfterDeltas ${MAX_COMPACT_AFTER_DELTAS} (the maximum: rarer compaction, longer delta list in the item), ${ctx.pick({ full: MAX_COMPACT_AFTER_DELTAS + 1, smoke: cycle })} commits.`,
    );
    ctx.method(
      'bytes sent = the store`s own `cost.bytes` (request payloads: item, objects); bytes received = response Content-Length, counted by client middleware; requests = DynamoDB + S3 calls, DeleteObjects included.',
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
    const started = performance.now();
    results.push(await measureSize(store, keys, variant.commits, aws.received));
    await store.close();
    ctx.log(
      `  ${variant.name}: ${fmtInt(keys)} keys, ${variant.commits} commits in ${fmtNum((performance.now() - started) / 1000)} s`,
    );
  }

  const warm = (r: SizeResult) => r.samples.filter((s) => !s.compacted);
  const warmBytes = (r: SizeResult) => median(warm(r).map((s) => s.bytesSent));
  const warmRequests = (r: SizeResult) => median(warm(r).map((s) => s.requests));
  const amortisedBytes = (r: SizeResult) => mean(r.samples.map((s) => s.bytesSent + s.bytesReceived));
  const amortisedRequests = (r: SizeResult) => mean(r.samples.map((s) => s.requests));
  const base = results[0]!;
  const ratio = (value: number, baseline: number): Ratio => ({
    median: value / baseline,
    min: value / baseline,
    max: value / baseline,
    rounds: [value / baseline],
  });

  ctx.table({
    title: `${variant.name}: per commit, ${CHANGED_KEYS} changed keys (warm = median of non-compacting commits; amortised = mean over ${variant.commits} commits)`,
    columns: [
      'state keys',
      'state size',
      'warm layout',
      'warm bytes sent',
      'warm requests',
      'amortised bytes sent',
      'amortised bytes received',
      'amortised requests',
      'compactions',
      `warm bytes vs ${fmtInt(base.keys)}`,
      `amortised bytes vs ${fmtInt(base.keys)}`,
    ],
    rows: results.map((r) => [
      fmtInt(r.keys),
      fmtBytes(r.snapshotBytes),
      [...new Set(warm(r).map((s) => s.kind))].join('+'),
      fmtInt(warmBytes(r)),
      fmtNum(warmRequests(r), 0),
      fmtInt(mean(r.samples.map((s) => s.bytesSent))),
      fmtInt(mean(r.samples.map((s) => s.bytesReceived))),
      fmtNum(amortisedRequests(r), 2),
      String(r.samples.filter((s) => s.compacted).length),
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
  ctx.target({
    label: label('warm commit bytes', base),
    op: 'within',
    value: 0.1,
    ratio: growth(warmBytes, base),
  });
  if (primary) {
    ctx.target({
      label: label('warm commit requests', base),
      op: 'within',
      value: 0.1,
      ratio: growth(warmRequests, base),
    });
  }
  const firstSpilled = results.find((r) => warm(r).some((s) => s.kind === 'delta'));
  if (firstSpilled) {
    if (firstSpilled !== base) {
      ctx.target({
        label: label('warm commit bytes, S3-spilled states', firstSpilled),
        op: 'within',
        value: 0.1,
        ratio: growth(warmBytes, firstSpilled),
      });
    }
    ctx.target({
      label: label('amortised bytes (sent+received) incl. compaction, S3-spilled states', firstSpilled),
      op: 'within',
      value: 0.1,
      ratio: growth(amortisedBytes, firstSpilled),
    });
    if (primary) {
      ctx.target({
        label: label('amortised requests incl. compaction, S3-spilled states', firstSpilled),
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
      warmBytes: warmBytes(r),
      warmRequests: warmRequests(r),
      amortisedBytesSent: mean(r.samples.map((s) => s.bytesSent)),
      amortisedBytesReceived: mean(r.samples.map((s) => s.bytesReceived)),
      amortisedRequests: amortisedRequests(r),
      compactions: r.samples.filter((s) => s.compacted).length,
      compactionBytesSent: r.samples.filter((s) => s.compacted).map((s) => s.bytesSent),
    })),
  );
}

async function measureSize(
  store: ReturnType<typeof createAwsStore>,
  keys: number,
  commits: number,
  received: () => number,
): Promise<SizeResult> {
  const task: TaskId = { fn: 'bench-commit-cost', topic: `t-${randomUUID()}`, partition: 0 };
  const key = (i: number) => `counts/w${String(i).padStart(7, '0')}`;
  const state: Array<[string, Json]> = [];
  for (let i = 0; i < keys; i++) state.push([key(i), 1]);
  let { checkpoint } = await store.commit({
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
  for (let i = 0; i < commits; i++) {
    const chosen = new Set<number>();
    while (chosen.size < CHANGED_KEYS) chosen.add(Math.floor(random() * keys));
    const set: Array<[string, Json]> = [...chosen].map((k) => [key(k), 2 + i]);
    const before = { deletes: store.stats().objectDeletes, received: received() };
    const result = await store.commit({
      task,
      expectedVersion: checkpoint.version,
      next: checkpoint.next + 100,
      delta: { set, del: [] },
      stateKeys: keys,
      outbox: null,
      committedAt: Date.now(),
    });
    checkpoint = result.checkpoint;
    const { cost } = result;
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
    });
  }
  return { keys, snapshotBytes, samples };
}
