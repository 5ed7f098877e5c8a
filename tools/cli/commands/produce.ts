import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { KAFKA_COMPRESSIONS, type KafkaCompression } from '../../../lib/kafka/codecs';
import type { KafkaMessage } from '../../../lib/kafka/messages';
import { action, type CliContext } from '../context';
import { intOption } from '../parameters';
import { assertTopicExists } from '../topic-reader';
import { UsageError } from '../usage-error';
import { requireTopic } from './topics';

interface ProduceOptions {
  topic?: string;
  keySeparator?: string;
  partition?: number;
  batchSize: number;
  compression: string;
}

/**
 * Lines read before a send: large enough for throughput when piping a file, while a line typed
 * at a terminal is sent at once (a send also starts whenever input pauses, see IDLE_FLUSH_MS).
 */
const DEFAULT_BATCH_SIZE = 500;
/** Input quiet for this long: send what was read (interactive typing, slow pipes). */
const IDLE_FLUSH_MS = 50;

/** `sluice produce <topic>`: stdin lines to a topic, like Kafka's console producer. */
export function registerProduceCommand(program: Command, ctx: CliContext): void {
  program
    .command('produce')
    .description('write each line of stdin as a record (like kafka-console-producer)')
    .argument('[topic]', 'topic to write to (or --topic)')
    .option('--topic <name>', 'topic to write to')
    .option(
      '--key-separator <sep>',
      'split each line at the first <sep> into key and value (like parse.key=true)',
    )
    .option(
      '--partition <n>',
      'write every record to this partition (default: by key, murmur2)',
      intOption(0),
    )
    .option('--batch-size <n>', 'lines per send', intOption(1), DEFAULT_BATCH_SIZE)
    .option(
      '--compression <codec>',
      `record batch compression: ${KAFKA_COMPRESSIONS.join(', ')} (like compression.type)`,
      'none',
    )
    .addHelpText(
      'after',
      `
Examples:
  printf 'hello kafka\\nhello flink\\n' | sluice produce test
  sluice produce --topic generator-ticks --key-separator=: <<< 'demo:{"count": 20}'
  seq 1000 | sluice produce test --compression zstd`,
    )
    .action(
      action(ctx, async (env, positional: string | undefined, opts: ProduceOptions) => {
        const topic = requireTopic(positional, opts.topic);
        if (opts.keySeparator === '') throw new UsageError('--key-separator must not be empty');
        if (!(KAFKA_COMPRESSIONS as readonly string[]).includes(opts.compression)) {
          throw new UsageError(
            `--compression ${JSON.stringify(opts.compression)}: use one of ${KAFKA_COMPRESSIONS.join(', ')}`,
          );
        }
        const compression = opts.compression as KafkaCompression;
        const kafka = await env.kafka();
        const partitions = await assertTopicExists(kafka, topic);
        if (opts.partition !== undefined && !partitions.includes(opts.partition)) {
          throw new UsageError(
            `--partition ${opts.partition}: topic "${topic}" has partitions 0..${partitions.length - 1}`,
          );
        }
        const producer = kafka.producer();
        if ((env.io.stdin as { isTTY?: boolean }).isTTY) {
          env.note(env.err.dim(`type records for ${topic}, one per line; Ctrl-D to finish`));
        }

        let pending: KafkaMessage[] = [];
        let produced = 0;
        let lineNumber = 0;
        let sending: Promise<void> = Promise.resolve();
        let timer: NodeJS.Timeout | undefined;
        const flush = () => {
          clearTimeout(timer);
          const messages = pending;
          pending = [];
          if (messages.length === 0) return sending;
          sending = sending.then(async () => {
            await producer.send([{ topic, messages, compression }]);
            produced += messages.length;
          });
          return sending;
        };

        const lines = createInterface({ input: env.io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
        // Ctrl-C ends the input like Ctrl-D: what was read is still sent.
        void env.io.interrupted().then(() => lines.close());
        for await (const line of lines) {
          lineNumber++;
          pending.push(toMessage(line, lineNumber, opts));
          if (pending.length >= opts.batchSize) await flush();
          else {
            clearTimeout(timer);
            timer = setTimeout(() => void flush().catch(() => {}), IDLE_FLUSH_MS);
          }
        }
        await flush();
        if (env.options.json) return env.json({ topic, produced });
        env.note(`produced ${produced} record(s) to ${topic}`);
      }),
    );
}

function toMessage(line: string, lineNumber: number, opts: ProduceOptions): KafkaMessage {
  const message: KafkaMessage = { value: line };
  if (opts.keySeparator !== undefined) {
    const at = line.indexOf(opts.keySeparator);
    if (at < 0) {
      throw new UsageError(
        `line ${lineNumber} has no key separator "${opts.keySeparator}": write key${opts.keySeparator}value, or drop --key-separator`,
      );
    }
    message.key = line.slice(0, at);
    message.value = line.slice(at + opts.keySeparator.length);
  }
  if (opts.partition !== undefined) message.partition = opts.partition;
  return message;
}
