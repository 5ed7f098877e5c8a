import { randomUUID } from 'node:crypto';
import type { KafkaClient } from '../../lib/kafka/client';

/** How long to wait for the records before giving up (the column then shows `?`). */
const READ_TIMEOUT_MS = 15_000;

/**
 * The timestamp of the oldest record not applied yet, per partition that has one: the first
 * data record at or after `next[p]` and before `end[p]` (a transaction marker alone is not a
 * record waiting). Partitions whose only offsets left are markers map to null. Read with a
 * throwaway consumer group that seeks each partition to its checkpoint's next offset and is
 * deleted afterwards. Read uncommitted: a record waits from the moment it is written.
 */
export async function waitingSince(
  kafka: KafkaClient,
  topic: string,
  next: ReadonlyMap<number, number>,
  end: ReadonlyMap<number, number>,
): Promise<Map<number, number | null>> {
  const wanted = new Map([...next].filter(([p, offset]) => (end.get(p) ?? 0) > offset));
  const found = new Map<number, number | null>();
  if (wanted.size === 0) return found;
  const groupId = `sluice-cli-${randomUUID().slice(0, 8)}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: true, maxWaitTimeInMs: 250 });
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const timer = setTimeout(finish, READ_TIMEOUT_MS);
  try {
    consumer.on('join', () => {
      for (const [partition, offset] of wanted) consumer.seek({ topic, partition, offset });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
    await consumer.run({
      autoCommit: false,
      eachBatch: async (batch) => {
        const from = wanted.get(batch.partition);
        if (from === undefined || found.has(batch.partition)) return;
        const first = batch.records.find((r) => r.offset >= from);
        if (first) found.set(batch.partition, first.timestamp);
        else if (batch.lastOffset + 1 >= (end.get(batch.partition) ?? 0)) found.set(batch.partition, null);
        if (found.size === wanted.size) finish();
      },
    });
    await finished;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => {});
    const admin = kafka.admin();
    await admin
      .deleteGroups([groupId])
      .catch(() => {})
      .finally(() => admin.disconnect());
  }
  return found;
}
