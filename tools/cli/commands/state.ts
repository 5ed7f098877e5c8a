import type { Command } from 'commander';
import { action, type CliContext } from '../context';
import { stateRows } from '../inspect';
import { intOption } from '../parameters';
import { loadHandler, resolveFunction } from '../resolve-function';
import { formatTable } from '../table';
import { header } from './checkpoints';

/** `sluice state <fn>`: the committed state, per partition. */
export function registerStateCommand(program: Command, ctx: CliContext): void {
  program
    .command('state')
    .description('the committed state of a function, per partition')
    .argument('<function>', 'function name in serverless.yml (or a module path)')
    .option('--key <key>', 'one key: the full key (counts/kafka) or the key within its state (kafka)')
    .option('--partition <n>', 'one partition', intOption(0))
    .option('--topic <name>', "the source topic (default: the function's)")
    .action(
      action(ctx, async (env, name: string, opts: { key?: string; partition?: number; topic?: string }) => {
        const definition = (await loadHandler(await resolveFunction(name, env.configPath, env.env)))
          .definition;
        const store = await env.store();
        const rows = await stateRows(definition, store, {
          ...(opts.key !== undefined && { key: opts.key }),
          ...(opts.partition !== undefined && { partition: opts.partition }),
          ...(opts.topic !== undefined && { topic: opts.topic }),
        });
        if (env.options.json) return env.json({ function: definition.name, store: store.kind, state: rows });
        header(env, definition.name, opts.topic ?? definition.source.topic, store.kind);
        if (rows.length === 0) {
          env.note(
            opts.key !== undefined || opts.partition !== undefined ? 'no matching state' : 'no state yet',
          );
          if (opts.key !== undefined) env.setExitCode(1);
          return;
        }
        env.print(
          formatTable(rows, [
            { header: 'PARTITION', value: (r) => r.partition },
            { header: 'KEY', value: (r) => r.key },
            { header: 'VALUE', value: (r) => JSON.stringify(r.value), align: 'left' },
          ]),
        );
      }),
    );
}
