/**
 * Lambda's Kafka event, as documented for Amazon MSK (`aws:kafka`) and self-managed Kafka
 * (`SelfManagedKafka`): https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html
 */
export type EventSource = 'aws:kafka' | 'SelfManagedKafka';
export type TimestampType = 'CREATE_TIME' | 'LOG_APPEND_TIME' | 'NO_TIMESTAMP_TYPE';

/** Either field may be absent: AWS's own libraries treat both as optional. */
export interface SchemaMetadata {
  dataFormat?: string;
  schemaId?: string;
}

/** One record as it appears on the wire (JSON). */
export interface LambdaKafkaRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  /** documented as always sent; tolerated absent */
  timestampType?: TimestampType;
  /** base64; may be absent, null or "" */
  key?: string | null;
  /** base64; null for a tombstone */
  value: string | null;
  /** single-key objects; values are byte arrays whose bytes may be signed (-128..127) */
  headers: Array<Record<string, number[]>>;
  keySchemaMetadata?: SchemaMetadata;
  valueSchemaMetadata?: SchemaMetadata;
}

export interface LambdaKafkaEvent {
  eventSource: EventSource | (string & {});
  /** MSK cluster ARN; absent for self-managed Kafka */
  eventSourceArn?: string;
  /** comma-separated host:port list; documented, but AWS's libraries treat it as optional */
  bootstrapServers?: string;
  /** keyed `<topic>-<partition>`; each array in offset order */
  records: Record<string, LambdaKafkaRecord[]>;
}

export interface RecordHeader {
  key: string;
  value: Buffer;
}

/** A decoded record: bytes, not yet passed through the function's serdes. */
export interface RawRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  /** as the event names it; absent when the event has none (Sluice does not use it) */
  timestampType?: TimestampType;
  /** null when the event has no key (absent, null or "") */
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  keySchemaMetadata?: SchemaMetadata;
  valueSchemaMetadata?: SchemaMetadata;
}

/** The records of one topic-partition in one event, in offset order. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  records: RawRecord[];
}

/** The event's informative fields, as present (Sluice does not depend on any of them). */
export interface EventEnvelope {
  /** `aws:kafka` or `SelfManagedKafka` as documented; any string sent is kept */
  eventSource?: EventSource | (string & {});
  eventSourceArn?: string;
  /** empty when the event has none */
  bootstrapServers: string[];
}

export interface DecodedEvent extends EventEnvelope {
  batches: PartitionBatch[];
}
