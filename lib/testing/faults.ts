import type { TaskId } from '../core/checkpoint';
import { InjectedFault } from '../core/errors';
import type { FaultInjector, FaultPoint } from '../core/faults';

export interface PlannedFault {
  point: FaultPoint;
  /** only this partition (any when omitted) */
  partition?: number;
  /** how many times it fires (default 1) */
  times?: number;
}

/** A fault schedule tests add to; each planned fault fires its number of times, then is gone. */
export function createFaultPlan() {
  const planned: Array<Required<Omit<PlannedFault, 'partition'>> & { partition?: number }> = [];
  const fired: Array<{ point: FaultPoint; task: TaskId }> = [];
  const inject: FaultInjector = (point, task) => {
    const i = planned.findIndex(
      (f) => f.point === point && (f.partition === undefined || f.partition === task.partition),
    );
    const fault = planned[i];
    if (fault === undefined) return;
    fault.times -= 1;
    if (fault.times <= 0) planned.splice(i, 1);
    fired.push({ point, task });
    throw new InjectedFault(point);
  };
  return {
    inject,
    fired,
    add(fault: PlannedFault) {
      planned.push({ times: 1, ...fault });
    },
    clear() {
      planned.length = 0;
    },
    get pending() {
      return planned.length;
    },
  };
}
