import type { Command } from 'commander';
import { action, type CliContext, type CommandEnv } from '../context';
import { checkpointRows, optionalKafka } from '../inspect';
import { loadHandler, resolveFunction } from '../resolve-function';
import { formatTable } from '../table';

/** `sluice checkpoints <fn>`: per partition, what is applied, committed and still to do. */
export function registerCheckpointsCommand(program: Command, ctx: CliContext): void {
  program
    .command('checkpoints')
    .description('per partition: next offset, version, state keys, last outbox, end offset and lag')
    .argument('<function>', 'function name in serverless.yml (or a module path)')
    .option(
      '--topic <name>',
      "the source topic (default: the function's; e.g. a walkthrough run's test-<run>)",
    )
    .option('--no-kafka', 'read the store only (no end offsets, lag or outbox delivery)')
    .addHelpText(
      'after',
      `
Columns: NEXT is the next source offset to apply; LAG = END (the partition's end offset) - NEXT,
which counts transaction markers too; TIME LAG = now - the timestamp of the oldest record not
applied yet (0 when caught up); AGE = now - when the checkpoint was committed; OUTBOX is the last committed batch's outputs and whether
Kafka confirms them published (consumer group sluice.<namespace>.<function>.outbox).`,
    )
    .action(
      action(ctx, async (env, name: string, opts: { kafka: boolean; topic?: string }) => {
        const definition = (await loadHandler(await resolveFunction(name, env.configPath, env.env)))
          .definition;
        const store = await env.store();
        const kafka = opts.kafka ? await optionalKafka(env.kafka, env.note) : null;
        const topic = opts.topic ?? definition.source.topic;
        // Only the outbox marker needs it (Kafka).
        const namespace = kafka ? await env.namespace() : undefined;
        const rows = await checkpointRows(definition, store, kafka, topic, namespace);
        if (env.options.json)
          return env.json({ function: definition.name, store: store.kind, checkpoints: rows });
        header(env, definition.name, topic, store.kind);
        if (rows.length === 0) return env.note('no checkpoints yet');
        env.print(
          formatTable(rows, [
            { header: 'PARTITION', value: (r) => r.partition },
            { header: 'NEXT', value: (r) => r.next },
            { header: 'VERSION', value: (r) => r.version },
            { header: 'STATE KEYS', value: (r) => r.stateKeys },
            { header: 'OUTBOX', value: (r) => outboxText(env, r.outbox, r.outboxStatus) },
            { header: 'END', value: (r) => r.end, align: 'right' },
            { header: 'LAG', value: (r) => r.lag, align: 'right' },
            {
              header: 'TIME LAG',
              value: (r) => formatAge(r.timeLagMs, r.end === null ? '' : '?'),
              align: 'right',
            },
            { header: 'AGE', value: (r) => formatAge(r.checkpointAgeMs, '-'), align: 'right' },
            { header: 'COMMITTED', value: (r) => r.committedAt },
          ]),
        );
        for (const r of rows) {
          if (r.end !== null && r.end < r.next) {
            env.note(
              env.err.yellow(
                `partition ${r.partition}: the log ends at ${r.end}, before the checkpoint's next offset ${r.next}: ` +
                  `was the topic deleted and recreated, or truncated? Start the task over: sluice reset ${name} --partition ${r.partition}`,
              ),
            );
          }
        }
      }),
    );
}

/** A duration the way a person reads it: 850ms, 12.3s, 4m05s, 3h12m, 2d04h. */
export function formatAge(ms: number | null, missing: string): string {
  if (ms === null) return missing;
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const pad = (n: number) => String(Math.floor(n)).padStart(2, '0');
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${pad((ms % 60_000) / 1_000)}s`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)}h${pad((ms % 3_600_000) / 60_000)}m`;
  return `${Math.floor(ms / 86_400_000)}d${pad((ms % 86_400_000) / 3_600_000)}h`;
}

export function header(env: CommandEnv, fn: string, topic: string, store: string): void {
  env.print(env.out.dim(`function ${fn} · topic ${topic} · store ${store}`));
}

function outboxText(env: CommandEnv, count: number, status: string): string {
  if (status === 'none') return '-';
  if (status === 'pending') return env.out.yellow(`${count} pending`);
  if (status === 'published') return `${count} published`;
  return `${count}`;
}
