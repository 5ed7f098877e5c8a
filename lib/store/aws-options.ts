import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../core/errors';
import { LOCAL_NAMESPACE, validateNamespace } from '../core/namespace';

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
  /**
   * Hard bound on a spilled state's delta chain: a commit that would make it longer rewrites the
   * snapshot instead (a cold load reads at most 1 + this many objects). Default 32; with the
   * default fan-in, the chain's weight, not this bound, decides compaction (aws-state.ts)
   */
  compactAfterDeltas?: number;
  /**
   * Fan-in of delta merging: a commit that completes this many deltas of one level at the chain's
   * tail merges them into one delta of the next level (aws-state.ts). Default 4; 0 turns merging
   * off (the chain is then only ever compacted whole, into a new snapshot: the behaviour before
   * delta levels, which makes the amortised commit cost grow with the state)
   */
  deltaFanIn?: number;
  /**
   * A spilled state's snapshot is rewritten (full compaction) once its delta chain weighs more
   * than this times the snapshot. Default 1: a cold load then reads at most twice the snapshot's
   * bytes, and the rewrite's O(state) cost is spread over O(state / delta) commits (aws-state.ts)
   */
  chainToSnapshotRatio?: number;
  /** S3 key prefix of state objects. Default `sluice/` */
  prefix?: string;
  /**
   * The deployment namespace (lib/core/namespace.ts; SLUICE_NAMESPACE): every item key and object key
   * starts with it, so deployments sharing a table and bucket never see each other's tasks.
   * Default `local`.
   */
  namespace?: string;
  /** clock (epoch ms) of the default clients' retry delays */
  now?: () => number;
}

export const DEFAULT_INLINE_STATE_LIMIT_BYTES = 8 * 1024;
/** Leaves room in a 400 KB item for the outbox and the other attributes. */
export const MAX_INLINE_STATE_LIMIT_BYTES = 300 * 1024;
/**
 * 32 deltas: a cold load reads at most 33 objects (8 at a time) and the item's delta list stays
 * under ~1 KB (ids and levels; the item about 1-2 KB: 1-2 write units). With fan-in 4 a chain
 * only gets that long after ~4 million commits since the last snapshot (at most 3 deltas per
 * level), so the weight rule compacts first unless the state outweighs ~4 million deltas.
 */
export const DEFAULT_COMPACT_AFTER_DELTAS = 32;
/** Bounds the delta list in the item (~25 bytes an id). */
export const MAX_COMPACT_AFTER_DELTAS = 1000;
/**
 * 4, measured against 2, 3, 6 and 8 (bench/commit-cost.ts's workload on the layout with objects
 * in memory, bytes of objects and item counted): amortised bytes per commit fall as the fan-in
 * grows (a merged byte is rewritten once per level, log_f(commits) levels), but the chain, up to
 * f-1 deltas per level, gets longer. At 1M keys and 100 changed keys per commit: f = 2: 34 KB a
 * commit, and every other commit merges; 4: 27 KB, chain at most 19; 8: 23 KB but a chain of up
 * to 29 objects, so states a few times bigger hit the 32 bound, whose full compactions make the
 * cost grow with the state again.
 */
export const DEFAULT_DELTA_FAN_IN = 4;
export const MAX_DELTA_FAN_IN = 64;
/**
 * Full compaction once the chain weighs more than the snapshot: measured against 1/2 and 2 (fan-in
 * 4, 100 changed keys per commit): 1/2 costs 13% more bytes per commit at 1M keys (30% at 1k), 2
 * saves 4% but lets a cold load read up to 3× the snapshot.
 */
export const DEFAULT_CHAIN_TO_SNAPSHOT_RATIO = 1;
export const MAX_CHAIN_TO_SNAPSHOT_RATIO = 64;
export const DEFAULT_OBJECT_PREFIX = 'sluice/';

const OPTION_KEYS = new Set([
  'table',
  'bucket',
  'dynamodb',
  's3',
  'inlineStateLimitBytes',
  'compactAfterDeltas',
  'deltaFanIn',
  'chainToSnapshotRatio',
  'prefix',
  'namespace',
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
  const deltaFanIn = options.deltaFanIn ?? DEFAULT_DELTA_FAN_IN;
  if (!Number.isInteger(deltaFanIn) || deltaFanIn === 1 || deltaFanIn < 0 || deltaFanIn > MAX_DELTA_FAN_IN) {
    throw new ConfigError(
      `aws store: deltaFanIn must be 0 (no merging) or an integer from 2 to ${MAX_DELTA_FAN_IN}, got ${options.deltaFanIn}`,
    );
  }
  const chainToSnapshotRatio = options.chainToSnapshotRatio ?? DEFAULT_CHAIN_TO_SNAPSHOT_RATIO;
  if (
    typeof chainToSnapshotRatio !== 'number' ||
    !(chainToSnapshotRatio > 0) ||
    chainToSnapshotRatio > MAX_CHAIN_TO_SNAPSHOT_RATIO
  ) {
    throw new ConfigError(
      `aws store: chainToSnapshotRatio must be a number above 0 and at most ${MAX_CHAIN_TO_SNAPSHOT_RATIO} (a cold load reads up to 1 + this times the snapshot), got ${options.chainToSnapshotRatio}`,
    );
  }
  const prefix = options.prefix ?? DEFAULT_OBJECT_PREFIX;
  if (typeof prefix !== 'string' || prefix.startsWith('/')) {
    throw new ConfigError(
      `aws store: prefix must be an S3 key prefix not starting with '/', got ${String(options.prefix)}`,
    );
  }
  return {
    table: options.table,
    bucket: options.bucket,
    inlineStateLimitBytes,
    compactAfterDeltas,
    deltaFanIn,
    chainToSnapshotRatio,
    prefix,
    namespace: validateNamespace(options.namespace ?? LOCAL_NAMESPACE, 'aws store: namespace'),
  };
}

export interface ValidAwsStoreOptions {
  table: string;
  bucket: string;
  inlineStateLimitBytes: number;
  compactAfterDeltas: number;
  deltaFanIn: number;
  chainToSnapshotRatio: number;
  prefix: string;
  namespace: string;
}
