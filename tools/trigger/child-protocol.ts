/**
 * Messages between the child invoker (parent) and the child runner, over Node's IPC channel
 * (JSON serialisation). The event travels as the JSON string Lambda would send.
 */
import type { InvokeError } from './lambda-context';

export type ParentMessage = {
  type: 'invoke';
  id: number;
  eventJson: string;
  requestId: string;
  /** Epoch ms: getRemainingTimeInMillis() counts down to it. */
  deadline: number;
};

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'init-error'; error: InvokeError }
  | {
      type: 'result';
      id: number;
      ok: boolean;
      /** JSON of the handler's return value (null for undefined). */
      responseJson?: string;
      error?: InvokeError;
      /** Sent at most every half second (absent in between). */
      memory?: ChildMemory;
    };

export type ChildMemory = {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
};

/** Environment variables through which the parent tells the runner what to load. */
export const CHILD_ENV = {
  bundle: 'SLUICE_CHILD_BUNDLE',
  exportName: 'SLUICE_CHILD_EXPORT',
  functionName: 'SLUICE_CHILD_FUNCTION',
  region: 'SLUICE_CHILD_REGION',
} as const;
