import type { OutboxMessage, TaskId } from '../core/checkpoint';
import { messageOf, QuarantineFullError } from '../core/errors';
import type { Logger } from '../core/log';
import type { StateDelta, StateEntries } from '../core/state-types';
import { taskName } from '../core/task';
import type { RawRecord } from '../event/types';
import type { SinkLimits } from '../sink/publisher';
import { applyDelta, mergeDeltas } from '../state/encoding';
import type { FunctionDefinition } from './definition';
import { quarantineMessage } from './quarantine-message';
import { isTerminalError, type QuarantinePolicy } from './quarantine-policy';
import {
  editQuarantine,
  fromParkedRecord,
  parkedCount,
  type QuarantineEdit,
  quarantineKeyOf,
  readParkedRecord,
  readQuarantineIndex,
  toParkedRecord,
} from './quarantine-state';
import { runProcess } from './run-process';

/** What the coordinator commits: the same three calls a state transaction offers. */
export interface StateChange {
  delta(): StateDelta;
  sizeAfter(): number;
  applyTo(base: StateEntries): void;
}

export interface QuarantineRunResult {
  transaction: StateChange;
  messages: OutboxMessage[];
  /** records parked by this batch (new and parked again after a replay) */
  parked: number;
  /** released records this batch applied */
  replayed: number;
}

interface Parked {
  offset: number;
  message: OutboxMessage;
}

interface Item {
  raw: RawRecord;
  /** released by a replay: already in the quarantine (and on its topic) */
  released: boolean;
}

/**
 * process() under `onError: 'quarantine-key'` (README "Errors and poison records"). The batch
 * runs as it would without the policy; only when it throws a terminal error is it run again
 * record by record from the same base state to find the bad records. A bad record is parked
 * with every later record of its key (a record without a key parks only itself); the others are
 * applied in order. Records of keys already quarantined are parked without running, and records
 * released by a replay run first. Parked records go into the state (reserved keys) and, once
 * each, into the outbox of the quarantine sink: both in this batch's one conditional commit.
 *
 * Cost when nothing is quarantined and nothing fails: one Map lookup. Record by record costs one
 * process() call per record, and a copy of the state map, on the failing batch only.
 */
export async function runWithQuarantine(
  definition: FunctionDefinition,
  policy: QuarantinePolicy,
  task: TaskId,
  fresh: RawRecord[],
  base: StateEntries,
  log: Logger,
  limits: ReadonlyMap<string, SinkLimits>,
  clock: { now: number; tick?: boolean } = { now: Date.now() },
): Promise<QuarantineRunResult> {
  const index = readQuarantineIndex(base);
  let edit: QuarantineEdit | null = null;
  // Parked records' messages, published after the batch's own outputs, in offset order.
  const toQuarantine: Parked[] = [];
  let parked = 0;
  let replayed = 0;
  let items: Item[] = fresh.map((raw) => ({ raw, released: false }));
  if (index !== null) {
    edit = editQuarantine(base);
    const released = index.replay.map((offset): Item => {
      const record = readParkedRecord(base, offset);
      if (record === undefined)
        throw new Error(`quarantine index names offset ${offset} but holds no record`);
      return { raw: fromParkedRecord(record, task.topic, task.partition), released: true };
    });
    const runnable: Item[] = [];
    for (const item of [...released, ...items]) {
      if (!item.released && edit.isQuarantined(quarantineKeyOf(item.raw.key))) {
        const parkedRecord = toParkedRecord(
          item.raw,
          'an earlier record of this key is quarantined',
          'behind',
        );
        edit.park(parkedRecord);
        toQuarantine.push({
          offset: parkedRecord.offset,
          message: quarantineMessage(task, parkedRecord, policy, limits),
        });
        parked++;
      } else runnable.push(item);
    }
    items = runnable;
  }

  const whole = await runWhole(definition, policy, task, items, base, log, limits, clock);
  let user: StateChange;
  const messages: OutboxMessage[] = [];
  if (whole !== null) {
    user = whole.transaction;
    messages.push(...whole.messages);
    for (const item of items) {
      if (!item.released) continue;
      edit?.remove(item.raw.offset);
      replayed++;
    }
  } else {
    edit ??= editQuarantine(base);
    const isolated = await runOneByOne(definition, policy, task, items, base, log, limits, edit, clock);
    user = isolated.change;
    messages.push(...isolated.messages);
    toQuarantine.push(...isolated.toQuarantine);
    parked += isolated.parked;
    replayed += isolated.replayed;
  }

  messages.push(...toQuarantine.sort((a, b) => a.offset - b.offset).map((p) => p.message));
  if (edit === null || !edit.changed) return { transaction: user, messages, parked, replayed };
  const count = parkedCount(edit.index);
  if (parked > 0 && count > policy.maxRecords) {
    log.error('quarantine full: the batch fails until quarantined records are replayed or dropped', {
      task: taskName(task),
      records: count,
      maxRecords: policy.maxRecords,
      ...quarantineMetric(task, 'QuarantineFull', 1),
    });
    throw new QuarantineFullError(
      `the quarantine of ${taskName(task)} would hold ${count} records, over quarantine.maxRecords ` +
        `(${policy.maxRecords}); nothing of this batch was committed. Deploy a fix and run ` +
        `\`sluice quarantine ${task.fn} replay\`, or \`sluice quarantine ${task.fn} drop --key K\`, or raise ` +
        'quarantine.maxRecords in defineFunction',
    );
  }
  if (parked > 0) {
    log.warn('records quarantined: their keys are parked, the other keys flow', {
      task: taskName(task),
      parked,
      records: count,
      keys: Object.keys(edit.index.keys).length,
      ...quarantineMetric(task, 'QuarantinedRecords', parked),
    });
  }
  const { delta, addedKeys } = edit.delta();
  return { transaction: combine(user, delta, addedKeys), messages, parked, replayed };
}

/** The batch as one process() call; null when it threw a terminal error (then isolate). */
async function runWhole(
  definition: FunctionDefinition,
  policy: QuarantinePolicy,
  task: TaskId,
  items: Item[],
  base: StateEntries,
  log: Logger,
  limits: ReadonlyMap<string, SinkLimits>,
  clock: { now: number; tick?: boolean },
): Promise<{ transaction: StateChange; messages: OutboxMessage[] } | null> {
  if (items.length === 0) return { transaction: unchanged(base), messages: [] };
  try {
    return await runProcess(
      definition,
      task,
      items.map((i) => i.raw),
      base,
      log,
      limits,
      clock,
    );
  } catch (error) {
    if (!isTerminalError(error, policy)) throw error;
    log.info('a record failed terminally: running the batch record by record to find it', {
      task: taskName(task),
      records: items.length,
      error: messageOf(error),
    });
    return null;
  }
}

/** Runs each record alone, in order, on the state the records before it left. */
async function runOneByOne(
  definition: FunctionDefinition,
  policy: QuarantinePolicy,
  task: TaskId,
  items: Item[],
  base: StateEntries,
  log: Logger,
  limits: ReadonlyMap<string, SinkLimits>,
  edit: QuarantineEdit,
  clock: { now: number; tick?: boolean },
): Promise<{
  change: StateChange;
  messages: OutboxMessage[];
  toQuarantine: Parked[];
  parked: number;
  replayed: number;
}> {
  const working: StateEntries = new Map(base);
  const deltas: StateDelta[] = [];
  const messages: OutboxMessage[] = [];
  const toQuarantine: Parked[] = [];
  let parked = 0;
  let replayed = 0;
  for (const { raw, released } of items) {
    const key = quarantineKeyOf(raw.key);
    let error: string | null = null;
    let reason: 'failed' | 'behind' = 'behind';
    if (edit.isQuarantined(key)) {
      error = `an earlier record of this key is quarantined`;
    } else {
      try {
        const result = await runProcess(definition, task, [raw], working, log, limits, clock);
        deltas.push(result.transaction.delta());
        result.transaction.applyTo(working);
        messages.push(...result.messages);
      } catch (thrown) {
        if (!isTerminalError(thrown, policy)) throw thrown;
        error = messageOf(thrown);
        reason = 'failed';
      }
    }
    if (released) edit.remove(raw.offset);
    if (error === null) {
      if (released) replayed++;
      continue;
    }
    const record = toParkedRecord(raw, error, reason);
    edit.park(record);
    parked++;
    // A released record is on the quarantine topic already (from when it was first parked).
    if (!released)
      toQuarantine.push({ offset: raw.offset, message: quarantineMessage(task, record, policy, limits) });
    log.warn(reason === 'failed' ? 'record failed terminally: quarantined' : 'record parked behind its key', {
      task: taskName(task),
      offset: raw.offset,
      key: key === null ? null : raw.key!.toString('utf8').slice(0, 60),
      error,
    });
  }
  const delta = mergeDeltas(deltas);
  return {
    change: {
      delta: () => delta,
      sizeAfter: () => working.size,
      applyTo: (target) => void applyDelta(target, delta),
    },
    messages,
    toQuarantine,
    parked,
    replayed,
  };
}

function unchanged(base: StateEntries): StateChange {
  return { delta: () => ({ set: [], del: [] }), sizeAfter: () => base.size, applyTo() {} };
}

/** The user's state change plus the quarantine's (disjoint keys: reserved ones never clash). */
function combine(user: StateChange, quarantine: StateDelta, addedKeys: number): StateChange {
  return {
    delta() {
      const d = user.delta();
      return { set: [...d.set, ...quarantine.set], del: [...d.del, ...quarantine.del] };
    },
    sizeAfter: () => user.sizeAfter() + addedKeys,
    applyTo(base) {
      user.applyTo(base);
      applyDelta(base, quarantine);
    },
  };
}

/**
 * An embedded CloudWatch metric (EMF) on the log line: CloudWatch turns it into the metric
 * `Sluice/<name>` by function, with no API call from the Lambda.
 */
function quarantineMetric(task: TaskId, name: string, value: number): Record<string, unknown> {
  return {
    function: task.fn,
    [name]: value,
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        { Namespace: 'Sluice', Dimensions: [['function']], Metrics: [{ Name: name, Unit: 'Count' }] },
      ],
    },
  };
}
