import type { RawState } from '../state/view';

/**
 * Reserved key: the end offset claimed by the last outbox that could not end at its batch's
 * last source offset (present only while outbox ends run ahead of the source).
 */
export const OUTBOX_CLAIM_KEY = '$outbox';

/**
 * The offsets an outbox is published under. The outbox marker (sink/outbox-marker.ts) takes an
 * outbox ending at `e` as published once the marker is `e + 1`, so every outbox of a task needs
 * an end above the previous one's. A batch's outbox ends at its last record; the scheduled tick
 * has no record, so its outbox claims the next end after the previous outbox (one past the
 * source position), and a batch whose last record is not above a claimed end claims the next
 * one. The claim rides the commit as a reserved state key, so it is exactly as durable as the
 * outbox it names.
 */
export function outboxSpan(
  raw: RawState,
  baseNext: number,
  records: { first: number; last: number } | null,
): { firstOffset: number; endOffset: number } {
  const claimed = raw.get(OUTBOX_CLAIM_KEY) as number | undefined;
  const previous = Math.max(baseNext - 1, claimed ?? -1);
  if (records === null) {
    const end = previous + 1;
    raw.set(OUTBOX_CLAIM_KEY, end);
    return { firstOffset: end, endOffset: end };
  }
  if (claimed !== undefined && records.last <= claimed) {
    raw.set(OUTBOX_CLAIM_KEY, claimed + 1);
    return { firstOffset: records.first, endOffset: claimed + 1 };
  }
  // The source caught up with every claim: ends follow source offsets again.
  if (claimed !== undefined) raw.delete(OUTBOX_CLAIM_KEY);
  return { firstOffset: records.first, endOffset: records.last };
}
