import kafkajs, { type Kafka, type ProducerBatch } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { serde } from '../../../lib/core/serde';
import { createProducer } from '../../../lib/kafka/producer';
import { kafkaSink } from '../../../lib/sink/kafka';
import { toTopicMessageChunks } from '../../../lib/sink/kafka-messages';
import type { Sink } from '../../../lib/sink/sink';

/** A kafkajs stand-in that records each produce request. */
function fakeKafka(requests: ProducerBatch[]): Kafka {
  return {
    producer: () => ({
      connect: async () => {},
      disconnect: async () => {},
      sendBatch: async (batch: ProducerBatch) => {
        requests.push(batch);
        return [];
      },
    }),
  } as unknown as Kafka;
}

describe('compression on the produce path', () => {
  it('sends topics with different codecs in separate requests, in order, each with its codec', async () => {
    const requests: ProducerBatch[] = [];
    const producer = createProducer(fakeKafka(requests));
    await producer.send([
      { topic: 'a', messages: [{ value: '1' }], compression: 'zstd' },
      { topic: 'b', messages: [{ value: '2' }], compression: 'zstd' },
      { topic: 'c', messages: [{ value: '3' }] },
      { topic: 'd', messages: [{ value: '4' }], compression: 'lz4' },
    ]);
    const { CompressionTypes } = kafkajs;
    expect(requests.map((r) => [r.compression, r.topicMessages?.map((t) => t.topic)])).toEqual([
      [CompressionTypes.ZSTD, ['a', 'b']],
      [CompressionTypes.None, ['c']],
      [CompressionTypes.LZ4, ['d']],
    ]);
  });

  it("gives each chunk's topic its sink's compression", () => {
    const sinks: Record<string, Sink> = {
      z: kafkaSink({ topic: 'zipped', value: serde.string(), compression: 'snappy' }) as Sink,
      p: kafkaSink({ topic: 'plain', value: serde.string() }) as Sink,
    };
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const [chunk] = toTopicMessageChunks(
      [
        { sink: 'z', key: null, value: b64('x') },
        { sink: 'p', key: null, value: b64('y') },
      ],
      sinks,
      new Map(),
    );
    expect(chunk?.map((t) => [t.topic, t.compression])).toEqual([
      ['zipped', 'snappy'],
      ['plain', undefined],
    ]);
  });

  it('kafkaSink rejects an unknown codec at definition', () => {
    expect(() => kafkaSink({ topic: 't', value: serde.string(), compression: 'brotli' as never })).toThrow(
      'kafkaSink({ topic: "t" }).compression must be one of none, gzip, snappy, lz4, zstd, got "brotli"',
    );
  });
});
