import { PublishError } from '../errors';
import type { OutboxPublisher } from '../sink/publisher';
import type { Sink } from '../sink/sink';
import type { Outbox, OutboxMessage, TaskId } from './checkpoint';
import type { FaultInjector } from './faults';

/** Publishers by sink kind ('kafka', 'log', ...). */
export type Publishers = Record<string, OutboxPublisher>;

/**
 * Hands each publisher the outbox messages of its sink kind. Each publisher is idempotent per
 * (task, endOffset), so a partly published outbox is simply published again.
 */
export async function publishOutbox(
  publishers: Publishers,
  request: {
    task: TaskId;
    outbox: Outbox;
    sinks: Record<string, Sink>;
    faults: FaultInjector;
    recovery?: boolean;
  },
): Promise<void> {
  const byKind = new Map<string, OutboxMessage[]>();
  for (const message of request.outbox.messages) {
    const kind = request.sinks[message.sink]?.kind;
    if (kind === undefined) {
      throw new PublishError(
        `outbox of ${request.task.fn} holds output for sink "${message.sink}", which the function no longer declares; ` +
          'restore the sink in the definition so these committed outputs can be published',
      );
    }
    const messages = byKind.get(kind);
    if (messages) messages.push(message);
    else byKind.set(kind, [message]);
  }
  for (const [kind, messages] of byKind) {
    const publisher = publishers[kind];
    if (!publisher)
      throw new PublishError(`no publisher for sink kind "${kind}" is configured in this runtime`);
    await publisher.publish({ ...request, messages });
  }
}
