import { type Command, InvalidArgumentError } from 'commander';
import { confirmOutbox } from '../../../lib/checkpoint/flush';
import {
  abortTaskTransaction,
  inspectTaskTransactions,
  markOutboxPublished,
  type TaskTransactionState,
} from '../../../lib/sink/task-transactions';
import { action, type CliContext, type CommandEnv } from '../context';
import { loadHandler, resolveFunction } from '../resolve-function';
import { formatTable } from '../table';
import { UsageError } from '../usage-error';

interface TransactionsOptions {
  partition?: number;
  abort?: boolean;
  clearOutbox?: boolean;
  yes?: boolean;
}

/**
 * `sluice transactions <fn> [--partition N] [--abort | --clear-outbox --yes]`: per partition
 * task, the checkpoint, the pending outbox and whether Kafka has it (the outbox marker), and the
 * two ways out of a stuck task.
 */
export function registerTransactionsCommand(program: Command, ctx: CliContext): void {
  program
    .command('transactions')
    .description('per partition: checkpoint, pending outbox, outbox marker; abort or clear a stuck one')
    .argument('<function>', 'function name in serverless.yml (or a module path)')
    .option('--partition <n>', 'only this source partition', parsePartition)
    .option('--abort', "fence the task's producers and abort a transaction left open (safe: nothing is lost)")
    .option(
      '--clear-outbox',
      'mark the pending outbox as published WITHOUT sending it (loses those outputs; needs --yes)',
    )
    .option('--yes', 'confirm --clear-outbox')
    .addHelpText(
      'after',
      `
Each partition task publishes its outputs in Kafka transactions with transactional id
sluice.<namespace>.<function>.<topic>.<partition>, and records the end of each published outbox in
consumer group sluice.<namespace>.<function>.outbox (MARKER). STATUS pending means the last
committed outbox is not confirmed: the next invocation of that partition, or the scheduled flush,
publishes it (the marker says whether Kafka has it already).

--abort        initialises a producer with the task's transactional id: every older producer is
               fenced and a transaction it left open is aborted (read_committed readers stop
               waiting). Nothing is lost; the outbox is published by the next invocation.
--clear-outbox takes the last outbox out of each checkpoint. A pending one is first marked
               published (the marker moves past it) without being sent: DATA LOSS, those outputs
               never reach Kafka. For an outbox that can never be published (sink topic or sink
               removed, message rejected by the broker). Requires --yes.`,
    )
    .action(
      action(ctx, async (env, name: string, opts: TransactionsOptions) => {
        if (opts.abort && opts.clearOutbox) throw new UsageError('choose one of --abort and --clear-outbox');
        if (opts.yes && !opts.clearOutbox) throw new UsageError('--yes only confirms --clear-outbox');
        if (opts.clearOutbox && !opts.yes) {
          throw new UsageError(
            '--clear-outbox drops the pending outputs for good (they are never published): add --yes to confirm',
          );
        }
        const definition = (await loadHandler(await resolveFunction(name, env.configPath))).definition;
        const target = { fn: definition.name, topic: definition.source.topic, sinks: definition.sinks };
        const store = await env.store();
        const kafka = await env.kafka();
        const namespace = await env.namespace();
        const read = () =>
          inspectTaskTransactions({ namespace, target, store, kafka, partition: opts.partition });
        let tasks = await read();
        const actions: Array<Record<string, unknown>> = [];
        if (opts.abort) {
          for (const t of tasks) {
            await abortTaskTransaction({
              kafka,
              namespace,
              task: { fn: target.fn, topic: t.topic, partition: t.partition },
            });
            actions.push({ action: 'abort', partition: t.partition, transactionalId: t.transactionalId });
            if (!env.options.json) env.note(`fenced ${t.transactionalId}; any open transaction is aborted`);
          }
        }
        if (opts.clearOutbox) {
          // Every outbox still in a checkpoint: a pending one is marked published without being
          // sent (data loss); a published one (e.g. of a sink since removed) is only taken out.
          const held = tasks.filter((t) => t.status !== 'none' && t.outbox !== null);
          if (held.length === 0 && !env.options.json)
            env.note('no outbox in any checkpoint: nothing to clear');
          for (const t of held) {
            const task = { fn: target.fn, topic: t.topic, partition: t.partition };
            const outbox = t.outbox!;
            const pending = t.status === 'pending';
            const marked = pending
              ? await markOutboxPublished({ kafka, namespace, task, endOffset: outbox.endOffset })
              : null;
            const checkpoint = await store.peek(task);
            if (checkpoint?.outbox?.endOffset === outbox.endOffset)
              await confirmOutbox(store, task, checkpoint);
            actions.push({
              action: 'clear-outbox',
              partition: t.partition,
              dropped: pending ? outbox.kafkaMessages : 0,
              ...marked,
            });
            if (!env.options.json) {
              env.note(
                `partition ${t.partition}: outbox of source offsets ${outbox.firstOffset}-${outbox.endOffset} ` +
                  (pending
                    ? `marked published without sending (${outbox.kafkaMessages} outputs dropped)`
                    : 'was published: taken out of the checkpoint'),
              );
            }
          }
        }
        if (actions.length > 0) tasks = await read();
        if (env.options.json) {
          return env.json({
            function: definition.name,
            namespace,
            topic: target.topic,
            store: store.kind,
            tasks,
            actions,
          });
        }
        print(env, namespace, definition.name, target.topic, store.kind, tasks);
      }),
    );
}

function print(
  env: CommandEnv,
  namespace: string,
  fn: string,
  topic: string,
  store: string,
  tasks: TaskTransactionState[],
): void {
  env.print(
    env.out.dim(
      `function ${fn} · topic ${topic} · store ${store} · marker group sluice.${namespace}.${fn}.outbox`,
    ),
  );
  if (tasks.length === 0) {
    env.note('no checkpoints yet');
    return;
  }
  env.print(
    formatTable(tasks, [
      { header: 'PARTITION', value: (t) => t.partition },
      { header: 'VERSION', value: (t) => t.version },
      { header: 'NEXT', value: (t) => t.next },
      { header: 'OUTBOX', value: (t) => (t.outbox ? `${t.outbox.messages} msgs` : null) },
      {
        header: 'OFFSETS',
        value: (t) => (t.outbox ? `${t.outbox.firstOffset}-${t.outbox.endOffset}` : null),
      },
      { header: 'MARKER', value: (t) => t.marker, align: 'right' },
      { header: 'STATUS', value: (t) => (t.status === 'pending' ? env.out.yellow('pending') : t.status) },
      { header: 'TRANSACTIONAL ID', value: (t) => t.transactionalId },
    ]),
  );
}

function parsePartition(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a partition number (0, 1, ...)');
  return n;
}
