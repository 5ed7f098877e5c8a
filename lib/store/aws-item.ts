import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AppliedRecord, Checkpoint, Outbox, TaskId } from '../core/checkpoint';
import { StoreError } from '../core/errors';

/**
 * The DynamoDB item of one partition task, and its mapping to and from a `Checkpoint`.
 *
 * Layout (one item per task; attributes written on every commit, the item is replaced whole):
 *
 * | attribute      | type | meaning                                                               |
 * |----------------|------|-----------------------------------------------------------------------|
 * | `pk`           | S    | `<namespace>/<fn>/<topic>/<partition>`, task parts URI-encoded          |
 * | `format`       | S    | `sluice.checkpoint.v1`                                                |
 * | `fn`, `topic`  | S    | the task, for `list` without parsing `pk`                             |
 * | `partition`    | N    |                                                                       |
 * | `version`      | N    | the commit condition: `version = :expected`                           |
 * | `next`         | N    | next source offset to apply                                           |
 * | `stateKeys`    | N    | number of state keys                                                  |
 * | `committedAt`  | N    | epoch ms                                                              |
 * | `commitId`     | S    | random per commit: part of the commit condition (a version restored   |
 * |                |      | from a backup is another commit), and a retried write that finds its  |
 * |                |      | own knows it already won                                              |
 * | `epoch`        | N    | bumped by every rewind/reset (absent in items from before: 0)         |
 * | `last`         | S    | the last applied record as JSON (`AppliedRecord`), when there is one  |
 * | `objectPrefix` | S    | S3 prefix of this task's objects (`<prefix><pk>/`)                    |
 * | `state`        | S    | inline state: a `sluice.snapshot.v1` document                         |
 * | `snapshot`     | S    | spilled state: id of the snapshot object                              |
 * | `snapshotBytes`| N    |                                                                       |
 * | `deltas`       | L(S) | spilled state: ids of delta objects after the snapshot, oldest first  |
 * | `deltaLevels`  | L(N) | level of each delta, parallel to `deltas`: 0 a commit's own delta,    |
 * |                |      | n+1 a merge of level-n deltas (aws-state.ts). Absent (items written   |
 * |                |      | before levels existed): all 0                                         |
 * | `deltaBytes`   | N    | total size of those deltas (compaction rule)                          |
 * | `outbox`       | S    | the outbox as JSON, when it fits in the item                          |
 * | `outboxObject` | S    | id of the outbox object when it does not                              |
 *
 * Object ids (`<version>-<random>`) are short so that a chain of deltas keeps the item small;
 * the object key is `<objectPrefix><kind>/<id>.json`.
 */
export const CHECKPOINT_ITEM_FORMAT = 'sluice.checkpoint.v1';

/** DynamoDB rejects items over 400 KB; `itemSizeBytes` is an upper estimate, keep a margin anyway. */
export const ITEM_BUDGET_BYTES = 380 * 1024;

export type ItemState =
  | { kind: 'inline'; encoded: string }
  | {
      kind: 's3';
      snapshot: string;
      snapshotBytes: number;
      deltas: string[];
      /** parallel to `deltas`: 0 for a commit's own delta, n + 1 for a merge of level-n deltas */
      deltaLevels: number[];
      deltaBytes: number;
    };

export type ItemOutbox = { kind: 'none' } | { kind: 'inline'; encoded: string } | { kind: 's3'; id: string };

export interface CheckpointItem {
  /** the item key: `<namespace>/` and the task key */
  pk: string;
  task: TaskId;
  version: number;
  next: number;
  stateKeys: number;
  committedAt: number;
  commitId: string;
  epoch: number;
  last: AppliedRecord | null;
  objectPrefix: string;
  state: ItemState;
  outbox: ItemOutbox;
}

export type Attributes = Record<string, AttributeValue>;

export function toAttributes(item: CheckpointItem): Attributes {
  const attributes: Attributes = {
    pk: { S: item.pk },
    format: { S: CHECKPOINT_ITEM_FORMAT },
    fn: { S: item.task.fn },
    topic: { S: item.task.topic },
    partition: { N: String(item.task.partition) },
    version: { N: String(item.version) },
    next: { N: String(item.next) },
    stateKeys: { N: String(item.stateKeys) },
    committedAt: { N: String(item.committedAt) },
    commitId: { S: item.commitId },
    epoch: { N: String(item.epoch) },
    objectPrefix: { S: item.objectPrefix },
  };
  if (item.last) attributes.last = { S: JSON.stringify(item.last) };
  if (item.state.kind === 'inline') {
    attributes.state = { S: item.state.encoded };
  } else {
    attributes.snapshot = { S: item.state.snapshot };
    attributes.snapshotBytes = { N: String(item.state.snapshotBytes) };
    attributes.deltas = { L: item.state.deltas.map((id) => ({ S: id })) };
    attributes.deltaLevels = { L: item.state.deltaLevels.map((level) => ({ N: String(level) })) };
    attributes.deltaBytes = { N: String(item.state.deltaBytes) };
  }
  if (item.outbox.kind === 'inline') attributes.outbox = { S: item.outbox.encoded };
  if (item.outbox.kind === 's3') attributes.outboxObject = { S: item.outbox.id };
  return attributes;
}

export function fromAttributes(attributes: Attributes): CheckpointItem {
  const read = reader(attributes);
  const format = read.string('format');
  if (format !== CHECKPOINT_ITEM_FORMAT) {
    throw corrupt(read.pk, `format is ${JSON.stringify(format)}, expected ${CHECKPOINT_ITEM_FORMAT}`);
  }
  const inline = read.optionalString('state');
  const snapshot = read.optionalString('snapshot');
  let state: ItemState;
  if (inline !== undefined) {
    state = { kind: 'inline', encoded: inline };
  } else if (snapshot !== undefined) {
    const deltas = read.stringList('deltas');
    // Items written before delta levels existed hold only commits' own deltas: level 0.
    const deltaLevels = read.optionalNumberList('deltaLevels') ?? deltas.map(() => 0);
    if (deltaLevels.length !== deltas.length || !deltaLevels.every((l) => Number.isInteger(l) && l >= 0)) {
      throw corrupt(read.pk, 'attribute deltaLevels does not give one level (integer >= 0) per delta');
    }
    state = {
      kind: 's3',
      snapshot,
      snapshotBytes: read.number('snapshotBytes'),
      deltas,
      deltaLevels,
      deltaBytes: read.number('deltaBytes'),
    };
  } else {
    throw corrupt(read.pk, 'it has neither inline state nor a snapshot reference');
  }
  const outboxInline = read.optionalString('outbox');
  const outboxObject = read.optionalString('outboxObject');
  const outbox: ItemOutbox =
    outboxInline !== undefined
      ? { kind: 'inline', encoded: outboxInline }
      : outboxObject !== undefined
        ? { kind: 's3', id: outboxObject }
        : { kind: 'none' };
  return {
    pk: read.string('pk'),
    task: { fn: read.string('fn'), topic: read.string('topic'), partition: read.number('partition') },
    version: read.number('version'),
    next: read.number('next'),
    stateKeys: read.number('stateKeys'),
    committedAt: read.number('committedAt'),
    commitId: read.string('commitId'),
    epoch: read.optionalNumber('epoch') ?? 0,
    last: read.optionalJson<AppliedRecord>('last'),
    objectPrefix: read.string('objectPrefix'),
    state,
    outbox,
  };
}

/** The checkpoint an item describes, given its outbox (read from S3 by the caller when spilled). */
export function checkpointOf(item: CheckpointItem, outbox: Outbox | null): Checkpoint {
  return {
    version: item.version,
    commitId: item.commitId,
    epoch: item.epoch,
    last: item.last,
    next: item.next,
    outbox,
    stateKeys: item.stateKeys,
    committedAt: item.committedAt,
  };
}

export function encodeOutbox(outbox: Outbox): string {
  return JSON.stringify(outbox);
}

export function decodeOutbox(text: string, where: string): Outbox {
  const outbox = JSON.parse(text) as Outbox;
  if (typeof outbox?.endOffset !== 'number' || !Array.isArray(outbox.messages)) {
    throw corrupt(where, 'its outbox is not a Sluice outbox');
  }
  return outbox;
}

/**
 * Upper estimate of DynamoDB's item size: names and values in UTF-8 bytes, numbers as their
 * digits (DynamoDB stores fewer), 3 bytes plus 1 per element for lists.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
export function itemSizeBytes(attributes: Attributes): number {
  let size = 0;
  for (const [name, value] of Object.entries(attributes)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return value.N.length + 1;
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + valueSize(element), 0);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  // Types this store never writes: count them generously rather than precisely.
  return Buffer.byteLength(JSON.stringify(value));
}

function reader(attributes: Attributes) {
  const pk = attributes.pk?.S ?? '(no pk)';
  const missing = (name: string, type: string) => corrupt(pk, `attribute ${name} (${type}) is missing`);
  return {
    pk,
    string(name: string): string {
      const value = attributes[name]?.S;
      if (value === undefined) throw missing(name, 'S');
      return value;
    },
    optionalString(name: string): string | undefined {
      return attributes[name]?.S;
    },
    number(name: string): number {
      const value = attributes[name]?.N;
      if (value === undefined) throw missing(name, 'N');
      return Number(value);
    },
    optionalNumber(name: string): number | undefined {
      const value = attributes[name]?.N;
      return value === undefined ? undefined : Number(value);
    },
    optionalJson<T>(name: string): T | null {
      const value = attributes[name]?.S;
      if (value === undefined) return null;
      try {
        return JSON.parse(value) as T;
      } catch {
        throw corrupt(pk, `attribute ${name} is not JSON`);
      }
    },
    optionalNumberList(name: string): number[] | undefined {
      const list = attributes[name]?.L;
      if (list === undefined) return undefined;
      return list.map((element) => {
        if (element.N === undefined) throw corrupt(pk, `attribute ${name} holds a non-number element`);
        return Number(element.N);
      });
    },
    stringList(name: string): string[] {
      const list = attributes[name]?.L;
      if (list === undefined) throw missing(name, 'L');
      return list.map((element) => {
        if (element.S === undefined) throw corrupt(pk, `attribute ${name} holds a non-string element`);
        return element.S;
      });
    },
  };
}

function corrupt(pk: string, what: string): StoreError {
  return new StoreError(
    `checkpoint item ${pk} is not a valid Sluice checkpoint: ${what}. ` +
      'Was the table (SLUICE_TABLE) written by something else? Start the task over with ' +
      '`sluice reset <function> --partition <p> --execute` (docs/cli.md)',
    { retriable: false },
  );
}
