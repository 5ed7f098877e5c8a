import { type Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../../../lib/core/errors';
import type { AwsStore } from '../../../lib/store/aws';
import { LAMBDA_MAX_TIMEOUT_MS } from '../../../lib/store/aws-sweep';
import { action, type CliContext } from '../context';
import { formatTable } from '../table';

const HOUR_MS = 3_600_000;

/** `sluice gc [function]`: deletes the aws store's S3 objects no checkpoint references. */
export function registerGcCommand(program: Command, ctx: CliContext): void {
  program
    .command('gc')
    .description(
      "delete the aws store's orphaned S3 objects (written by invocations that died before their commit)",
    )
    .argument('[function]', 'only this function (its name as in its definition); default: every function')
    .option(
      '--min-age-hours <hours>',
      'keep objects younger than this (at least 0.25: a commit may be in flight)',
      minAge,
      24,
    )
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .addHelpText(
      'after',
      `
Runs against the aws store (SLUICE_STORE=aws, SLUICE_TABLE, SLUICE_BUCKET, the standard AWS
endpoint variables). Lists the objects under the store's prefix first, then reads each task's
checkpoint item: an object older than --min-age-hours that its item does not reference can never
be referenced again, so it is deleted. Safe while functions run.`,
    )
    .action(
      action(ctx, async (env, fn: string | undefined, opts: { minAgeHours: number; dryRun?: boolean }) => {
        const store = await env.store();
        if (store.kind !== 'aws') {
          throw new ConfigError(
            `gc sweeps the aws store's S3 objects; the ${store.kind} store has none. ` +
              'Run it with --store aws (and SLUICE_TABLE, SLUICE_BUCKET)',
          );
        }
        const result = await (store as AwsStore).sweep({
          ...(fn !== undefined && { fn }),
          minAgeMs: opts.minAgeHours * HOUR_MS,
          dryRun: opts.dryRun ?? false,
        });
        if (env.options.json) return env.json({ dryRun: opts.dryRun ?? false, ...result });
        const verb = opts.dryRun ? 'would delete' : 'deleted';
        env.note(
          `${result.objects} object(s): ${result.referenced} referenced, ${result.young} younger than ` +
            `${opts.minAgeHours} h kept, ${result.orphans.length} orphaned (${verb})`,
        );
        if (result.orphans.length > 0) {
          env.print(
            formatTable(result.orphans, [
              { header: 'KEY', value: (o) => o.key, align: 'left' },
              { header: 'BYTES', value: (o) => o.bytes, align: 'right' },
              { header: 'LAST MODIFIED', value: (o) => o.lastModified },
            ]),
          );
        }
      }),
    );
}

function minAge(value: string): number {
  const hours = Number(value);
  if (value.trim() === '' || !Number.isFinite(hours) || hours * HOUR_MS < LAMBDA_MAX_TIMEOUT_MS) {
    throw new InvalidArgumentError(
      "expected hours >= 0.25: a younger object may belong to a commit in flight (Lambda's longest timeout is 15 min).",
    );
  }
  return hours;
}
