import type { Command } from 'commander';
import {
  changeQuarantine,
  listQuarantine,
  type QuarantinedRecord,
} from '../../../lib/checkpoint/quarantine-commands';
import type { TaskId } from '../../../lib/core/checkpoint';
import { action, type CliContext, type CommandEnv } from '../context';
import { intOption } from '../parameters';
import { loadHandler, resolveFunction } from '../resolve-function';
import { formatTable } from '../table';
import { UsageError } from '../usage-error';
import { header } from './checkpoints';

interface QuarantineOptions {
  key?: string;
  unkeyed?: boolean;
  partition?: number;
  topic?: string;
  yes?: boolean;
}

const ACTIONS = ['list', 'replay', 'drop'] as const;

/**
 * `sluice quarantine <fn> list | replay [--key K] | drop [--key K] --yes`: the records a function
 * with `onError: 'quarantine-key'` parked, per partition, and the two ways out: replay them (after
 * deploying a fix) or drop them. Both are commits conditional on the checkpoint's version.
 */
export function registerQuarantineCommand(program: Command, ctx: CliContext): void {
  program
    .command('quarantine')
    .description("records parked by onError: 'quarantine-key': list, replay (after a fix) or drop them")
    .argument('<function>', 'function name in serverless.yml (or a module path)')
    .argument('[action]', `${ACTIONS.join(' | ')}`, 'list')
    .option('--key <key>', 'only the records of this key (its UTF-8 bytes)')
    .option('--unkeyed', 'only the records without a key (each was quarantined alone)')
    .option('--partition <n>', 'only this partition', intOption(0))
    .option('--topic <name>', "the source topic (default: the function's)")
    .option('--yes', 'confirm drop (the records are discarded for good)')
    .addHelpText(
      'after',
      `
A record whose process() fails terminally (TerminalError, undecodable key or value) is parked
with every later record of its key, in order; the other keys flow. Each parked record was
published once to the quarantine topic (default <source>.quarantine).

list    the parked records: partition, offset, key, status, reason and error
replay  releases them: the key stops being quarantined and the partition's next batch runs them,
        in order, before its own records, with the code deployed then. Deploy the fix first: a
        record that fails again is parked again, with its key's later records behind it.
drop    discards them for good (logged); the key flows again from its next record. Needs --yes.

replay and drop are commits conditional on the checkpoint's version (a batch committing
meanwhile wins; the command then runs again on the new checkpoint); offsets and any pending
outbox stay as they are.`,
    )
    .action(
      action(ctx, async (env, name: string, what: string, opts: QuarantineOptions) => {
        if (!(ACTIONS as readonly string[]).includes(what)) {
          throw new UsageError(`unknown action "${what}": use ${ACTIONS.join(', ')}`);
        }
        if (what === 'list' && opts.yes) throw new UsageError('--yes only confirms drop');
        if (opts.key !== undefined && opts.unkeyed) throw new UsageError('choose one of --key and --unkeyed');
        if (what === 'drop' && !opts.yes) {
          throw new UsageError('drop discards the quarantined records for good: add --yes to confirm');
        }
        const definition = (await loadHandler(await resolveFunction(name, env.configPath, env.env)))
          .definition;
        if (!definition.quarantine) {
          env.note(`${definition.name} has no quarantine: set onError: 'quarantine-key' in defineFunction`);
        }
        const store = await env.store();
        const topic = opts.topic ?? definition.source.topic;
        const tasks: TaskId[] = (await store.list(definition.name)).filter(
          (t) => t.topic === topic && (opts.partition === undefined || t.partition === opts.partition),
        );
        const key = opts.unkeyed ? null : opts.key === undefined ? undefined : Buffer.from(opts.key, 'utf8');
        const matches = (r: QuarantinedRecord) =>
          key === undefined || r.key === (key === null ? null : key.toString('base64'));

        if (what === 'list') {
          const records = (await Promise.all(tasks.map((t) => listQuarantine(store, t))))
            .flat()
            .filter(matches);
          if (env.options.json) {
            return env.json({
              function: definition.name,
              store: store.kind,
              topic,
              records: records.map(shown),
            });
          }
          header(env, definition.name, topic, store.kind);
          if (records.length === 0) return env.note('no quarantined records');
          return printRecords(env, records);
        }

        const results: Array<{ partition: number; offsets: number[]; version: number | null }> = [];
        for (const task of tasks) {
          const result = await changeQuarantine(
            store,
            task,
            { action: what as 'replay' | 'drop', ...(key !== undefined && { key }) },
            env.log,
          );
          if (result.offsets.length > 0) {
            results.push({
              partition: task.partition,
              offsets: result.offsets,
              version: result.checkpoint?.version ?? null,
            });
          }
        }
        if (env.options.json) {
          return env.json({ function: definition.name, store: store.kind, topic, action: what, results });
        }
        header(env, definition.name, topic, store.kind);
        if (results.length === 0) {
          const which = opts.unkeyed
            ? ' without a key'
            : opts.key === undefined
              ? ''
              : ` of key ${JSON.stringify(opts.key)}`;
          env.note(`no quarantined records${which}`);
          env.setExitCode(1);
          return;
        }
        for (const r of results) {
          env.print(
            what === 'replay'
              ? `partition ${r.partition}: ${r.offsets.length} record(s) released (offsets ${r.offsets.join(', ')}); ` +
                  'the next batch of the partition runs them first (version ' +
                  `${r.version})`
              : `partition ${r.partition}: ${r.offsets.length} record(s) dropped for good (offsets ${r.offsets.join(', ')}; version ${r.version})`,
          );
        }
      }),
    );
}

/** A record for people and JSON: key and value as UTF-8 (lossy), headers as UTF-8. */
function shown(r: QuarantinedRecord) {
  const text = (b64: string | null) => (b64 === null ? null : Buffer.from(b64, 'base64').toString('utf8'));
  return {
    partition: r.partition,
    offset: r.offset,
    key: text(r.key),
    value: text(r.value),
    timestamp: new Date(r.timestamp).toISOString(),
    status: r.status,
    reason: r.reason,
    error: r.error,
    headers: r.headers.map(([k, v]) => [k, text(v)]),
    keyBase64: r.key,
    valueBase64: r.value,
  };
}

function printRecords(env: CommandEnv, records: QuarantinedRecord[]): void {
  env.print(
    formatTable(records.map(shown), [
      { header: 'PARTITION', value: (r) => r.partition },
      { header: 'OFFSET', value: (r) => r.offset },
      { header: 'KEY', value: (r) => clip(r.key) },
      { header: 'STATUS', value: (r) => (r.status === 'replaying' ? env.out.yellow('replaying') : r.status) },
      { header: 'REASON', value: (r) => r.reason },
      { header: 'ERROR', value: (r) => clip(r.error, 80), align: 'left' },
      { header: 'VALUE', value: (r) => clip(r.value), align: 'left' },
    ]),
  );
}

function clip(text: string | null, max = 40): string | null {
  if (text === null) return null;
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
