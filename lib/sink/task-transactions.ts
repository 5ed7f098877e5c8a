import type { Outbox, TaskId } from '../core/checkpoint';
import { outboxGroupId, transactionalIdOf } from '../core/task';
import type { Store } from '../store/store';
import type { KafkaPort } from './kafka-port';
import { TRANSACTION_TIMEOUT_MS } from './kafka-producer-cache';
import { isPublished, markerOffset, markerOffsets, readOutboxMarker } from './outbox-marker';
import type { Sink } from './sink';

/** What a function looks like to these tools: its name, source topic and sinks. */
export interface TransactionsTarget {
  fn: string;
  topic: string;
  sinks: Record<string, Pick<Sink, 'kind'>>;
}

/** One partition task's exactly-once publishing state (`sluice transactions`). */
export interface TaskTransactionState {
  topic: string;
  partition: number;
  transactionalId: string;
  /** 0: never committed */
  version: number;
  next: number;
  /** the last committed outbox, null when it has none */
  outbox: { messages: number; kafkaMessages: number; firstOffset: number; endOffset: number } | null;
  /** committed offset of group `sluice.<fn>.outbox` for this source partition; null: none */
  marker: number | null;
  /**
   * `published`: the marker is past the outbox; `pending`: it has Kafka outputs not yet
   * published (the next invocation of the partition publishes them, or is stuck on them);
   * `none`: no outbox; `n/a`: outputs of other sinks only (not tracked by the marker).
   */
  status: 'published' | 'pending' | 'none' | 'n/a';
}

/**
 * Per partition task of a function: checkpoint version and next offset from the store, the last
 * outbox, and whether the outbox marker says it was published. Reads only; fences nothing. (The
 * marker is read without initialising the producer, so a transaction committing at this very
 * moment may show as pending for a few milliseconds.)
 */
export async function inspectTaskTransactions(input: {
  namespace: string;
  target: TransactionsTarget;
  store: Store;
  kafka: KafkaPort;
  partition?: number;
}): Promise<TaskTransactionState[]> {
  const { target, store } = input;
  const tasks = (await store.list(target.fn))
    .filter(
      (t) => t.topic === target.topic && (input.partition === undefined || t.partition === input.partition),
    )
    .sort((a, b) => a.partition - b.partition);
  if (input.partition !== undefined && tasks.length === 0) {
    tasks.push({ fn: target.fn, topic: target.topic, partition: input.partition });
  }
  const admin = input.kafka.admin();
  try {
    const markers = await admin.committedOffsets(outboxGroupId(input.namespace, target.fn), target.topic);
    const states: TaskTransactionState[] = [];
    for (const task of tasks) {
      const checkpoint = (await store.load(task))?.checkpoint ?? null;
      const outbox = checkpoint?.outbox ?? null;
      const marker = markers.get(task.partition) ?? null;
      states.push({
        topic: task.topic,
        partition: task.partition,
        transactionalId: transactionalIdOf(input.namespace, task),
        version: checkpoint?.version ?? 0,
        next: checkpoint?.next ?? 0,
        outbox: outbox && summarise(outbox, target),
        marker,
        status: statusOf(outbox, target, marker),
      });
    }
    return states;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Initialises a producer with the task's transactional id and closes it: fences every other
 * producer of the task and aborts a transaction a dead or stuck one left open (which otherwise
 * holds back read_committed readers of the output partitions until the broker's transaction
 * timeout). Safe at any time: a live invocation that was fenced retries with a new producer, and
 * the outbox stays in the checkpoint to be published.
 */
export async function abortTaskTransaction(input: {
  kafka: KafkaPort;
  namespace: string;
  task: TaskId;
}): Promise<{
  transactionalId: string;
}> {
  const producer = input.kafka.transactionalProducer({
    transactionalId: transactionalIdOf(input.namespace, input.task),
    transactionTimeoutMs: TRANSACTION_TIMEOUT_MS,
  });
  try {
    await producer.connect();
  } finally {
    await producer.disconnect();
  }
  return { transactionalId: producer.transactionalId };
}

/**
 * Marks the task's outbox ending at `endOffset` as published WITHOUT sending it: after fencing
 * the task's producers (init), commits the outbox marker `endOffset + 1` in a transaction of its
 * own. Those outputs are lost for good — the escape hatch for an outbox that can never be
 * published (a topic deleted, a message the broker rejects). Does nothing when the marker is
 * already there.
 */
export async function markOutboxPublished(input: {
  kafka: KafkaPort;
  namespace: string;
  task: TaskId;
  endOffset: number;
}): Promise<{
  previous: number | null;
  marker: number;
  changed: boolean;
}> {
  const producer = input.kafka.transactionalProducer({
    transactionalId: transactionalIdOf(input.namespace, input.task),
    transactionTimeoutMs: TRANSACTION_TIMEOUT_MS,
  });
  const admin = input.kafka.admin();
  try {
    await producer.connect();
    const previous = await readOutboxMarker(admin, input.namespace, input.task);
    if (isPublished(previous, input.endOffset)) return { previous, marker: previous!, changed: false };
    await producer.commitTransaction({
      messages: [],
      offsets: markerOffsets(input.namespace, input.task, input.endOffset),
    });
    return { previous, marker: markerOffset(input.endOffset), changed: true };
  } finally {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
  }
}

function summarise(outbox: Outbox, target: TransactionsTarget) {
  return {
    messages: outbox.messages.length,
    kafkaMessages: outbox.messages.filter((m) => target.sinks[m.sink]?.kind === 'kafka').length,
    firstOffset: outbox.firstOffset,
    endOffset: outbox.endOffset,
  };
}

function statusOf(outbox: Outbox | null, target: TransactionsTarget, marker: number | null) {
  if (outbox === null || outbox.messages.length === 0) return 'none';
  // A message of a sink the function no longer declares counts as Kafka: it blocks publishing.
  const tracked = outbox.messages.some((m) => (target.sinks[m.sink]?.kind ?? 'kafka') === 'kafka');
  if (!tracked) return 'n/a';
  return isPublished(marker, outbox.endOffset) ? 'published' : 'pending';
}
