import type { OutboxMessage, TaskId } from '../core/checkpoint';
import { HandlerError, LateCallError, SluiceError, UnpublishableOutputError } from '../core/errors';
import type { Logger } from '../core/log';
import type { StateEntries } from '../core/state-types';
import type { RawRecord, RecordHeader } from '../event/types';
import type { SinkLimits } from '../sink/publisher';
import type { Sink } from '../sink/sink';
import { openStateTransaction, type StateTransaction } from '../state/view';
import { decodeRecord } from './decode-record';
import type { FunctionDefinition, Output } from './definition';
import { prepareSerdes } from './prepare-serdes';
import { openTimedRun } from './timed-run';

export interface ProcessResult {
  transaction: StateTransaction<Record<string, never>>;
  messages: OutboxMessage[];
}

/**
 * Record overhead the broker counts against `max.message.bytes` besides key, value and headers:
 * the record batch header (61 bytes) plus a record's varints and attributes, rounded up.
 */
const RECORD_BATCH_OVERHEAD_BYTES = 128;

/**
 * Runs the user's process() over records not yet applied: decodes them, opens a state
 * transaction over the committed state, and serialises every emitted output into outbox
 * messages, each checked against its sink's limits (an output that can never be published must
 * fail the batch now, not wedge the partition after the commit). Nothing here touches the
 * store; a throw leaves the base state as it was. When process() returns, emit and the state
 * views close: a late call throws.
 */
export async function runProcess(
  definition: FunctionDefinition,
  task: TaskId,
  records: RawRecord[],
  base: StateEntries,
  log: Logger,
  limits: ReadonlyMap<string, SinkLimits> = new Map(),
  /** processing time of the call, and whether it is the scheduled tick (no records) */
  clock: { now: number; tick?: boolean } = { now: Date.now() },
): Promise<ProcessResult> {
  const name = `${task.fn}/${task.topic}-${task.partition}`;
  let returned = false;
  await prepareSerdes(definition, records);
  const batch = {
    topic: task.topic,
    partition: task.partition,
    records: records.map((raw) => decodeRecord(definition, raw)),
  };
  const transaction = openStateTransaction(definition.state, base, { now: clock.now });
  const messages: OutboxMessage[] = [];
  const emit: Record<string, (output: Output<unknown, unknown>) => void> = {};
  for (const [sinkName, sink] of Object.entries(definition.sinks)) {
    emit[sinkName] = (output) => {
      if (returned) throw new LateCallError(`emit.${sinkName}()`, name);
      const key = sink.key.serialize(output.key ?? null, { topic: sink.target, part: 'key' });
      const value = sink.value.serialize(output.value, { topic: sink.target, part: 'value' });
      checkOutput(sinkName, sink, limits.get(sinkName), output, key, value);
      const message: OutboxMessage = {
        sink: sinkName,
        key: key === null ? null : key.toString('base64'),
        value: value === null ? null : value.toString('base64'),
      };
      const headers = normaliseHeaders(output.headers);
      if (headers.length > 0) message.headers = headers.map((h) => [h.key, h.value.toString('base64')]);
      if (output.partition !== undefined) message.partition = output.partition;
      messages.push(message);
    };
  }
  const timed = openTimedRun(definition, transaction, batch.records, {
    now: clock.now,
    tick: clock.tick ?? false,
    task,
    log,
    emit,
  });
  try {
    if (!clock.tick) {
      await definition.process(batch, {
        state: transaction.views,
        emit,
        log,
        task: { fn: task.fn, topic: task.topic, partition: task.partition },
        ...timed.context,
      } as never);
    }
    // Due timers fire in the batch's transaction: their changes commit with it, exactly once.
    await timed.finish();
  } catch (error) {
    if (error instanceof SluiceError) throw error;
    throw new HandlerError(name, error);
  } finally {
    returned = true;
    transaction.close((what) => new LateCallError(what, name));
  }
  return { transaction: transaction as ProcessResult['transaction'], messages };
}

function normaliseHeaders(headers: Output<unknown, unknown>['headers']): RecordHeader[] {
  if (headers === undefined) return [];
  if (Array.isArray(headers)) return headers;
  return Object.entries(headers).map(([key, value]) => ({
    key,
    value: typeof value === 'string' ? Buffer.from(value, 'utf8') : value,
  }));
}

function checkOutput(
  sinkName: string,
  sink: Sink,
  limits: SinkLimits | undefined,
  output: Output<unknown, unknown>,
  key: Buffer | null,
  value: Buffer | null,
): void {
  if (limits === undefined) return;
  const shownKey = key === null ? 'null' : JSON.stringify(key.toString('utf8').slice(0, 60));
  const where = `emit.${sinkName}() (topic "${sink.target}", key ${shownKey})`;
  if (limits.partitions !== undefined) {
    const partition =
      output.partition ?? (sink.partitioner ? sink.partitioner(key, limits.partitions) : undefined);
    if (
      partition !== undefined &&
      (!Number.isInteger(partition) || partition < 0 || partition >= limits.partitions)
    ) {
      throw new UnpublishableOutputError(
        `${where}: partition ${partition} does not exist; the topic has ${limits.partitions} partitions. ` +
          `Fix the partition given to emit() or the sink's partitioner; nothing of this batch was committed`,
      );
    }
  }
  if (limits.maxMessageBytes !== undefined) {
    const headers = normaliseHeaders(output.headers);
    const size =
      (key?.length ?? 0) +
      (value?.length ?? 0) +
      headers.reduce((n, h) => n + Buffer.byteLength(h.key) + h.value.length, 0) +
      RECORD_BATCH_OVERHEAD_BYTES;
    if (size > limits.maxMessageBytes) {
      throw new UnpublishableOutputError(
        `${where}: the record is ${size} bytes (with overhead), over the topic's max.message.bytes ` +
          `${limits.maxMessageBytes}. Emit smaller records, or raise max.message.bytes of the topic; ` +
          'nothing of this batch was committed',
      );
    }
  }
}
