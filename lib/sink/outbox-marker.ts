import { outboxGroupId, type TaskId, transactionalIdOf } from '../core/task';
import type { KafkaAdmin } from '../kafka/admin';
import type { TransactionOffsets } from '../kafka/messages';
import type { KafkaPort } from './kafka-port';

/**
 * The outbox marker (DESIGN section 5): the committed offset of consumer group
 * `sluice.<namespace>.<function>.outbox` for the SOURCE topic-partition of a task. Each outbox transaction
 * commits `endOffset + 1` to it together with the outputs, so "marker >= endOffset + 1" means
 * "this outbox (or a later one) was published". Outboxes of a task are published in commit order,
 * so the marker only moves forward.
 *
 * The group never has members: its offsets are only written by transactions (TxnOffsetCommit).
 * The broker expires offsets of a member-less group `offsets.retention.minutes` after their last
 * commit (7 days by default): an absent marker is therefore ambiguous, and the coordinator never
 * relies on one for an outbox older than that. An outbox stays in the checkpoint only until a
 * later commit replaces it or the scheduled flush confirms it in the store (checkpoint/flush.ts),
 * so an outbox still there is one nobody confirmed: absent or lower marker, it is published.
 */

/** The offset to commit for an outbox whose batch ended at `endOffset` (Kafka: last + 1). */
export function markerOffset(endOffset: number): number {
  return endOffset + 1;
}

/** Whether a marker (null: none committed) shows the outbox ending at `endOffset` as published. */
export function isPublished(marker: number | null, endOffset: number): boolean {
  return marker !== null && marker >= markerOffset(endOffset);
}

/** The `sendOffsets` argument that moves a task's marker past `endOffset`. */
export function markerOffsets(namespace: string, task: TaskId, endOffset: number): TransactionOffsets {
  return {
    consumerGroupId: outboxGroupId(namespace, task.fn),
    topics: [
      {
        topic: task.topic,
        partitions: [{ partition: task.partition, offset: markerOffset(endOffset) }],
      },
    ],
  };
}

/**
 * Reads a task's marker: one OffsetFetch (plus a FindCoordinator and topic metadata the client
 * caches). Only meaningful after the task's producer was initialised: init completes or aborts
 * any transaction still writing the marker, so what is read is settled.
 */
export async function readOutboxMarker(
  admin: KafkaAdmin,
  namespace: string,
  task: TaskId,
): Promise<number | null> {
  const offsets = await admin.committedOffsets(outboxGroupId(namespace, task.fn), task.topic);
  return offsets.get(task.partition) ?? null;
}

/**
 * The outbox markers of one deployment, and the fencing of its tasks' transactional ids, for
 * rewinds (lib/checkpoint/rewind.ts). Setting a marker is an admin OffsetCommit: the marker group
 * never has members, so Kafka accepts it.
 */
export function createKafkaOutboxMarkers(kafka: KafkaPort, namespace: string) {
  const admin = kafka.admin();
  return {
    async fence(task: TaskId): Promise<void> {
      const producer = kafka.transactionalProducer({ transactionalId: transactionalIdOf(namespace, task) });
      try {
        await producer.connect();
      } finally {
        await producer.disconnect();
      }
    },
    read: (task: TaskId) => readOutboxMarker(admin, namespace, task),
    async set(task: TaskId, offset: number): Promise<void> {
      await admin.setOffsets(
        outboxGroupId(namespace, task.fn),
        task.topic,
        new Map([[task.partition, offset]]),
      );
    },
  };
}
