import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../errors';

/** Options of `createAwsStore`, their defaults and their validation (once, at cold start). */
export interface AwsStoreOptions {
  /** DynamoDB table, key `pk` (string), on-demand */
  table: string;
  bucket: string;
  /** default: a client for the endpoint in the standard variables, retrying throttling (aws-retry.ts) */
  dynamodb?: DynamoDBClient;
  s3?: S3Client;
  /**
   * Encoded state up to this size lives in the item, rewritten whole on each commit; larger
   * state spills to S3 as snapshot + deltas. Default 8 KB: a DynamoDB write costs one unit per
   * KB while one S3 PUT costs about as much as 8 KB of item writes, so past ~8 KB spilling is
   * cheaper, and commit cost stops growing with state (bench/commit-cost.ts).
   */
  inlineStateLimitBytes?: number;
  /** compact a spilled state when its delta chain gets longer than this. Default 32 */
  compactAfterDeltas?: number;
  /** S3 key prefix of state objects. Default `sluice/` */
  prefix?: string;
  /** clock (epoch ms) of the default clients' retry delays */
  now?: () => number;
}

export const DEFAULT_INLINE_STATE_LIMIT_BYTES = 8 * 1024;
/** Leaves room in a 400 KB item for the outbox and the other attributes. */
export const MAX_INLINE_STATE_LIMIT_BYTES = 300 * 1024;
/**
 * 32 deltas: a cold load reads at most 33 objects (8 at a time), the item's delta list stays
 * under ~800 bytes (the item about 1 KB: 1-2 write units), and compaction's O(state) cost is
 * spread over 32 commits.
 */
export const DEFAULT_COMPACT_AFTER_DELTAS = 32;
/** Bounds the delta list in the item (~25 bytes an id). */
export const MAX_COMPACT_AFTER_DELTAS = 1000;
export const DEFAULT_OBJECT_PREFIX = 'sluice/';

const OPTION_KEYS = new Set([
  'table',
  'bucket',
  'dynamodb',
  's3',
  'inlineStateLimitBytes',
  'compactAfterDeltas',
  'prefix',
  'now',
]);

export function validateAwsStoreOptions(options: AwsStoreOptions): ValidAwsStoreOptions {
  const unknown = Object.keys(options).filter((key) => !OPTION_KEYS.has(key));
  if (unknown.length > 0) {
    throw new ConfigError(
      `unknown aws store option(s) ${unknown.join(', ')}: expected ${[...OPTION_KEYS].join(', ')}`,
    );
  }
  if (typeof options.table !== 'string' || options.table === '') {
    throw new ConfigError('aws store: table is required: set SLUICE_TABLE or pass table to createAwsStore');
  }
  if (typeof options.bucket !== 'string' || options.bucket === '') {
    throw new ConfigError(
      'aws store: bucket is required: set SLUICE_BUCKET or pass bucket to createAwsStore',
    );
  }
  const inlineStateLimitBytes = options.inlineStateLimitBytes ?? DEFAULT_INLINE_STATE_LIMIT_BYTES;
  if (
    !Number.isInteger(inlineStateLimitBytes) ||
    inlineStateLimitBytes < 0 ||
    inlineStateLimitBytes > MAX_INLINE_STATE_LIMIT_BYTES
  ) {
    throw new ConfigError(
      `aws store: inlineStateLimitBytes must be an integer from 0 to ${MAX_INLINE_STATE_LIMIT_BYTES} (DynamoDB items max at 400 KB), got ${options.inlineStateLimitBytes}`,
    );
  }
  const compactAfterDeltas = options.compactAfterDeltas ?? DEFAULT_COMPACT_AFTER_DELTAS;
  if (
    !Number.isInteger(compactAfterDeltas) ||
    compactAfterDeltas < 1 ||
    compactAfterDeltas > MAX_COMPACT_AFTER_DELTAS
  ) {
    throw new ConfigError(
      `aws store: compactAfterDeltas must be an integer from 1 to ${MAX_COMPACT_AFTER_DELTAS} (the delta list lives in the item), got ${options.compactAfterDeltas}`,
    );
  }
  const prefix = options.prefix ?? DEFAULT_OBJECT_PREFIX;
  if (typeof prefix !== 'string' || prefix.startsWith('/')) {
    throw new ConfigError(
      `aws store: prefix must be an S3 key prefix not starting with '/', got ${String(options.prefix)}`,
    );
  }
  return { table: options.table, bucket: options.bucket, inlineStateLimitBytes, compactAfterDeltas, prefix };
}

export interface ValidAwsStoreOptions {
  table: string;
  bucket: string;
  inlineStateLimitBytes: number;
  compactAfterDeltas: number;
  prefix: string;
}
