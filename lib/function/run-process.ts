import type { OutboxMessage, TaskId } from '../checkpoint/checkpoint';
import { HandlerError, SluiceError } from '../errors';
import type { RawRecord, RecordHeader } from '../event/types';
import type { Logger } from '../log';
import type { StateEntries } from '../state/types';
import { openStateTransaction, type StateTransaction } from '../state/view';
import { decodeRecord } from './decode-record';
import type { FunctionDefinition, Output } from './types';

export interface ProcessResult {
  transaction: StateTransaction<Record<string, never>>;
  messages: OutboxMessage[];
}

/**
 * Runs the user's process() over records not yet applied: decodes them, opens a state
 * transaction over the committed state, and serialises every emitted output into outbox
 * messages. Nothing here touches the store; a throw leaves the base state as it was.
 */
export async function runProcess(
  definition: FunctionDefinition,
  task: TaskId,
  records: RawRecord[],
  base: StateEntries,
  log: Logger,
): Promise<ProcessResult> {
  const batch = {
    topic: task.topic,
    partition: task.partition,
    records: records.map((raw) => decodeRecord(definition, raw)),
  };
  const transaction = openStateTransaction(definition.state, base);
  const messages: OutboxMessage[] = [];
  const emit: Record<string, (output: Output<unknown, unknown>) => void> = {};
  for (const [name, sink] of Object.entries(definition.sinks)) {
    emit[name] = (output) => {
      const key = sink.key.serialize(output.key ?? null);
      const value = sink.value.serialize(output.value);
      const message: OutboxMessage = {
        sink: name,
        key: key === null ? null : key.toString('base64'),
        value: value === null ? null : value.toString('base64'),
      };
      const headers = normaliseHeaders(output.headers);
      if (headers.length > 0) message.headers = headers.map((h) => [h.key, h.value.toString('base64')]);
      if (output.partition !== undefined) message.partition = output.partition;
      messages.push(message);
    };
  }
  try {
    await definition.process(batch, {
      state: transaction.views,
      emit,
      log,
      task: { fn: task.fn, topic: task.topic, partition: task.partition },
    } as never);
  } catch (error) {
    if (error instanceof SluiceError) throw error;
    throw new HandlerError(`${task.fn}/${task.topic}-${task.partition}`, error);
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
