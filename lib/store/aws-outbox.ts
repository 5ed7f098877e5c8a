import type { Outbox } from '../core/checkpoint';
import { taskKey } from '../core/task';
import {
  type CheckpointItem,
  decodeOutbox,
  encodeOutbox,
  ITEM_BUDGET_BYTES,
  type ItemOutbox,
  itemSizeBytes,
  toAttributes,
} from './aws-item';
import type { StateObjects } from './aws-objects';
import type { StoreCost } from './store';

/**
 * Where a commit's outbox goes: inline in the checkpoint item while the item stays within
 * DynamoDB's 400 KB, else an immutable S3 object the item references (written first, like
 * state objects). Outboxes are usually small; a big batch fanning out to many outputs is not.
 */
export interface Outboxes {
  place(item: CheckpointItem, outbox: Outbox | null, cost: StoreCost, written: string[]): Promise<ItemOutbox>;
  read(item: CheckpointItem, cost: StoreCost): Promise<Outbox | null>;
  /** key of the item's outbox object, if it has one */
  keyOf(item: CheckpointItem): string | null;
}

export function createOutboxes(objects: StateObjects): Outboxes {
  return {
    /** `item` is the item to be written, without its outbox; `written` collects new object keys. */
    async place(item, outbox, cost, written) {
      if (outbox === null) return { kind: 'none' };
      const encoded = encodeOutbox(outbox);
      const withoutOutbox = itemSizeBytes(toAttributes(item));
      if (withoutOutbox + 'outbox'.length + Buffer.byteLength(encoded) <= ITEM_BUDGET_BYTES) {
        return { kind: 'inline', encoded };
      }
      const id = await objects.put(item.objectPrefix, 'outbox', item.version, encoded, cost);
      written.push(objects.key(item.objectPrefix, 'outbox', id));
      return { kind: 's3', id };
    },

    async read(item, cost) {
      const where = `item ${taskKey(item.task)}`;
      if (item.outbox.kind === 'none') return null;
      if (item.outbox.kind === 'inline') return decodeOutbox(item.outbox.encoded, where);
      return decodeOutbox(await objects.get(item.objectPrefix, 'outbox', item.outbox.id, cost), where);
    },

    keyOf(item) {
      return item.outbox.kind === 's3' ? objects.key(item.objectPrefix, 'outbox', item.outbox.id) : null;
    },
  };
}
