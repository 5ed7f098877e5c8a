/**
 * Gathers one partition's records into invocation batches the way Lambda's Kafka poller does: a
 * batch is ready when it has `batchSize` records, when one more record would push the event past
 * the payload limit, or when the batching window has passed since its oldest record arrived
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html#invocation-eventsourcemapping-batching).
 *
 * Also the partition's bounded buffer: `full()` tells the consumer to pause fetching it.
 */

export interface BatcherOptions {
  batchSize: number;
  windowMs: number;
  /** Payload limit of one event (bytes). */
  maxPayloadBytes: number;
  /** Event bytes around the records (see payload-size.ts). */
  envelopeBytes: number;
  /** Buffer bounds: past either, `full()` is true (the caller pauses fetching). */
  maxBufferedRecords: number;
  maxBufferedBytes: number;
}

interface Entry<R> {
  record: R;
  size: number;
  arrivedAt: number;
}

export interface Batcher<R> {
  /** Adds a record of `size` event bytes that arrived at `now` (ms). */
  push(record: R, size: number, now: number): void;
  /** When the next batch is ready: a time in ms (maybe past), or null when empty. */
  readyAt(): number | null;
  /** The next batch in arrival order: at most batchSize records within the payload limit (at least one). */
  take(): Array<{ record: R; size: number }>;
  /** Records buffered. */
  readonly length: number;
  /** Event bytes of the buffered records. */
  readonly bytes: number;
  /** The oldest buffered record, if any. */
  first(): R | undefined;
  full(): boolean;
  clear(): void;
}

/**
 * @example
 * const batcher = createBatcher<EventRecord>({ batchSize: 100, windowMs: 500, maxPayloadBytes: MAX_PAYLOAD_BYTES,
 *   envelopeBytes: 120, maxBufferedRecords: 100, maxBufferedBytes: MAX_PAYLOAD_BYTES });
 * const encoded = toEventRecord(record);
 * batcher.push(encoded, encoded.size, Date.now());
 * if ((batcher.readyAt() ?? Infinity) <= Date.now()) invoke(batcher.take());
 */
export function createBatcher<R>(options: BatcherOptions): Batcher<R> {
  // A queue with a moving head: take() is O(batch), not O(buffer).
  let entries: Array<Entry<R>> = [];
  let head = 0;
  let bytes = 0;

  const length = () => entries.length - head;

  /** True when the head records up to batchSize already reach the payload limit. */
  function payloadFull(): boolean {
    let total = options.envelopeBytes;
    const end = Math.min(entries.length, head + options.batchSize);
    for (let i = head; i < end; i++) {
      total += entries[i]!.size + (i > head ? 1 : 0);
      if (total >= options.maxPayloadBytes) return true;
    }
    return false;
  }

  return {
    push(record, size, now) {
      entries.push({ record, size, arrivedAt: now });
      bytes += size;
    },
    readyAt() {
      const oldest = entries[head];
      if (oldest === undefined) return null;
      if (length() >= options.batchSize || payloadFull()) return oldest.arrivedAt;
      return oldest.arrivedAt + options.windowMs;
    },
    take() {
      const batch: Array<{ record: R; size: number }> = [];
      let total = options.envelopeBytes;
      while (head < entries.length && batch.length < options.batchSize) {
        const entry = entries[head]!;
        const next = total + entry.size + (batch.length > 0 ? 1 : 0);
        if (batch.length > 0 && next > options.maxPayloadBytes) break;
        batch.push({ record: entry.record, size: entry.size });
        total = next;
        bytes -= entry.size;
        head++;
      }
      if (head > 1024 && head * 2 > entries.length) {
        entries = entries.slice(head);
        head = 0;
      }
      return batch;
    },
    get length() {
      return length();
    },
    get bytes() {
      return bytes;
    },
    first() {
      return entries[head]?.record;
    },
    full() {
      return length() >= options.maxBufferedRecords || bytes >= options.maxBufferedBytes;
    },
    clear() {
      entries = [];
      head = 0;
      bytes = 0;
    },
  };
}
