import type { FunctionDefinition } from '../../lib/checkpoint/definition';
import type { Checkpoint, TaskId } from '../../lib/core/checkpoint';
import { messageOf } from '../../lib/core/errors';
import type { Json } from '../../lib/core/state-types';
import { outboxGroupId } from '../../lib/core/task';
import type { KafkaClient } from '../../lib/kafka/client';
import { isPublished } from '../../lib/sink/outbox-marker';
import type { Store } from '../../lib/store/store';
import { waitingSince } from './waiting-since';

export interface CheckpointRow {
  topic: string;
  partition: number;
  /** 0 when the task never committed */
  version: number;
  next: number;
  stateKeys: number;
  /** messages in the last committed outbox */
  outbox: number;
  /** 'pending' | 'published' for Kafka outputs, 'n/a' for outputs whose delivery Kafka cannot confirm */
  outboxStatus: 'none' | 'pending' | 'published' | 'n/a' | 'unknown';
  /** the partition's end offset (high watermark); null without Kafka */
  end: number | null;
  /** end - next: records not applied yet (transaction markers count too); null without Kafka */
  lag: number | null;
  committedAt: string | null;
  /** now - committedAt: how long since the task last committed; null when it never did */
  checkpointAgeMs: number | null;
  /**
   * How far behind in time: now - the timestamp of the oldest record not applied yet, 0 when
   * none waits (caught up, or only transaction markers left); null without Kafka or unreadable
   */
  timeLagMs: number | null;
}

/**
 * Checkpoints of every partition of a function's source topic: from the store, with end offsets
 * and outbox delivery from Kafka when it is reachable (`kafka` null: store only).
 */
export async function checkpointRows(
  definition: FunctionDefinition,
  store: Store,
  kafka: KafkaClient | null,
  topic: string = definition.source.topic,
  namespace = 'local',
  now: () => number = Date.now,
  options: { timeLag?: boolean } = {},
): Promise<CheckpointRow[]> {
  const fn = definition.name;
  const tasks = (await store.list(fn)).filter((t) => t.topic === topic);
  const loaded = new Map<number, Checkpoint>();
  await Promise.all(
    tasks.map(async (task) => {
      const found = await store.peek(task);
      if (found) loaded.set(task.partition, found);
    }),
  );
  let ends = new Map<number, number>();
  let published = new Map<number, number | null>();
  let waiting = new Map<number, number | null>();
  if (kafka) {
    const admin = kafka.admin();
    const watermarks = await admin.watermarks(topic);
    ends = new Map([...watermarks].map(([p, w]) => [p, w.high]));
    if (Object.values(definition.sinks).some((s) => s.kind === 'kafka')) {
      published = await admin.committedOffsets(outboxGroupId(namespace, fn), topic);
    }
    const nexts = new Map([...ends.keys()].map((p) => [p, loaded.get(p)?.next ?? 0]));
    // Reading the waiting records joins a consumer group: worth it for `sluice checkpoints`,
    // not every few seconds for the live page (which has the functions' own time lag).
    if (options.timeLag !== false) waiting = await waitingSince(kafka, topic, nexts, ends);
  }
  const at = now();
  const partitions = [...new Set([...loaded.keys(), ...ends.keys()])].sort((a, b) => a - b);
  return partitions.map((partition): CheckpointRow => {
    const c = loaded.get(partition);
    const end = ends.get(partition) ?? null;
    const next = c?.next ?? 0;
    const since = waiting.get(partition);
    let timeLagMs: number | null = null;
    if (end !== null && end <= next) timeLagMs = 0;
    else if (since === null) timeLagMs = 0;
    else if (since !== undefined) timeLagMs = Math.max(0, at - since);
    const messages = c?.outbox?.messages ?? [];
    const kafkaMessages = messages.filter((m) => definition.sinks[m.sink]?.kind === 'kafka').length;
    let outboxStatus: CheckpointRow['outboxStatus'] = 'none';
    if (messages.length > 0 && kafkaMessages === 0) outboxStatus = 'n/a';
    else if (kafkaMessages > 0 && !kafka) outboxStatus = 'unknown';
    else if (kafkaMessages > 0) {
      outboxStatus = isPublished(published.get(partition) ?? null, c!.outbox!.endOffset)
        ? 'published'
        : 'pending';
    }
    return {
      topic,
      partition,
      version: c?.version ?? 0,
      next,
      stateKeys: c?.stateKeys ?? 0,
      outbox: messages.length,
      outboxStatus,
      end,
      lag: end === null ? null : Math.max(0, end - next),
      committedAt: c && c.committedAt > 0 ? new Date(c.committedAt).toISOString() : null,
      checkpointAgeMs: c && c.committedAt > 0 ? Math.max(0, at - c.committedAt) : null,
      timeLagMs,
    };
  });
}

export interface StateRow {
  partition: number;
  key: string;
  value: Json;
}

/** Committed state of a function, optionally one partition and/or one key (`counts/a` or just `a`). */
export async function stateRows(
  definition: FunctionDefinition,
  store: Store,
  filter: { partition?: number; key?: string; topic?: string } = {},
): Promise<StateRow[]> {
  const topic = filter.topic ?? definition.source.topic;
  const tasks: TaskId[] = (await store.list(definition.name)).filter(
    (t) => t.topic === topic && (filter.partition === undefined || t.partition === filter.partition),
  );
  const rows: StateRow[] = [];
  for (const task of tasks.sort((a, b) => a.partition - b.partition)) {
    const loaded = await store.load(task);
    for (const [key, value] of [...(loaded?.state ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (filter.key !== undefined && key !== filter.key && key.slice(key.indexOf('/') + 1) !== filter.key)
        continue;
      rows.push({ partition: task.partition, key, value });
    }
  }
  return rows;
}

/** Kafka for optional enrichment: null (with a note) when it cannot be reached. */
export async function optionalKafka(
  get: () => Promise<KafkaClient>,
  note: (text: string) => void,
): Promise<KafkaClient | null> {
  try {
    return await get();
  } catch (error) {
    note(`note: ${messageOf(error)}; end offsets and lag are not shown`);
    return null;
  }
}
