import { type Command, InvalidArgumentError } from 'commander';
import { type RewindTarget, type RewoundTask, rewindTasks } from '../../../lib/checkpoint/rewind';
import { ConfigError } from '../../../lib/core/errors';
import { action, type CliContext, type CommandEnv } from '../context';
import { assertTriggerStopped, type RewindContext, rewindContext } from '../rewind-context';
import { type Column, formatTable } from '../table';

interface RewindOptions {
  to?: string;
  from?: string;
  partition?: number;
  group?: string;
  execute?: boolean;
}

const AFTER_HELP = `
With the trigger stopped (the command checks its consumer group has no members, and prints what
to run when it has), per partition task:
  1. publishes the pending outbox of the current checkpoint, if any (the old history's outputs
     all reach Kafka once);
  2. fences the task's transactional id (a zombie's publish in flight is aborted);
  3. commits the target state and next offset on the current checkpoint, with a new epoch: no
     invocation from before can commit or re-run on it;
  4. moves the outbox marker to the new next offset, so the replayed batches publish again, once;
then moves the trigger's consumer group offsets to the new next offsets.
Without --execute it prints the plan and changes nothing. Interrupted? Run it again: every step
reaches the same end.`;

/** `sluice rewind <fn> --to <savepoint | ISO time | earliest | latest | checkpoints>`. */
export function registerRewindCommand(program: Command, ctx: CliContext): void {
  program
    .command('rewind')
    .description('go back (or forward) to a savepoint or a time: state, offsets, trigger and outputs in line')
    .argument('<function>', 'function name in serverless.yml (or a module path)')
    .requiredOption(
      '--to <target>',
      'a savepoint name; an ISO time (empty state from the first record at or after it); earliest; latest; ' +
        'or checkpoints (keep the checkpoints, bring markers and trigger in line: after a table restore)',
    )
    .option('--partition <n>', 'only this partition (not with a savepoint)', partitionNumber)
    .option('--group <id>', "the trigger's consumer group (default: consumerGroupId in serverless.yml)")
    .option('--execute', 'do it (default: print the plan only)')
    .addHelpText('after', AFTER_HELP)
    .action(action(ctx, (env, name: string, opts: RewindOptions) => run(env, name, opts.to!, opts)));
}

/** `sluice reset <fn>`: a rewind to empty state, from the earliest (or latest) offset. */
export function registerResetCommand(program: Command, ctx: CliContext): void {
  program
    .command('reset')
    .description(
      'start a function (or one partition) over with empty state, from the earliest or latest offset',
    )
    .argument('<function>', 'function name in serverless.yml (or a module path)')
    .option(
      '--from <position>',
      'earliest (default: reprocess what the topic holds) or latest (skip it)',
      'earliest',
    )
    .option('--partition <n>', 'only this partition', partitionNumber)
    .option('--group <id>', "the trigger's consumer group (default: consumerGroupId in serverless.yml)")
    .option('--execute', 'do it (default: print the plan only)')
    .addHelpText('after', AFTER_HELP.replace('the target state', 'empty state'))
    .action(
      action(ctx, (env, name: string, opts: RewindOptions) => {
        if (opts.from !== 'earliest' && opts.from !== 'latest') {
          throw new InvalidArgumentError(`--from is earliest or latest, got ${opts.from}`);
        }
        return run(env, name, opts.from, opts);
      }),
    );
}

async function run(env: CommandEnv, name: string, to: string, opts: RewindOptions): Promise<void> {
  const rc = await rewindContext(env, name, { group: opts.group, partition: opts.partition });
  try {
    const target = await targetOf(env, rc, to, opts.partition);
    const partitions = [...rc.watermarks.keys()].sort((a, b) => a - b);
    const plan = await Promise.all(
      partitions.map(async (partition) => {
        const checkpoint = await rc.store.peek({
          fn: rc.definition.name,
          topic: rc.definition.source.topic,
          partition,
        });
        return { partition, from: checkpoint?.next ?? null, to: nextOf(target, partition, checkpoint?.next) };
      }),
    );
    const header = `${rc.definition.name} (${rc.definition.source.topic}, namespace ${rc.namespace}, ${rc.store.kind} store, trigger group ${rc.group})`;
    if (!opts.execute) {
      if (env.options.json)
        return env.json({
          function: rc.definition.name,
          target: describe(target, to),
          plan,
          executed: false,
        });
      env.note(`plan: rewind ${header} to ${describe(target, to)}`);
      env.print(formatTable(plan, columns));
      env.note('nothing changed: add --execute to do it (with the trigger stopped)');
      return;
    }
    await assertTriggerStopped(rc);
    const rewound = await rewindTasks(
      {
        store: rc.store,
        publishers: rc.publishers,
        markers: rc.markers,
        namespace: rc.namespace,
        now: Date.now,
      },
      rc.definition,
      target,
      partitions,
    );
    const offsets = new Map(rewound.map((r) => [r.partition, r.to]));
    if (offsets.size > 0) await rc.kafka.admin().setOffsets(rc.group, rc.definition.source.topic, offsets);
    if (env.options.json)
      return env.json({
        function: rc.definition.name,
        target: describe(target, to),
        rewound,
        executed: true,
      });
    env.note(`rewound ${header} to ${describe(target, to)}`);
    env.print(
      formatTable(rewound, [
        ...columns,
        { header: 'EPOCH', value: (r: RewoundTask) => r.epoch },
        { header: 'STATE KEYS', value: (r: RewoundTask) => r.stateKeys },
        { header: 'LAST OUTBOX', value: (r: RewoundTask) => r.flushedOutbox },
      ]),
    );
    env.note(
      'start the trigger again: it delivers from NEW NEXT; replayed outputs are published again, once',
    );
  } finally {
    await rc.publishers.kafka?.close();
  }
}

interface PlanRow {
  partition: number;
  from: number | null;
  to: number | null;
}
const columns: Array<Column<PlanRow>> = [
  { header: 'PARTITION', value: (r) => r.partition },
  { header: 'NEXT', value: (r) => r.from },
  { header: 'NEW NEXT', value: (r) => r.to },
];

async function targetOf(
  env: CommandEnv,
  rc: RewindContext,
  to: string,
  partition?: number,
): Promise<RewindTarget> {
  if (to === 'earliest' || to === 'latest') {
    return {
      kind: 'offsets',
      label: to,
      offsets: new Map([...rc.watermarks].map(([p, w]) => [p, to === 'earliest' ? w.low : w.high])),
    };
  }
  if (to === 'checkpoints') return { kind: 'checkpoints' };
  if (/^\d{4}-\d{2}-\d{2}/.test(to)) {
    const time = Date.parse(to);
    if (Number.isNaN(time))
      throw new ConfigError(`--to ${to} is not an ISO time (e.g. 2026-12-01T09:00:00Z)`);
    const offsets = await rc.kafka.admin().offsetsForTimestamp(rc.definition.source.topic, time);
    env.note(
      `no savepoint: the tasks start over with EMPTY state from the first record at or after ${new Date(time).toISOString()}. ` +
        'To keep state, rewind to a savepoint instead (sluice savepoint --list)',
    );
    return {
      kind: 'offsets',
      label: new Date(time).toISOString(),
      offsets: new Map([...offsets].filter(([p]) => rc.watermarks.has(p))),
    };
  }
  const savepoint = await rc.store.savepoints.get(rc.definition.name, to);
  if (!savepoint) {
    const known = (await rc.store.savepoints.list(rc.definition.name)).map((s) => s.name);
    throw new ConfigError(
      `no savepoint "${to}" of ${rc.definition.name} in the ${rc.store.kind} store` +
        (known.length > 0 ? `: choose one of ${known.join(', ')}` : ': take one with sluice savepoint') +
        ', or give an ISO time, earliest, latest or checkpoints',
    );
  }
  if (partition !== undefined) {
    throw new ConfigError(
      'a savepoint is rewound whole: leave out --partition (it restores every partition together)',
    );
  }
  return { kind: 'savepoint', savepoint };
}

function nextOf(target: RewindTarget, partition: number, current: number | undefined): number | null {
  if (target.kind === 'checkpoints') return current ?? null;
  if (target.kind === 'offsets') return target.offsets.get(partition) ?? null;
  return target.savepoint.partitions.find((p) => p.partition === partition)?.next ?? null;
}

function describe(target: RewindTarget, to: string): string {
  if (target.kind === 'savepoint')
    return `savepoint "${to}" (${new Date(target.savepoint.createdAt).toISOString()})`;
  if (target.kind === 'checkpoints') return 'the checkpoints as they are';
  return `${target.label} with empty state`;
}

function partitionNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a partition number (0, 1, ...)');
  return n;
}
