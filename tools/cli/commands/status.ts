import type { Command } from 'commander';
import { action, type CliContext } from '../context';
import type { LiveSnapshot } from '../live/live-model';
import { intOption } from '../parameters';
import { formatTable } from '../table';
import { formatAge } from './checkpoints';
import { DEFAULT_UI_PORT } from './dev';

/** `sluice status`: what a running `sluice dev` shows on its live page, as a table or JSON. */
export function registerStatusCommand(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('what a running `sluice dev` is doing: its live page as a table, or JSON with --json')
    .option('--ui-port <port>', 'the live page port of that `sluice dev`', intOption(1), DEFAULT_UI_PORT)
    .action(
      action(ctx, async (env, opts: { uiPort: number }) => {
        const url = `http://127.0.0.1:${opts.uiPort}/api/snapshot`;
        let snapshot: LiveSnapshot;
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          snapshot = (await response.json()) as LiveSnapshot;
        } catch (error) {
          throw new Error(
            `no sluice dev answers on 127.0.0.1:${opts.uiPort} (${(error as Error).message}): start \`sluice dev\` ` +
              '(its live page is on by default), or pass the --ui-port it was given',
          );
        }
        if (env.options.json) return env.json(snapshot);
        for (const fn of snapshot.functions) {
          env.print(
            env.out.bold(`${fn.name} ← ${fn.topic}`) +
              env.out.dim(
                ` · ${fn.recordsPerSecond.toFixed(1)} rec/s · ${fn.done} done · lag ${fn.lag} · time lag ${formatAge(fn.timeLagMs, '-')}` +
                  ` · ${fn.pendingOutboxes} pending outbox(es) · ${fn.failures} failure(s)`,
              ),
          );
          env.print(
            formatTable(fn.partitions, [
              { header: 'PARTITION', value: (p) => p.partition },
              { header: 'REC/S', value: (p) => Number(p.recordsPerSecond.toFixed(1)) },
              { header: 'LAG', value: (p) => p.lag ?? '-', align: 'right' },
              { header: 'TIME LAG', value: (p) => formatAge(p.timeLagMs, '-'), align: 'right' },
              { header: 'APPLIED', value: (p) => p.applied },
              { header: 'STATE KEYS', value: (p) => p.stateKeys ?? '-', align: 'right' },
              { header: 'STATE BYTES', value: (p) => p.stateBytes ?? '-', align: 'right' },
              { header: 'PENDING OUTBOX', value: (p) => p.pendingOutbox ?? '-', align: 'right' },
              { header: 'AGE', value: (p) => formatAge(p.checkpointAgeMs, '-'), align: 'right' },
              { header: 'FAILURES', value: (p) => p.failures },
            ]),
          );
        }
      }),
    );
}
