/**
 * What an invocation's outcome means for the batch, as Lambda reads it. With
 * ReportBatchItemFailures on, a Kafka function may answer
 * `{ "batchItemFailures": [{ "itemIdentifier": { "partition": "<topic>-<n>", "offset": <n> } }] }`;
 * Lambda then keeps the records before the lowest failed offset and retries from it. An empty or
 * absent list is a success; a malformed list (missing or unknown partition/offset) fails the
 * whole batch — the rules of the streams' partial batch response
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html),
 * with Kafka's identifier (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html).
 * With it off, any response is a success.
 */
import type { InvokeOutcome } from './invoker';

export type Verdict =
  | { kind: 'success' }
  /** Records before `from` succeeded; retry from `from`. */
  | { kind: 'partial'; from: number }
  | { kind: 'failure'; error: string };

export function judgeOutcome(
  outcome: InvokeOutcome,
  batch: { topic: string; partition: number; offsets: readonly number[] },
  reportBatchItemFailures: boolean,
): Verdict {
  if (!outcome.ok)
    return { kind: 'failure', error: `${outcome.error.errorType}: ${outcome.error.errorMessage}` };
  if (!reportBatchItemFailures) return { kind: 'success' };
  const response = outcome.response;
  if (typeof response !== 'object' || response === null) return { kind: 'success' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'failure', error: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  const key = `${batch.topic}-${batch.partition}`;
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier as
      | { partition?: unknown; offset?: unknown }
      | null
      | undefined;
    const offset = typeof id?.offset === 'string' ? Number(id.offset) : id?.offset;
    if (id?.partition !== key || typeof offset !== 'number' || !batch.offsets.includes(offset)) {
      return {
        kind: 'failure',
        error: `invalid batchItemFailures item ${JSON.stringify(failure)}: expected {"itemIdentifier":{"partition":"${key}","offset":<an offset of the batch>}}`,
      };
    }
    lowest = Math.min(lowest, offset);
  }
  return { kind: 'partial', from: lowest };
}
