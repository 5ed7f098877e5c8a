import type { TaskId } from '../checkpoint/checkpoint';

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
