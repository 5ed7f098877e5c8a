import type { Command } from 'commander';
import { action, type CliContext } from '../context';
import { intOption } from '../parameters';
import { assertTopicExists, type ReadRecord, startTopicReader } from '../topic-reader';
import { requireTopic } from './topics';

interface ConsumeOptions {
  topic?: string;
  fromBeginning?: boolean;
  maxMessages?: number;
  'group.id'?: string;
  timeoutMs?: number;
  readUncommitted?: boolean;
  printKey?: boolean;
  printPartition?: boolean;
  printOffset?: boolean;
  keySeparator: string;
}

/** `sluice consume <topic>`: print records, like Kafka's console consumer, read_committed by default. */
export function registerConsumeCommand(program: Command, ctx: CliContext): void {
  program
    .command('consume')
    .description('print the records of a topic (like kafka-console-consumer; read_committed)')
    .argument('[topic]', 'topic to read (or --topic)')
    .option('--topic <name>', 'topic to read')
    .option('--from-beginning', 'start at the earliest offset when the group has no committed offset')
    .option('--max-messages <n>', 'exit after printing n records', intOption(1))
    .option('--group.id <id>', 'consumer group (default: a fresh one, deleted on exit)')
    .option(
      '--timeout-ms <ms>',
      'exit when no record arrives for this long (after joining the group)',
      intOption(1),
    )
    .option('--read-uncommitted', 'also show records of open and aborted transactions')
    .option('--print-key', 'print the key before the value')
    .option('--print-partition', 'print the partition first')
    .option('--print-offset', 'print the offset first')
    .option('--key-separator <sep>', 'separator between printed fields', '\t')
    .addHelpText(
      'after',
      `
With --json, each record is one JSON object per line:
  {"topic","partition","offset","timestamp","key","value","headers"} (key, value and headers as UTF-8)

Examples:
  sluice consume test --from-beginning --max-messages 10
  sluice consume word-counts --from-beginning --print-key --timeout-ms 5000`,
    )
    .action(
      action(ctx, async (env, positional: string | undefined, opts: ConsumeOptions) => {
        const topic = requireTopic(positional, opts.topic);
        const kafka = await env.kafka();
        await assertTopicExists(kafka, topic);
        let count = 0;
        let lastActivity = Date.now();
        const reader = await startTopicReader(kafka, {
          topic,
          ...(opts['group.id'] !== undefined && { groupId: opts['group.id'] }),
          fromBeginning: opts.fromBeginning === true,
          readUncommitted: opts.readUncommitted === true,
          onRecord(record) {
            lastActivity = Date.now();
            count++;
            env.print(env.options.json ? JSON.stringify(recordJson(record)) : formatRecord(record, opts));
            return opts.maxMessages === undefined || count < opts.maxMessages;
          },
        });
        const waits: Array<Promise<unknown>> = [reader.finished, env.io.interrupted()];
        let idle: NodeJS.Timeout | undefined;
        if (opts.timeoutMs !== undefined) {
          const limit = opts.timeoutMs;
          waits.push(
            reader.joined.then(
              () =>
                new Promise<void>((resolve) => {
                  lastActivity = Date.now();
                  idle = setInterval(
                    () => {
                      if (Date.now() - lastActivity >= limit) resolve();
                    },
                    Math.min(100, limit),
                  );
                }),
            ),
          );
        }
        try {
          await Promise.race(waits);
        } finally {
          clearInterval(idle);
          await reader.stop();
        }
        if (!env.options.json) env.note(env.err.dim(`processed a total of ${count} record(s)`));
      }),
    );
}

function text(bytes: Buffer | null): string {
  return bytes === null ? 'null' : bytes.toString('utf8');
}

function formatRecord(record: ReadRecord, opts: ConsumeOptions): string {
  const fields: string[] = [];
  if (opts.printPartition) fields.push(`partition:${record.partition}`);
  if (opts.printOffset) fields.push(`offset:${record.offset}`);
  if (opts.printKey) fields.push(text(record.key));
  fields.push(text(record.value));
  return fields.join(opts.keySeparator);
}

function recordJson(record: ReadRecord) {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key === null ? null : record.key.toString('utf8'),
    value: record.value === null ? null : record.value.toString('utf8'),
    headers: Object.fromEntries(record.headers.map(([k, v]) => [k, v.toString('utf8')])),
  };
}
