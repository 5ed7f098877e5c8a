import { type Command, InvalidArgumentError } from 'commander';
import { confirmOutbox } from '../../checkpoint/flush';
import {
  abortTaskTransaction,
  inspectTaskTransactions,
  markOutboxPublished,
  type TaskTransactionState,
} from '../../sink/task-transactions';
import { action, type CliContext, type CommandEnv } from '../context';
import { commandNamespace, NAMESPACE_OPTION_HELP } from '../namespace';
import { loadHandler, resolveFunction } from '../resolve-function';
import { formatTable } from '../table';
import { UsageError } from '../usage-error';

interface TransactionsOptions {
  namespace?: string;
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
    .option('--namespace <ns>', NAMESPACE_OPTION_HELP)
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
--clear-outbox commits the marker past the pending outbox without sending it and removes the outbox
               from the checkpoint, so no invocation ever publishes it. DATA LOSS: those outputs
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
        const namespace = await commandNamespace(env, opts.namespace);
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
          const pending = tasks.filter((t) => t.status !== 'none' && t.outbox !== null);
          if (pending.length === 0 && !env.options.json) env.note('no pending outbox: nothing to clear');
          for (const t of pending) {
            const task = { fn: target.fn, topic: t.topic, partition: t.partition };
            const result = await markOutboxPublished({
              kafka,
              namespace,
              task,
              endOffset: t.outbox!.endOffset,
            });
            const checkpoint = await store.peek(task);
            if (checkpoint?.outbox?.endOffset === t.outbox!.endOffset)
              await confirmOutbox(store, task, checkpoint);
            actions.push({
              action: 'clear-outbox',
              partition: t.partition,
              dropped: t.outbox!.kafkaMessages,
              ...result,
            });
            if (!env.options.json) {
              env.note(
                `partition ${t.partition}: outbox of source offsets ${t.outbox!.firstOffset}-${t.outbox!.endOffset} ` +
                  `marked published without sending (${t.outbox!.kafkaMessages} outputs dropped)`,
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
