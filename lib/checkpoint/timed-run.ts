import { ConfigError } from '../core/errors';
import type { Logger } from '../core/log';
import type { Json } from '../core/state-types';
import type { TaskId } from '../core/task';
import type { StateSpec } from '../state/spec';
import { hasExpired, type StateTransaction } from '../state/view';
import type { FunctionDefinition, Output, SourceRecord } from './definition';
import { keepsTime, openTaskTime } from './event-time';
import { createTimerService, type Timers, USER_TIMERS } from './timers';
import { openWindows } from './windows';

/**
 * The time-related part of one batch (or tick): `ctx.time`, `ctx.timers`, `ctx.windows` for
 * process(), and `finish()`, run after it returns and inside the same transaction: fire the
 * event-time timers the batch's watermark passed, then the processing-time timers the clock
 * passed, then write the stream time. Functions that use no time feature write nothing.
 */
export function openTimedRun(
  definition: FunctionDefinition,
  transaction: StateTransaction<Record<string, StateSpec>>,
  records: Array<SourceRecord<unknown, unknown>>,
  options: {
    now: number;
    tick: boolean;
    task: TaskId;
    log: Logger;
    emit: Record<string, (output: Output<unknown, unknown>) => void>;
  },
) {
  const { raw } = transaction;
  const clock = openTaskTime(definition, raw, records, options.now, { tick: options.tick });
  const timers = createTimerService(raw);
  const windows = openWindows(definition.windows ?? {}, {
    raw,
    timers,
    time: clock.time,
    emit: (sink, output) => options.emit[sink]!(output),
  });
  const userTimers: Timers = definition.onTimer
    ? timers.api
    : {
        registerEventTime: noOnTimer(definition),
        registerProcessingTime: noOnTimer(definition),
        deleteEventTime: timers.api.deleteEventTime,
        deleteProcessingTime: timers.api.deleteProcessingTime,
      };
  const context = {
    time: clock.time,
    timers: userTimers,
    windows: windows.views,
  };

  async function finish(): Promise<{ fired: number }> {
    if (!keepsTime(definition)) return { fired: 0 };
    const timerContext = {
      state: transaction.views,
      emit: options.emit,
      log: options.log,
      task: { fn: options.task.fn, topic: options.task.topic, partition: options.task.partition },
      timers: userTimers,
      time: clock.time,
    };
    const fire = async (timer: {
      kind: 'event' | 'processing';
      time: number;
      namespace: string;
      key: string;
    }) => {
      if (timer.namespace === USER_TIMERS) {
        await definition.onTimer?.(
          { kind: timer.kind, key: timer.key, time: timer.time },
          timerContext as never,
        );
      } else if (timer.namespace.startsWith('w:')) {
        windows.close(timer.namespace.slice(2), timer);
      } else if (timer.namespace.startsWith('ttl:')) {
        // Written again since this timer was set, the entry has a later timer of its own.
        if (hasExpired(raw.get(timer.key) as Json | undefined, options.now)) raw.delete(timer.key);
      }
    };
    let fired = 0;
    if (clock.time.watermark !== Number.NEGATIVE_INFINITY) {
      fired += await timers.fireDue('event', clock.time.watermark, fire);
    }
    fired += await timers.fireDue('processing', options.now, fire);
    clock.commit();
    return { fired };
  }

  return { context, finish };
}

function noOnTimer(definition: FunctionDefinition) {
  return () => {
    throw new ConfigError(
      `${definition.name}: ctx.timers needs onTimer(timer, context) in defineFunction to fire into`,
    );
  };
}
