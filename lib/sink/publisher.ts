import type { Outbox, OutboxMessage, TaskId } from '../core/checkpoint';
import type { FaultInjector } from '../core/faults';
import type { Sink } from './sink';

export interface PublishRequest {
  /** the deployment namespace: part of every Kafka identity (lib/core/namespace.ts) */
  namespace: string;
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

/** What an output of a sink must fit, checked by `emit` before anything is committed. */
export interface SinkLimits {
  /** partitions of the target: an explicit or partitioner-chosen partition must be below it */
  partitions?: number;
  /** largest serialised record (key, value, headers and record overhead) the target accepts */
  maxMessageBytes?: number;
}

/** Publishers by sink kind ('kafka', 'log', ...). */
export type Publishers = Record<string, OutboxPublisher>;

/**
 * Delivers committed outbox messages of one sink kind. Must be idempotent per
 * (task, outbox.endOffset): the same outbox is flushed again after a crash.
 */
export interface OutboxPublisher {
  publish(request: PublishRequest): Promise<void>;
  /**
   * The limits of these sinks (all of this publisher's kind), by sink name: an output that can
   * never be published must fail its batch before the commit, not wedge the partition after it.
   * Called before every batch: keep it cached.
   */
  limits?(sinks: Record<string, Sink>): Promise<Map<string, SinkLimits>>;
  close(): Promise<void>;
}
