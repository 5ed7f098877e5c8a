import type { FlushReport } from '../checkpoint/flush';
import type { Checkpoint, TaskId } from '../core/checkpoint';
import { type Logger, silentLogger } from '../core/log';
import type { Json } from '../core/state-types';
import { encodeEvent } from '../event/encode';
import type { EventSource, RawRecord, RecordHeader } from '../event/types';
import type { MetricsSink } from '../lambda/batch-metrics';
import {
  type BatchResponse,
  createHandler,
  type HandlerOptions,
  type KafkaHandler,
  type LambdaContext,
} from '../lambda/handler';
import { createRuntime, type Runtime } from '../lambda/runtime';
import { FLUSH_EVENT } from '../lambda/scheduled-flush';
import type { Publishers } from '../sink/publisher';
import { createMemoryStore } from '../store/memory';
import type { Store } from '../store/store';
import { createFaultPlan, type PlannedFault } from './faults';
import { createMemoryBroker, createMemoryPublisher, type MemoryBroker } from './memory-publisher';
import { type CommittedOutbox, recordCommits } from './recording-store';

/** A record to feed a function: key and value go through the function's source serdes. */
export interface TestRecord {
  partition?: number;
  /** default: the next offset of the partition */
  offset?: number;
  key?: unknown;
  value?: unknown;
  /** bytes as they would be on the wire, bypassing the serde (e.g. to test undecodable input) */
  rawKey?: Buffer | null;
  rawValue?: Buffer | null;
  headers?: RecordHeader[];
  timestamp?: number;
}

export { createEmfMetrics, type EmfDocument } from '../lambda/emf-metrics';

export interface HarnessOptions {
  store?: Store;
  /** replaces the in-memory publishers (e.g. the real Kafka publisher in integration tests) */
  publishers?: Publishers;
  eventSource?: EventSource;
  handler?: HandlerOptions;
  log?: Logger;
  /** where each batch's metrics go (default none; `createEmfMetrics({ namespace, write })` for EMF) */
  metrics?: MetricsSink;
  now?: () => number;
  /** the deployment namespace (default `test`) */
  namespace?: string;
  /** the Kafka the memory publishers write to; share one to put deployments on one cluster */
  broker?: MemoryBroker;
}

interface Shared {
  store: Store;
  committed: CommittedOutbox[];
  broker: MemoryBroker;
  nextOffset: Map<number, number>;
}

/**
 * Runs a function the way Lambda does — real event JSON, the real handler, the real protocol —
 * against an in-memory (or given) store, with crashes injectable at every protocol point.
 *
 * @example
 * const h = createHarness(wordCount);
 * await h.invoke([{ value: 'a b a' }]);
 * expect(await h.state()).toEqual({ 'counts/a': 2, 'counts/b': 1 });
 * h.failAt('after-commit');
 * await expect(h.invoke([{ value: 'b' }])).rejects.toThrow('injected fault');
 * await h.retry(); // the same event again: applied once
 */
export function createHarness(handler: KafkaHandler, options: HarnessOptions = {}) {
  const committed: CommittedOutbox[] = [];
  const shared: Shared = {
    store: recordCommits(options.store ?? createMemoryStore(), committed),
    committed,
    broker: options.broker ?? createMemoryBroker(),
    nextOffset: new Map(),
  };
  return harnessOver(handler, options, shared);
}

function harnessOver(handler: KafkaHandler, options: HarnessOptions, shared: Shared) {
  const definition = handler.definition;
  const topic = definition.source.topic;
  const faults = createFaultPlan();
  const namespace = options.namespace ?? 'test';
  const memory = createMemoryPublisher(shared.broker, options.now);
  const kinds = new Set(Object.values(definition.sinks).map((s) => s.kind));
  const publishers: Publishers =
    options.publishers ?? Object.fromEntries([...kinds, 'log'].map((kind) => [kind, memory.publisher]));
  let runtime: Runtime;
  let current: KafkaHandler;
  let lastEvent: unknown;

  function start() {
    runtime = createRuntime({
      store: shared.store,
      publishers,
      log: options.log ?? silentLogger,
      ...(options.metrics && { metrics: options.metrics }),
      now: options.now,
      faults: faults.inject,
      namespace,
    });
    const started = runtime;
    current = createHandler(definition, async () => started, options.handler);
  }
  start();

  function toRaw(record: TestRecord): RawRecord {
    const partition = record.partition ?? 0;
    const offset = record.offset ?? shared.nextOffset.get(partition) ?? 0;
    shared.nextOffset.set(partition, Math.max(shared.nextOffset.get(partition) ?? 0, offset + 1));
    return {
      topic,
      partition,
      offset,
      timestamp: record.timestamp ?? 1_700_000_000_000 + offset,
      timestampType: 'CREATE_TIME',
      key: record.rawKey !== undefined ? record.rawKey : definition.source.key.serialize(record.key ?? null),
      value:
        record.rawValue !== undefined ? record.rawValue : definition.source.value.serialize(record.value),
      headers: record.headers ?? [],
    };
  }

  const task = (partition: number): TaskId => ({ fn: definition.name, topic, partition });

  const api = {
    definition,
    store: shared.store,
    /** Builds the event for these records (offsets assigned per partition) without invoking. */
    event(records: TestRecord[]): unknown {
      const raw = records.map(toRaw).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
      return encodeEvent({
        eventSource: options.eventSource ?? 'SelfManagedKafka',
        bootstrapServers: ['127.0.0.1:9092'],
        records: raw,
      });
    },
    namespace,
    /** Invokes the handler with the event for these records. */
    async invoke(records: TestRecord[], context?: LambdaContext): Promise<BatchResponse | undefined> {
      return api.invokeEvent(api.event(records), context);
    },
    /** Invokes the handler with an event as Lambda would deliver it (JSON round trip included). */
    async invokeEvent(event: unknown, context?: LambdaContext): Promise<BatchResponse | undefined> {
      lastEvent = event;
      return (await current(JSON.parse(JSON.stringify(event)), context)) as BatchResponse | undefined;
    },
    /** Delivers the last event again, as Lambda does after a failed invocation. */
    async retry(context?: LambdaContext): Promise<BatchResponse | undefined> {
      return api.invokeEvent(lastEvent, context);
    },
    /** Runs the scheduled flush, as its EventBridge schedule would invoke this instance. */
    async flush(): Promise<FlushReport> {
      return (await current(FLUSH_EVENT)) as FlushReport;
    },
    /** Batches this instance re-ran after a checkpoint conflict. */
    get reruns(): number {
      return runtime.coordinator.reruns;
    },
    /** Crashes at `point` the next time it is reached (for `partition`, `times` times). */
    failAt(point: PlannedFault['point'], fault: Omit<PlannedFault, 'point'> = {}) {
      faults.add({ point, ...fault });
    },
    faults,
    /** A cold start: the process dies with its warm state and publishers' sessions. */
    async crash() {
      start();
    },
    /**
     * Another process (Lambda instance) sharing the store and the outputs, with its own warm
     * state: use it for concurrent zombie invocations of the same batch, or stale instances.
     */
    fork() {
      return harnessOver(handler, options, shared);
    },
    /**
     * Another deployment of the same function (another stage) on the same Kafka cluster: its own
     * namespace and store, the same broker.
     */
    deployment(namespace: string, store: Store = createMemoryStore()) {
      return createHarness(handler, { ...options, namespace, store, broker: shared.broker });
    },
    /** The broker's outbox markers and published outputs (expire or delete markers through it). */
    broker: shared.broker,
    async checkpoint(partition = 0): Promise<Checkpoint | null> {
      return (await shared.store.load(task(partition)))?.checkpoint ?? null;
    },
    /** Committed state of a partition, as a plain object of flattened keys. */
    async state(partition = 0): Promise<Record<string, Json>> {
      return Object.fromEntries((await shared.store.load(task(partition)))?.state ?? []);
    },
    /** Every outbox that was committed, in commit order. */
    committedOutboxes: shared.committed,
    /** Outputs this deployment published, decoded with their sinks' serdes, in publish order. */
    published(sink?: string): Array<{ partition: number; key: unknown; value: unknown }> {
      return shared.broker.published
        .filter((m) => m.namespace === namespace && (sink === undefined || m.sink === sink))
        .map((m) => {
          const s = definition.sinks[m.sink]!;
          return {
            partition: m.task.partition,
            key: s.key.deserialize(m.key === null ? null : Buffer.from(m.key, 'base64')),
            value: s.value.deserialize(m.value === null ? null : Buffer.from(m.value, 'base64')),
          };
        });
    },
    async close() {
      await runtime.close();
    },
  };
  return api;
}

export type Harness = ReturnType<typeof createHarness>;
