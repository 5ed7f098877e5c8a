import { describe, expect, it } from 'vitest';
import type { Outbox, OutboxMessage, TaskId } from '../../../lib/core/checkpoint';
import { configFromEnv } from '../../../lib/core/config';
import { ConfigError, InjectedFault, PublishError } from '../../../lib/core/errors';
import { type FaultInjector, noFaults } from '../../../lib/core/faults';
import { serde } from '../../../lib/core/serde';
import { outboxGroupId, transactionalIdOf } from '../../../lib/core/task';
import { kafkaSink } from '../../../lib/sink/kafka';
import { kafkaPublishers } from '../../../lib/sink/kafka-from-config';
import { MAX_CHUNK_BYTES } from '../../../lib/sink/kafka-messages';
import { createKafkaPublisher, PUBLISH_ATTEMPTS } from '../../../lib/sink/kafka-publisher';
import type { Sink } from '../../../lib/sink/sink';
import {
  concurrentTransactions,
  connectionLost,
  createFakeBroker,
  type FakeBroker,
  messageTooLarge,
} from './fake-kafkajs';

const task: TaskId = { fn: 'word-count', topic: 'sentences', partition: 2 };
const TID = transactionalIdOf('test', task);
const MARKER = `${outboxGroupId('test', task.fn)}|sentences|2`;
const sinks: Record<string, Sink> = {
  counts: kafkaSink({ topic: 'word-counts', value: serde.json() }) as Sink,
};

const b64 = (text: string) => Buffer.from(text).toString('base64');
function message(key: string, value: string, extra: Partial<OutboxMessage> = {}): OutboxMessage {
  return { sink: 'counts', key: b64(key), value: b64(value), ...extra };
}
function outbox(endOffset: number, messages: OutboxMessage[]): Outbox {
  return { firstOffset: endOffset - 1, endOffset, messages };
}

function setup() {
  const broker = createFakeBroker();
  broker.partitionCounts.set('sentences', 3);
  broker.partitionCounts.set('word-counts', 2);
  const publisher = createKafkaPublisher({ kafka: broker.port, sleep: async () => {} });
  const publish = (box: Outbox, options: { faults?: FaultInjector; sinks?: Record<string, Sink> } = {}) =>
    publisher.publish({
      namespace: 'test',
      task,
      outbox: box,
      messages: box.messages,
      sinks: options.sinks ?? sinks,
      faults: options.faults ?? noFaults,
    });
  return { broker, publisher, publish };
}

const values = (broker: FakeBroker, topic = 'word-counts') =>
  (broker.topics.get(topic) ?? []).map((m) => String(m.value));
const count = (broker: FakeBroker, call: string) => broker.calls.filter((c) => c === call).length;

describe('createKafkaPublisher', () => {
  it('publishes an outbox and its marker in one transaction, decoding key, value and headers', async () => {
    const { broker, publisher, publish } = setup();
    await publish(
      outbox(11, [
        message('a', '{"n":1}', {
          headers: [
            ['h', b64('x')],
            ['h', b64('y')],
            ['k', b64('z')],
          ],
        }),
        message('b', '{"n":2}', { partition: 0 }),
      ]),
    );
    const [first, second] = broker.topics.get('word-counts')!;
    expect(first).toMatchObject({
      key: Buffer.from('a'),
      value: Buffer.from('{"n":1}'),
      transactionalId: TID,
    });
    expect(first!.headers).toEqual({ h: [Buffer.from('x'), Buffer.from('y')], k: [Buffer.from('z')] });
    expect(first!.partition).toBeUndefined(); // left to kafkajs's murmur2 DefaultPartitioner
    expect(second!.partition).toBe(0);
    expect(broker.offsets.get(MARKER)).toBe(12);
    expect(broker.calls).toEqual([
      `connect ${TID}`,
      `init ${TID}`,
      'abort', // the adapter's empty init transaction: no request in kafkajs
      'fetchOffsets',
      'fetchOffsets', // no marker yet: read again after a pause (offsets materialise asynchronously)
      'fetchTopicMetadata', // partition 0 given explicitly: checked against the topic
      'describeConfigs', // the topic's limits are read (and cached) together
      'sendBatch',
      'sendOffsets',
      'commit',
    ]);
    expect(publisher.stats()).toMatchObject({ published: 1, inits: 1, skippedAfterRead: 0 });
  });

  it('skips an outbox whose marker shows it published, after init (cold)', async () => {
    const { broker, publisher, publish } = setup();
    broker.offsets.set(MARKER, 21);
    await publish(outbox(20, [message('a', '1')]));
    await publish(outbox(15, [message('a', 'older')]));
    expect(broker.topics.size).toBe(0);
    expect(count(broker, 'sendBatch')).toBe(0);
    expect(broker.calls.indexOf(`init ${TID}`)).toBeLessThan(broker.calls.indexOf('fetchOffsets'));
    expect(publisher.stats()).toMatchObject({ published: 0, skippedAfterRead: 1, skippedWarm: 1, inits: 1 });
  });

  it('reads the marker once per producer (twice when it looks unpublished): warm publishes and re-flushes make no read', async () => {
    const { broker, publisher, publish } = setup();
    await publish(outbox(1, [message('a', '1')]));
    await publish(outbox(3, [message('a', '2')]));
    await publish(outbox(3, [message('a', '2')])); // the same outbox flushed again: known published
    await publish(outbox(6, [message('a', '3')]));
    expect(values(broker)).toEqual(['1', '2', '3']);
    expect(count(broker, 'fetchOffsets')).toBe(2);
    expect(broker.offsets.get(MARKER)).toBe(7);
    expect(publisher.stats()).toMatchObject({ published: 3, skippedWarm: 1, inits: 1 });
  });

  it('retries CONCURRENT_TRANSACTIONS on sendOffsets within the same transaction', async () => {
    const { broker, publisher, publish } = setup();
    broker.failNext('sendOffsets', concurrentTransactions(), 3);
    await publish(outbox(4, [message('a', '1'), message('b', '2')]));
    expect(count(broker, 'sendOffsets')).toBe(4);
    expect(count(broker, 'sendBatch')).toBe(1);
    expect(values(broker)).toEqual(['1', '2']);
    expect(broker.offsets.get(MARKER)).toBe(5);
    expect(publisher.stats()).toMatchObject({ published: 1, retriedAttempts: 0, inits: 1 });
  });

  it('aborts the transaction on a send error and fails with a PublishError; nothing becomes visible', async () => {
    const { broker, publisher, publish } = setup();
    broker.failNext('sendOffsets', messageTooLarge());
    const error = await publish(outbox(4, [message('a', '1')])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).retriable).toBe(true);
    expect((error as Error).message).toMatch(/word-count\/sentences\/2.*offsets 3-4.*MESSAGE_TOO_LARGE|fake/);
    expect(broker.calls.slice(-3)).toEqual(['sendOffsets', 'abort', `disconnect ${TID}`]);
    expect(broker.topics.size).toBe(0);
    expect(broker.open.size).toBe(0);
    expect(broker.offsets.has(MARKER)).toBe(false);
    // The next publish starts over with a fresh producer and a marker read.
    await publish(outbox(4, [message('a', '1')]));
    expect(values(broker)).toEqual(['1']);
    expect(publisher.stats()).toMatchObject({ published: 1, inits: 2 });
    expect(count(broker, 'fetchOffsets')).toBe(4); // per init: no marker yet, so read twice
  });

  it('recreates the producer after a broker error and publishes exactly once', async () => {
    const { broker, publisher, publish } = setup();
    await publish(outbox(1, [message('a', '1')])); // warm producer
    broker.failNext('sendBatch', connectionLost());
    await publish(outbox(3, [message('a', '2'), message('b', '3')]));
    expect(values(broker)).toEqual(['1', '2', '3']);
    expect(broker.producersCreated).toBe(2);
    expect(count(broker, 'abort')).toBeGreaterThanOrEqual(3); // 2 empty init transactions + the failed one
    expect(publisher.stats()).toMatchObject({ published: 2, retriedAttempts: 1, inits: 2 });
  });

  it('when a commit response is lost, the marker read on a fresh producer finds it done (no duplicate)', async () => {
    const { broker, publisher, publish } = setup();
    broker.failNext('commitResponse', connectionLost());
    await publish(outbox(4, [message('a', '1')]));
    expect(values(broker)).toEqual(['1']);
    expect(broker.offsets.get(MARKER)).toBe(5);
    expect(publisher.stats()).toMatchObject({
      published: 0,
      skippedAfterRead: 1,
      retriedAttempts: 1,
      inits: 2,
    });
  });

  it('is fenced by a second process, then skips what that process published', async () => {
    const { broker, publisher, publish } = setup();
    await publish(outbox(1, [message('a', '1')])); // our producer is warm, epoch 1
    // A second process (a zombie's retry) publishes the next outbox with its own producer.
    const other = createKafkaPublisher({ kafka: broker.port, sleep: async () => {} });
    await other.publish({
      namespace: 'test',
      task,
      outbox: outbox(3, [message('a', '2')]),
      messages: [message('a', '2')],
      sinks,
      faults: noFaults,
    });
    // Our warm producer believes the marker is 2, tries to publish the same outbox: fenced.
    await publish(outbox(3, [message('a', '2')]));
    expect(values(broker)).toEqual(['1', '2']);
    expect(publisher.stats()).toMatchObject({
      published: 1,
      retriedAttempts: 1,
      skippedAfterRead: 1,
      inits: 2,
    });
  });

  it('leaves the transaction open at an injected crash (mid-publish); the next init aborts it', async () => {
    const { broker, publisher, publish } = setup();
    const crash: FaultInjector = (point) => {
      if (point === 'mid-publish') throw new InjectedFault(point);
    };
    await expect(publish(outbox(4, [message('a', '1')]), { faults: crash })).rejects.toBeInstanceOf(
      InjectedFault,
    );
    expect(broker.open.get(TID)).toMatchObject({ messages: 1 });
    expect(count(broker, 'abort')).toBe(1); // only the empty init transaction
    expect(broker.topics.size).toBe(0);
    await publish(outbox(4, [message('a', '1')]));
    expect(broker.open.size).toBe(0);
    expect(values(broker)).toEqual(['1']);
    expect(publisher.stats()).toMatchObject({ published: 1, inits: 2, retriedAttempts: 0 });
  });

  it('gives up after PUBLISH_ATTEMPTS on a broker that stays down', async () => {
    const { broker, publisher, publish } = setup();
    broker.failNext('sendBatch', connectionLost(), 100);
    await expect(publish(outbox(4, [message('a', '1')]))).rejects.toThrow(
      new RegExp(`failed after ${PUBLISH_ATTEMPTS} attempt`),
    );
    expect(publisher.stats().inits).toBe(PUBLISH_ATTEMPTS);
    expect(broker.topics.size).toBe(0);
  });

  it("uses the sink's partitioner with the target's partition count", async () => {
    const { broker, publish } = setup();
    broker.partitionCounts.set('by-length', 3);
    const byLength = {
      ...kafkaSink({
        topic: 'by-length',
        value: serde.string(),
        partitioner: (key, partitions) => (key?.length ?? 0) % partitions,
      }),
    } as Sink;
    const box = outbox(4, [
      { sink: 'byLength', key: b64('abcd'), value: b64('1') },
      { sink: 'byLength', key: b64('ab'), value: b64('2'), partition: 0 },
    ]);
    await publish(box, { sinks: { byLength } });
    expect((broker.topics.get('by-length') ?? []).map((m) => m.partition)).toEqual([1, 0]);
    const bad = outbox(6, [{ sink: 'byLength', key: b64('a'), value: b64('3'), partition: 7 }]);
    await expect(publish(bad, { sinks: { byLength } })).rejects.toBeInstanceOf(ConfigError);
  });

  it('splits a large outbox into several produce requests, in order, in one transaction', async () => {
    const { broker, publish } = setup();
    const big = 'x'.repeat(100_000);
    const messages = Array.from({ length: 12 }, (_, i) => message(`k${i % 3}`, `${i}:${big}`));
    await publish(outbox(40, messages));
    const sent = count(broker, 'sendBatch');
    expect(sent).toBeGreaterThanOrEqual(Math.ceil((12 * 100_000) / MAX_CHUNK_BYTES));
    expect(count(broker, 'commit')).toBe(1);
    expect(values(broker).map((v) => v.split(':')[0])).toEqual(messages.map((_, i) => String(i)));
  });

  it('serialises concurrent publishes of one task (one transaction at a time per producer)', async () => {
    const { broker, publish } = setup();
    await Promise.all([publish(outbox(1, [message('a', '1')])), publish(outbox(3, [message('a', '2')]))]);
    expect(values(broker)).toEqual(['1', '2']);
  });

  it('connects to nothing before the first publish, and refuses other functions when fn is set', async () => {
    let made = 0;
    const broker = createFakeBroker();
    const publisher = createKafkaPublisher({
      kafka: () => {
        made += 1;
        return broker.port;
      },
      fn: 'other',
    });
    await publisher.close();
    expect(made).toBe(0);
    await expect(
      publisher.publish({
        namespace: 'test',
        task,
        outbox: outbox(1, []),
        messages: [message('a', '1')],
        sinks,
        faults: noFaults,
      }),
    ).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('kafkaPublishers', () => {
  const request = {
    namespace: 'test',
    task,
    outbox: outbox(1, [message('a', '1')]),
    messages: [message('a', '1')],
    sinks,
    faults: noFaults,
  };

  it('needs no broker for a function without Kafka outputs, and names the setting when one comes', async () => {
    const publishers = kafkaPublishers(configFromEnv({}).kafka);
    expect(Object.keys(publishers)).toEqual(['kafka']);
    await expect(publishers.kafka!.publish(request)).rejects.toThrow(/SLUICE_KAFKA_BROKERS is required/);
    await publishers.kafka!.close();
  });

  it('validates Kafka settings at cold start when they are given', () => {
    expect(() => configFromEnv({ SLUICE_KAFKA_BROKERS: 'no port here' })).toThrow(ConfigError);
  });
});
