/**
 * The Kafka on-failure destination: each discarded record becomes one message on the destination
 * topic, keyed like the original (so it lands on the same partition of a like-partitioned topic;
 * no key: the producer's default partitioning), whose value is Lambda's failure metadata with the
 * record itself under `payload` — the format documented in
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html#kafka-ofd-record-format
 *
 * ```json
 * { "requestContext": { "requestId", "functionArn", "condition", "approximateInvokeCount" },
 *   "responseContext": { "statusCode", "executedVersion", "functionError" },
 *   "version": "1.0", "timestamp": "<ISO>",
 *   "KafkaBatchInfo": { "batchSize": 1, "eventSourceArn", "bootstrapServers", "payloadSize",
 *                       "recordInfo": { "offset": "<string>", "timestamp": "<ISO>" } },
 *   "payload": <the Lambda event holding just this record> }
 * ```
 */
import { randomUUID } from 'node:crypto';
import type { RawRecord } from '../../lib/event/types';
import type { KafkaProducer } from '../../lib/kafka/producer';
import { type EventEnvelope, encodeEventJson } from './payload-size';

/**
 * Why records were discarded. `RetryAttemptsExhausted` is the condition of Lambda's stream and
 * Kafka failure records (the Kafka-destination page's example shows `RetriesExhausted`, every
 * other ESM failure-record page `RetryAttemptsExhausted`); `RecordAgeExceeded` and
 * `MaximumPayloadSizeExceeded` are the other documented conditions.
 */
export const FAILURE_CONDITIONS = [
  'RetryAttemptsExhausted',
  'RecordAgeExceeded',
  'MaximumPayloadSizeExceeded',
  // Lambda's schema-registry integration: records it cannot decode, never invoked (issue 16)
  'SCHEMA_NOT_FOUND',
  'DESERIALIZATION_ERROR',
] as const;
export type FailureCondition = (typeof FAILURE_CONDITIONS)[number];

export interface FailureDetails {
  condition: FailureCondition;
  /** Invocations that included the record (0 when it was never sent). */
  invokeCount: number;
  /** The last function error, when the function ran and failed. */
  functionError?: string;
}

export interface FailureMessage {
  key: Buffer | null;
  /** The failure metadata JSON. */
  value: string;
}

/** Builds the destination message for one discarded record. */
export function failureMessage(
  record: RawRecord,
  details: FailureDetails,
  context: { envelope: EventEnvelope; functionArn: string; now: number },
): FailureMessage {
  const payload = encodeEventJson(context.envelope, [record]);
  const invoked = details.invokeCount > 0 && details.condition === 'RetryAttemptsExhausted';
  const metadata = {
    requestContext: {
      requestId: randomUUID(),
      functionArn: context.functionArn,
      condition: details.condition,
      approximateInvokeCount: details.invokeCount,
    },
    responseContext: invoked
      ? { statusCode: 200, executedVersion: '$LATEST', functionError: details.functionError ?? 'Unhandled' }
      : null,
    version: '1.0',
    timestamp: new Date(context.now).toISOString(),
    KafkaBatchInfo: {
      batchSize: 1,
      ...(context.envelope.eventSourceArn !== undefined && {
        eventSourceArn: context.envelope.eventSourceArn,
      }),
      bootstrapServers: context.envelope.bootstrapServers.join(','),
      payloadSize: Buffer.byteLength(payload),
      recordInfo: { offset: String(record.offset), timestamp: new Date(record.timestamp).toISOString() },
    },
    payload: JSON.parse(payload) as unknown,
  };
  return { key: record.key, value: JSON.stringify(metadata) };
}

/** Where discarded records go. */
export interface OnFailureSink {
  readonly topic: string;
  send(messages: FailureMessage[]): Promise<void>;
}

/** An on-failure destination writing to `topic` with `producer` (acks=all). */
export function createKafkaOnFailureSink(producer: KafkaProducer, topic: string): OnFailureSink {
  return {
    topic,
    async send(messages) {
      if (messages.length === 0) return;
      await producer.send([{ topic, messages: messages.map((m) => ({ key: m.key, value: m.value })) }]);
    },
  };
}
