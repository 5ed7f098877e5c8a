import type { OutboxMessage, TaskId } from '../checkpoint/checkpoint';
import type { OutboxPublisher } from '../sink/publisher';
import { taskKey } from '../store/task-key';

export interface PublishedMessage extends OutboxMessage {
  task: TaskId;
  /** source offset range of the batch that produced it */
  endOffset: number;
}

/**
 * Publishes into an array, the way the transactional Kafka publisher does: messages of an
 * outbox become visible together (a crash at `mid-publish` leaves none), and an outbox already
 * published for (task, endOffset) is skipped, like the outbox marker check.
 */
export function createMemoryPublisher(
  published: PublishedMessage[] = [],
  markers = new Map<string, number>(),
) {
  const publisher: OutboxPublisher = {
    async publish({ task, outbox, messages, faults }) {
      const marker = taskKey(task);
      if ((markers.get(marker) ?? -1) >= outbox.endOffset + 1) return;
      const staged = messages.map((m) => ({ ...m, task, endOffset: outbox.endOffset }));
      await faults('mid-publish', task);
      published.push(...staged);
      markers.set(marker, outbox.endOffset + 1);
    },
    async close() {},
  };
  return { publisher, published, markers };
}
