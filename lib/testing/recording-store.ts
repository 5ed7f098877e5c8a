import type { Outbox, TaskId } from '../core/checkpoint';
import type { Store } from '../store/store';

export interface CommittedOutbox {
  task: TaskId;
  version: number;
  outbox: Outbox;
}

/** Wraps a store to keep every outbox that was actually committed (the exactly-once record). */
export function recordCommits(store: Store, committed: CommittedOutbox[] = []): Store {
  return {
    ...store,
    kind: store.kind,
    load: (task) => store.load(task),
    peek: (task) => store.peek(task),
    list: (fn) => store.list(fn),
    reset: (task) => store.reset(task),
    close: () => store.close(),
    async commit(request) {
      const result = await store.commit(request);
      if (request.outbox) {
        committed.push({ task: request.task, version: result.checkpoint.version, outbox: request.outbox });
      }
      return result;
    },
  };
}
