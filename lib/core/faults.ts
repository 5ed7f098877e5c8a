import type { TaskId } from './checkpoint';

/**
 * The step boundaries of the exactly-once protocol (DESIGN section 4), in order. Tests crash
 * the protocol at each of them; `mid-publish` is inside publishing, after part of an outbox
 * was sent.
 */
export const FAULT_POINTS = [
  'after-load',
  'after-flush',
  'after-process',
  'after-commit',
  'mid-publish',
  'after-publish',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

/** Throws (an InjectedFault) when a test wants a crash at `point` for `task`. */
export type FaultInjector = (point: FaultPoint, task: TaskId) => void | Promise<void>;

export const noFaults: FaultInjector = () => {};
