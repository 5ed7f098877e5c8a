/**
 * Where a trigger starts reading each partition. As on Lambda, a consumer group that already
 * has committed offsets resumes from them and `startingPosition` is ignored
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-consumer-group-id.html); partitions without
 * one start at:
 * - TRIM_HORIZON: the oldest record still in the log (low watermark);
 * - LATEST: the log end when the emulator starts, so records produced after `startEmulator`
 *   resolves are delivered (the ESM fixes its position when it is created);
 * - AT_TIMESTAMP: the first record with a timestamp at or after `startingPositionTimestamp`
 *   (the log end when there is none).
 */
import type { KafkaClient } from '../../lib/kafka/client';
import type { StartingPosition } from './settings';

/** Start offset per partition that has no committed offset in `groupId`. */
export async function startOffsets(
  kafka: KafkaClient,
  input: { groupId: string; topic: string; position: StartingPosition; timestampMs?: number },
): Promise<Map<number, number>> {
  const admin = kafka.admin();
  try {
    const [partitions, committed] = await Promise.all([
      admin.partitions(input.topic),
      admin.committedOffsets(input.groupId, input.topic),
    ]);
    const missing = partitions.filter((p) => (committed.get(p) ?? null) === null);
    if (missing.length === 0) return new Map();
    if (input.position === 'AT_TIMESTAMP') {
      const offsets = await admin.offsetsForTimestamp(input.topic, input.timestampMs ?? 0);
      return new Map([...offsets].filter(([partition]) => missing.includes(partition)));
    }
    const watermarks = await admin.watermarks(input.topic);
    return new Map(
      missing.map((p) => {
        const mark = watermarks.get(p) ?? { low: 0, high: 0 };
        return [p, input.position === 'LATEST' ? mark.high : mark.low];
      }),
    );
  } finally {
    await admin.disconnect();
  }
}
