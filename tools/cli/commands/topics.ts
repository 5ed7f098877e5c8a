import type { Command } from 'commander';
import type { KafkaClient } from '../../../lib/kafka/client';
import { action, type CliContext } from '../context';
import { intOption } from '../parameters';
import { formatTable } from '../table';
import { UsageError } from '../usage-error';

/** Kafka's own topics (consumer offsets, transaction log): hidden unless --all. */
const INTERNAL = /^__/;

/** `sluice topics create|list|describe|delete`. */
export function registerTopicsCommand(program: Command, ctx: CliContext): void {
  const topics = program.command('topics').description('create, list, describe and delete Kafka topics');

  topics
    .command('create')
    .description('create a topic (exit 0 when it already exists, saying so)')
    .argument('[topic]', 'topic name (or --topic)')
    .option('--topic <name>', 'topic name')
    .option('--partitions <n>', 'number of partitions', intOption(1), 1)
    .option('--replication-factor <n>', 'replicas per partition', intOption(1), 1)
    .action(
      action(ctx, async (env, positional: string | undefined, opts: CreateOptions) => {
        const topic = requireTopic(positional, opts.topic);
        const admin = (await env.kafka()).admin();
        const created = await admin.createTopic(topic, {
          partitions: opts.partitions,
          replicationFactor: opts.replicationFactor,
        });
        const partitions = created ? opts.partitions : (await admin.partitions(topic)).length;
        if (env.options.json) return env.json({ topic, created, partitions });
        env.print(
          created
            ? `created topic ${env.out.bold(topic)} with ${partitions} partition(s)`
            : `topic ${env.out.bold(topic)} already exists (${partitions} partition(s))`,
        );
      }),
    );

  topics
    .command('list')
    .description('topics with their partition count and number of records (end - start offsets)')
    .option('--all', "include Kafka's internal topics (__consumer_offsets, __transaction_state)")
    .action(
      action(ctx, async (env, opts: { all?: boolean }) => {
        const rows = await listTopics(await env.kafka(), opts.all === true);
        if (env.options.json) return env.json(rows);
        if (rows.length === 0) return env.note('no topics');
        env.print(
          formatTable(rows, [
            { header: 'TOPIC', value: (r) => r.topic },
            { header: 'PARTITIONS', value: (r) => r.partitions },
            { header: 'RECORDS', value: (r) => r.records },
          ]),
        );
      }),
    );

  topics
    .command('describe')
    .description('per partition: leader, replicas, in-sync replicas, start and end offsets')
    .argument('[topic]', 'topic name (or --topic)')
    .option('--topic <name>', 'topic name')
    .action(
      action(ctx, async (env, positional: string | undefined, opts: { topic?: string }) => {
        const topic = requireTopic(positional, opts.topic);
        const rows = await describeTopic(await env.kafka(), topic);
        if (env.options.json) return env.json({ topic, partitions: rows });
        env.print(
          formatTable(rows, [
            { header: 'PARTITION', value: (r) => r.partition },
            { header: 'LEADER', value: (r) => r.leader },
            { header: 'REPLICAS', value: (r) => r.replicas.join(',') },
            { header: 'ISR', value: (r) => r.isr.join(',') },
            { header: 'START', value: (r) => r.start },
            { header: 'END', value: (r) => r.end },
          ]),
        );
      }),
    );

  topics
    .command('delete')
    .description('delete topics (their records and committed group offsets go with them)')
    .argument('<topics...>', 'topic names')
    .action(
      action(ctx, async (env, names: string[]) => {
        await (await env.kafka()).admin().deleteTopics(names);
        if (env.options.json) return env.json({ deleted: names });
        env.print(`deleted ${names.join(', ')}`);
      }),
    );
}

interface CreateOptions {
  topic?: string;
  partitions: number;
  replicationFactor: number;
}

export interface TopicRow {
  topic: string;
  partitions: number;
  records: number;
}

export interface PartitionRow {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  start: number;
  end: number;
}

export function requireTopic(positional: string | undefined, option: string | undefined): string {
  if (positional !== undefined && option !== undefined && positional !== option) {
    throw new UsageError(`two topics given ("${positional}" and --topic "${option}"): give one`);
  }
  const topic = positional ?? option;
  if (!topic) throw new UsageError('a topic is required: give it as the argument or as --topic <name>');
  return topic;
}

async function listTopics(kafka: KafkaClient, all: boolean): Promise<TopicRow[]> {
  const admin = kafka.admin();
  try {
    const names = (await admin.listTopics()).filter((t) => all || !INTERNAL.test(t)).sort();
    if (names.length === 0) return [];
    const topics = await admin.topicMetadata(names);
    const rows = await Promise.all(
      topics.map(async (t) => {
        const marks = await admin.watermarks(t.topic);
        const records = [...marks.values()].reduce((sum, p) => sum + p.high - p.low, 0);
        return { topic: t.topic, partitions: t.partitions.length, records };
      }),
    );
    return rows.sort((a, b) => a.topic.localeCompare(b.topic));
  } finally {
    await admin.disconnect();
  }
}

async function describeTopic(kafka: KafkaClient, topic: string): Promise<PartitionRow[]> {
  const admin = kafka.admin();
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new Error(
        `topic "${topic}" does not exist: create it with \`sluice topics create ${topic} --partitions N\``,
      );
    }
    const [topics, marks] = await Promise.all([admin.topicMetadata([topic]), admin.watermarks(topic)]);
    return (topics[0]?.partitions ?? [])
      .map((p) => ({
        ...p,
        start: marks.get(p.partition)?.low ?? 0,
        end: marks.get(p.partition)?.high ?? 0,
      }))
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}
