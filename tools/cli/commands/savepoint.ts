import type { Command } from 'commander';
import { takeSavepoint } from '../../../lib/checkpoint/rewind';
import { defaultSavepointName } from '../../../lib/core/savepoint';
import { action, type CliContext } from '../context';
import { loadHandler, resolveFunction } from '../resolve-function';
import { initialOffsets, rewindContext } from '../rewind-context';
import { formatTable } from '../table';

/** `sluice savepoint <fn>`: a consistent copy of every partition task, to rewind to later. */
export function registerSavepointCommand(program: Command, ctx: CliContext): void {
  program
    .command('savepoint')
    .description(
      'copy every partition task of a function (state, next offsets) to rewind to later; --list them',
    )
    .argument('<function>', 'function name in serverless.yml (or a module path)')
    .option(
      '--name <name>',
      'name of the savepoint (default: the current time, e.g. 2026-12-01T16-40-02-123Z)',
    )
    .option('--list', "list the function's savepoints, newest first")
    .option('--group <id>', "the trigger's consumer group (default: consumerGroupId in serverless.yml)")
    .addHelpText(
      'after',
      `
Each task's copy is one committed version: its state, its next offset, and the trigger's
committed offset beside it. A pending outbox is published first, so everything up to the copy is
in Kafka. The function may keep running: tasks are independent, each copy is consistent.
Savepoints live beside the checkpoints (file store: <store-dir>/.savepoints/; aws store: an S3
object under <prefix>.savepoints/ and an item in the table) and are never overwritten.
Rewind to one with: sluice rewind <function> --to <name>`,
    )
    .action(
      action(ctx, async (env, name: string, opts: { name?: string; list?: boolean; group?: string }) => {
        if (opts.list) {
          const store = await env.store();
          const fn = (await loadHandler(await resolveFunction(name, env.configPath, env.env))).definition
            .name;
          const savepoints = await store.savepoints.list(fn);
          if (env.options.json) return env.json({ function: fn, savepoints });
          if (savepoints.length === 0) return env.note(`no savepoints of ${fn} (sluice savepoint ${name})`);
          env.print(
            formatTable(savepoints, [
              { header: 'NAME', value: (s) => s.name },
              { header: 'CREATED', value: (s) => new Date(s.createdAt).toISOString() },
              { header: 'PARTITIONS', value: (s) => s.partitions },
              { header: 'STATE KEYS', value: (s) => s.stateKeys },
            ]),
          );
          return;
        }
        const rc = await rewindContext(env, name, { group: opts.group });
        const committed = await rc.kafka.admin().committedOffsets(rc.group, rc.definition.source.topic);
        const initial = await initialOffsets(rc);
        const savepoint = await takeSavepoint(
          { store: rc.store, publishers: rc.publishers, namespace: rc.namespace, now: Date.now },
          rc.definition,
          {
            name: opts.name ?? defaultSavepointName(Date.now()),
            triggerGroup: rc.group,
            partitions: new Map(
              [...rc.watermarks].map(([p, w]) => [
                p,
                { committed: committed.get(p) ?? null, initial: initial.get(p) ?? w.low },
              ]),
            ),
          },
        );
        await rc.publishers.kafka?.close();
        if (env.options.json)
          return env.json(savepoint.partitions.map(({ state, ...p }) => ({ ...p, stateKeys: state.length })));
        env.note(
          `savepoint "${savepoint.name}" of ${savepoint.fn} (${savepoint.topic}, namespace ${savepoint.namespace}, ${rc.store.kind} store)`,
        );
        env.print(
          formatTable(savepoint.partitions, [
            { header: 'PARTITION', value: (p) => p.partition },
            { header: 'NEXT', value: (p) => p.next },
            { header: 'STATE KEYS', value: (p) => p.state.length },
            { header: 'VERSION', value: (p) => p.checkpoint?.version ?? null },
            { header: 'TRIGGER OFFSET', value: (p) => p.triggerOffset },
          ]),
        );
        env.note(`rewind to it with: sluice rewind ${name} --to ${savepoint.name}`);
      }),
    );
}
