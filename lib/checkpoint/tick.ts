import type { TaskId } from '../core/checkpoint';
import { messageOf, SluiceError } from '../core/errors';
import type { Logger } from '../core/log';
import { taskKey } from '../core/task';
import type { Store } from '../store/store';
import type { BatchOutcome } from './coordinator';
import type { FunctionDefinition } from './definition';
import { keepsTime } from './event-time';

/** Tasks ticked at once: each is a load (cold) and, when something is due, one conditional write. */
const TICK_PARALLELISM = 8;

export interface TickReport {
  /** tasks of the function in the store */
  tasks: number;
  /** tasks whose tick committed (due timers fired, or idle time advanced) */
  committed: number;
  failures: Array<{ task: string; error: string }>;
}

/** One or more tasks could not be ticked; the others were. */
export class TickFailedError extends SluiceError {
  constructor(fn: string, report: TickReport) {
    super(
      'HANDLER',
      `${fn}: the scheduled tick failed for ${report.failures.length} of ${report.tasks} task(s): ` +
        `${report.failures.map((f) => `${f.task}: ${f.error}`).join(' | ')}. Their timers stay registered: ` +
        'the next tick or batch fires them',
      { retriable: true },
    );
  }
}

/**
 * The scheduled tick (DESIGN section 7): time passes without records. For each task of a
 * function that keeps time, run the protocol with no records (`tick` of the coordinator): fire
 * the processing-time timers the clock passed and, with `time.idleAdvanceMs`, advance an idle
 * task's stream time (which fires event-time timers and closes windows). Each is committed on the
 * version it read, like a batch: a tick racing a Kafka invocation of the same task is fenced.
 * Functions without time features are skipped (nothing loaded).
 */
export async function tickTasks(
  deps: {
    store: Store;
    log: Logger;
    tick: (definition: FunctionDefinition, task: TaskId) => Promise<BatchOutcome>;
  },
  definition: FunctionDefinition,
): Promise<TickReport> {
  if (!keepsTime(definition)) return { tasks: 0, committed: 0, failures: [] };
  const tasks = (await deps.store.list(definition.name)).filter((t) => t.topic === definition.source.topic);
  const report: TickReport = { tasks: tasks.length, committed: 0, failures: [] };
  const queue = [...tasks];
  const worker = async () => {
    for (let task = queue.shift(); task !== undefined; task = queue.shift()) {
      try {
        const outcome = await deps.tick(definition, task);
        if (outcome.cost !== null) report.committed += 1;
      } catch (error) {
        report.failures.push({ task: taskKey(task), error: messageOf(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(TICK_PARALLELISM, tasks.length) }, worker));
  deps.log.info('scheduled tick', { fn: definition.name, ...report, failures: report.failures.length });
  if (report.failures.length > 0) throw new TickFailedError(definition.name, report);
  return report;
}
