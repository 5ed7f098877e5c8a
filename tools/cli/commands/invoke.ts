import type { Command } from 'commander';
import type { FunctionDefinition } from '../../../lib/checkpoint/definition';
import type { Checkpoint, TaskId } from '../../../lib/core/checkpoint';
import { createLogger } from '../../../lib/core/log';
import type { Json } from '../../../lib/core/state-types';
import { encodeEvent } from '../../../lib/event/encode';
import { createHandler } from '../../../lib/lambda/handler';
import { createRuntime } from '../../../lib/lambda/runtime';
import { createLogPublisher } from '../../../lib/sink/log-publisher';
import type { OutboxPublisher } from '../../../lib/sink/publisher';
import { action, type CliContext, type CommandEnv } from '../context';
import { readRecordsInput, toRawRecords } from '../invoke-records';
import { loadHandler, resolveFunction } from '../resolve-function';
import { formatTable } from '../table';

interface PartitionReport {
  partition: number;
  records: number;
  before: { version: number; next: number };
  after: { version: number; next: number };
  state: Array<{ key: string; before: Json | null; after: Json | null }>;
  outputs: Array<{ sink: string; topic: string | null; key: unknown; value: unknown }>;
}

/** `sluice invoke <fn> --records <file|->`: one Lambda invocation through the real handler. */
export function registerInvokeCommand(program: Command, ctx: CliContext): void {
  program
    .command('invoke')
    .description(
      'invoke a function once with records, through the real handler and event JSON; show what changed',
    )
    .argument('<function>', 'function name in serverless.yml (or a module path)')
    .requiredOption(
      '--records <file|->',
      'JSON array or JSON lines of {partition, key, value, headers}; - for stdin',
    )
    .addHelpText(
      'after',
      `
Keys and values go through the function's source serdes: a string for serde.string(), any JSON
for serde.json(). Offsets continue from each partition's checkpoint unless given ("offset").

invoke runs outside the trigger, with records that are not in Kafka, so it keeps its own
checkpoints (file store in .sluice/invoke unless --store/--store-dir say otherwise) and shows
Kafka outputs without publishing them: sharing dev's checkpoints or transactional ids would make
dev skip real records or outputs. Log-sink lines print as they would on Lambda.

Example:
  echo '{"partition": 0, "value": "to be or not to be"}' | sluice invoke word-count --records -`,
    )
    .action(
      action(
        ctx,
        async (env, name: string, opts: { records: string }) => {
          const handler = await loadHandler(await resolveFunction(name, env.configPath, env.env));
          const definition = handler.definition;
          const inputs = await readRecordsInput(opts.records, env.io.stdin);
          const store = await env.store();
          const task = (partition: number): TaskId => ({
            fn: definition.name,
            topic: definition.source.topic,
            partition,
          });
          const partitions = [...new Set(inputs.map((r) => r.partition ?? 0))].sort((a, b) => a - b);
          const before = new Map(
            await Promise.all(partitions.map(async (p) => [p, await store.load(task(p))] as const)),
          );
          const records = toRawRecords(
            definition,
            inputs,
            (p) => before.get(p)?.checkpoint.next ?? 0,
            Date.now(),
          );

          const sinkLog = createLogger({ level: 'info', write: (line) => env.note(line) });
          const runtime = createRuntime({
            store,
            publishers: { kafka: showOnly, log: createLogPublisher(sinkLog) },
            log: env.log,
          });
          const invoke = createHandler(definition, async () => runtime);
          const event = encodeEvent({
            eventSource: 'SelfManagedKafka',
            bootstrapServers: env.config().kafka?.brokers.join(',') ?? 'localhost:9092',
            records,
          });
          let result: unknown;
          let failure: unknown;
          try {
            // A JSON round trip, as Lambda delivers it.
            result = await invoke(JSON.parse(JSON.stringify(event)));
          } catch (error) {
            failure = error;
          } finally {
            await Promise.allSettled(Object.values(runtime.publishers).map((p) => p.close()));
          }

          const reports: PartitionReport[] = [];
          for (const partition of partitions) {
            const old = before.get(partition) ?? null;
            const now = await store.load(task(partition));
            reports.push(
              report(
                definition,
                partition,
                records.filter((r) => r.partition === partition).length,
                old,
                now,
              ),
            );
          }
          if (env.options.json) {
            env.json({
              function: definition.name,
              result: result ?? null,
              error: failure ? String(failure) : null,
              partitions: reports,
            });
          } else {
            print(env, definition, reports, result);
          }
          if (failure) throw failure;
        },
        { storeDir: INVOKE_STORE_DIR },
      ),
    );
}

/** invoke's own checkpoints, apart from dev's (.sluice/checkpoints): see the help text. */
export const INVOKE_STORE_DIR = '.sluice/invoke';

/** Kafka outputs stay in the committed outbox, where the report reads them; nothing is sent. */
const showOnly: OutboxPublisher = { async publish() {}, async close() {} };

type Loaded = { checkpoint: Checkpoint; state: Map<string, Json> } | null;

function report(
  definition: FunctionDefinition,
  partition: number,
  count: number,
  old: Loaded,
  now: Loaded,
): PartitionReport {
  const version = (l: Loaded) => ({ version: l?.checkpoint.version ?? 0, next: l?.checkpoint.next ?? 0 });
  const changed = (now?.checkpoint.version ?? 0) !== (old?.checkpoint.version ?? 0);
  const keys = new Set([...(old?.state.keys() ?? []), ...(now?.state.keys() ?? [])]);
  const state = [...keys]
    .sort()
    .map((key) => ({ key, before: old?.state.get(key) ?? null, after: now?.state.get(key) ?? null }))
    .filter((s) => JSON.stringify(s.before) !== JSON.stringify(s.after));
  const outputs = changed
    ? (now?.checkpoint.outbox?.messages ?? []).map((m) => {
        const sink = definition.sinks[m.sink];
        const decode = (serde: { deserialize(b: Buffer | null): unknown } | undefined, b64: string | null) =>
          serde ? serde.deserialize(b64 === null ? null : Buffer.from(b64, 'base64')) : b64;
        return {
          sink: m.sink,
          topic: sink?.kind === 'kafka' ? sink.target : null,
          key: decode(sink?.key, m.key),
          value: decode(sink?.value, m.value),
        };
      })
    : [];
  return { partition, records: count, before: version(old), after: version(now), state, outputs };
}

function print(
  env: CommandEnv,
  definition: FunctionDefinition,
  reports: PartitionReport[],
  result: unknown,
): void {
  const show = (v: unknown) =>
    v === null || v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v);
  for (const r of reports) {
    const applied = r.after.next - r.before.next;
    env.print(
      `${env.out.bold(`${definition.name} ${definition.source.topic}-${r.partition}`)}: ${r.records} record(s), ` +
        `${r.after.version === r.before.version ? 'nothing new to apply' : `applied ${applied}`}; ` +
        `version ${r.before.version} → ${r.after.version}, next offset ${r.before.next} → ${r.after.next}`,
    );
    if (r.state.length > 0) {
      env.print(
        indent(
          formatTable(r.state, [
            { header: 'STATE KEY', value: (s) => s.key },
            { header: 'BEFORE', value: (s) => show(s.before), align: 'right' },
            { header: 'AFTER', value: (s) => show(s.after), align: 'right' },
          ]),
        ),
      );
    }
    if (r.outputs.length > 0) {
      env.print(
        indent(
          formatTable(r.outputs, [
            { header: 'OUTPUT', value: (o) => (o.topic ? `${o.sink} → ${o.topic}` : o.sink) },
            { header: 'KEY', value: (o) => show(o.key) },
            { header: 'VALUE', value: (o) => show(o.value) },
          ]),
        ),
      );
    }
  }
  if (result) env.print(`handler returned ${JSON.stringify(result)}`);
  if (reports.some((r) => r.outputs.some((o) => o.topic !== null))) {
    env.print(env.out.dim('Kafka outputs are shown, not published (invoke runs outside the trigger)'));
  }
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
