import type { FlushReport } from '../checkpoint/flush';
import { changeQuarantine, listQuarantine, type QuarantinedRecord } from '../checkpoint/quarantine-commands';
import { type RewindTarget, type RewoundTask, rewindTasks, takeSavepoint } from '../checkpoint/rewind';
import type { Checkpoint, TaskId } from '../core/checkpoint';
import { ConfigError } from '../core/errors';
import { type Logger, silentLogger } from '../core/log';
import type { Savepoint } from '../core/savepoint';
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
import {
  createMemoryBroker,
  createMemoryMarkers,
  createMemoryPublisher,
  type MemoryBroker,
} from './memory-publisher';
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
  /**
   * Partitions of the source topic, for savepoints and rewinds of the whole function (default:
   * the partitions fed or committed so far).
   */
  sourcePartitions?: number;
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
  const keyBytes = (key: [] | [unknown]) =>
    key.length === 0 ? {} : { key: definition.source.key.serialize(key[0] ?? null) };

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
      // Schema-registry serdes look their output schema's id up before they can serialise.
      await definition.source.key.prepareSerialize?.({ topic, part: 'key' });
      await definition.source.value.prepareSerialize?.({ topic, part: 'value' });
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
    /** The records in a partition's quarantine (onError: 'quarantine-key'), in offset order. */
    async quarantine(partition = 0): Promise<QuarantinedRecord[]> {
      return listQuarantine(shared.store, task(partition));
    },
    /**
     * `sluice quarantine <fn> replay [--key K]`: releases the parked records (of key `key`, given
     * as a value of the source key serde); the partition's next batch runs them first.
     */
    async replayQuarantine(partition = 0, ...key: [] | [unknown]) {
      return changeQuarantine(shared.store, task(partition), { action: 'replay', ...keyBytes(key) });
    },
    /** `sluice quarantine <fn> drop [--key K]`: discards the parked records (of key `key`). */
    async dropQuarantine(partition = 0, ...key: [] | [unknown]) {
      return changeQuarantine(shared.store, task(partition), { action: 'drop', ...keyBytes(key) });
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
    /**
     * `sluice savepoint`: copies every partition task this harness has seen (after publishing
     * its pending outbox). Tasks never committed start, after a rewind to it, where their next
     * record would be.
     */
    async savepoint(name: string): Promise<Savepoint> {
      const positions = new Map(
        (await partitions()).map((p) => [p, { committed: null, initial: shared.nextOffset.get(p) ?? 0 }]),
      );
      return takeSavepoint(
        { store: shared.store, publishers, namespace, now: options.now ?? Date.now },
        definition,
        { name, triggerGroup: null, partitions: positions },
      );
    },
    /**
     * `sluice rewind` / `sluice reset` on every partition (or those given): to a savepoint by
     * name, to offsets with empty state, or the checkpoints as they are. Warm instances are left
     * as they are: they must find out from the store, as on Lambda.
     */
    async rewind(
      to: string | Extract<RewindTarget, { kind: 'offsets' | 'checkpoints' }>,
      only?: number[],
    ): Promise<RewoundTask[]> {
      let target: RewindTarget;
      if (typeof to === 'string') {
        const savepoint = await shared.store.savepoints.get(definition.name, to);
        if (!savepoint) throw new ConfigError(`no savepoint "${to}" of ${definition.name}`);
        target = { kind: 'savepoint', savepoint };
      } else {
        target = to;
      }
      const markers = createMemoryMarkers(shared.broker, namespace, options.now);
      return rewindTasks(
        { store: shared.store, publishers, markers, namespace, now: options.now ?? Date.now },
        definition,
        target,
        only ?? (await partitions()),
      );
    },
    async close() {
      await runtime.close();
    },
  };

  /** The source topic's partitions, or those with a checkpoint or a record fed so far. */
  async function partitions(): Promise<number[]> {
    const seen = new Set([...shared.nextOffset.keys()]);
    for (let p = 0; p < (options.sourcePartitions ?? 0); p++) seen.add(p);
    for (const t of await shared.store.list(definition.name)) if (t.topic === topic) seen.add(t.partition);
    return [...seen].sort((a, b) => a - b);
  }
  return api;
}

export type Harness = ReturnType<typeof createHarness>;
