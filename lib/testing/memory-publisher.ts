import type { OutboxMarkers } from '../checkpoint/rewind';
import type { OutboxMessage, TaskId } from '../core/checkpoint';
import { transactionalIdOf } from '../core/task';
import type { OutboxPublisher, SinkLimits } from '../sink/publisher';

export interface PublishedMessage extends OutboxMessage {
  namespace: string;
  task: TaskId;
  /** source offset range of the batch that produced it */
  endOffset: number;
}

/** An outbox marker as the broker keeps it: the offset, and when it was committed (for expiry). */
export interface MemoryMarker {
  offset: number;
  committedAt: number;
}

/** The broker a memory publisher writes to; share one between publishers to model one cluster. */
export interface MemoryBroker {
  published: PublishedMessage[];
  /** by transactional id (namespace and task), as Kafka keys them apart */
  markers: Map<string, MemoryMarker>;
  /** limits of sink targets (by topic); a topic not listed has none */
  limits: Map<string, SinkLimits>;
}

export function createMemoryBroker(): MemoryBroker {
  return { published: [], markers: new Map(), limits: new Map() };
}

/**
 * Publishes into an array, the way the transactional Kafka publisher does: messages of an
 * outbox become visible together (a crash at `mid-publish` leaves none), and an outbox already
 * published for (namespace, task, endOffset) is skipped, like the outbox marker check. Markers
 * carry their commit time, so tests can expire them as a broker does.
 */
export function createMemoryPublisher(
  broker: MemoryBroker = createMemoryBroker(),
  now: () => number = Date.now,
) {
  const publisher: OutboxPublisher = {
    async publish({ namespace, task, outbox, messages, faults }) {
      const id = transactionalIdOf(namespace, task);
      const published = () => (broker.markers.get(id)?.offset ?? -1) >= outbox.endOffset + 1;
      if (published()) return;
      const staged = messages.map((m) => ({ ...m, namespace, task, endOffset: outbox.endOffset }));
      await faults('mid-publish', task);
      // Two processes publishing one outbox at once: in Kafka the later init fences the earlier
      // producer, whose commit fails; either way the outputs land once.
      if (published()) return;
      broker.published.push(...staged);
      broker.markers.set(id, { offset: outbox.endOffset + 1, committedAt: now() });
    },
    async limits(sinks) {
      const limits = new Map<string, SinkLimits>();
      for (const [name, sink] of Object.entries(sinks)) {
        const topic = broker.limits.get(sink.target);
        if (topic) limits.set(name, topic);
      }
      return limits;
    },
    async close() {},
  };
  return { publisher, broker };
}

/** The outbox markers of one deployment on a memory broker, for rewinds (fencing is implicit here). */
export function createMemoryMarkers(
  broker: MemoryBroker,
  namespace: string,
  now: () => number = Date.now,
): OutboxMarkers {
  return {
    async fence() {},
    async read(task) {
      return broker.markers.get(transactionalIdOf(namespace, task))?.offset ?? null;
    },
    async set(task, offset) {
      broker.markers.set(transactionalIdOf(namespace, task), { offset, committedAt: now() });
    },
  };
}
