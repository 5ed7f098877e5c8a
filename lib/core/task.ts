/**
 * A partition task and every string form it takes (one owner, CONVENTIONS "one owner per fact"):
 * the store key, the name in messages and logs, and, with the deployment namespace
 * (namespace.ts), its Kafka identities.
 */

/** The unit of order, state, checkpoint and fencing. */
export interface TaskId {
  fn: string;
  topic: string;
  partition: number;
}

/** How errors and logs name a task: `fn/topic-partition`. */
export function taskName(task: TaskId): string {
  return `${task.fn}/${task.topic}-${task.partition}`;
}

/**
 * The outbox marker's consumer group: `sluice.<namespace>.<function>.outbox` (its offset for the
 * SOURCE partition is the marker, sink/outbox-marker.ts).
 */
export function outboxGroupId(namespace: string, fn: string): string {
  return `sluice.${namespace}.${fn}.outbox`;
}

/** The transactional id of a task's producer: one per partition task and deployment, stable across processes. */
export function transactionalIdOf(namespace: string, task: TaskId): string {
  return `sluice.${namespace}.${task.fn}.${task.topic}.${task.partition}`;
}

/**
 * An unambiguous string for a task: topic names may contain '-', '.', '_' so plain joining
 * could collide (`a-1` partition 2 vs `a` partition 12 under `-`); URI-encoding each part and
 * joining with '/' cannot.
 */
export function taskKey(task: TaskId): string {
  return [task.fn, task.topic, String(task.partition)].map(encodeURIComponent).join('/');
}

export function parseTaskKey(key: string): TaskId {
  const [fn, topic, partition] = key.split('/').map(decodeURIComponent);
  if (fn === undefined || topic === undefined || partition === undefined)
    throw new Error(`not a task key: ${key}`);
  return { fn, topic, partition: Number(partition) };
}
