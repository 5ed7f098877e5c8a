import type { Outbox, OutboxMessage, TaskId } from '../checkpoint/checkpoint';
import type { FaultInjector } from '../checkpoint/faults';
import type { Sink } from './sink';

export interface PublishRequest {
  task: TaskId;
  outbox: Outbox;
  /** the outbox messages for this publisher's sinks only */
  messages: OutboxMessage[];
  sinks: Record<string, Sink>;
  faults: FaultInjector;
  /**
   * True when flushing the outbox of an earlier commit found at load (step 2), which this
   * process cannot know was published: non-idempotent publishers (logs) mark such output.
   */
  recovery?: boolean;
}

/**
 * Delivers committed outbox messages of one sink kind. Must be idempotent per
 * (task, outbox.endOffset): the same outbox is flushed again after a crash.
 */
export interface OutboxPublisher {
  publish(request: PublishRequest): Promise<void>;
  close(): Promise<void>;
}
