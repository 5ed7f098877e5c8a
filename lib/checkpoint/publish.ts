import type { Outbox, OutboxMessage, TaskId } from '../core/checkpoint';
import { ConfigError, PublishError } from '../core/errors';
import type { FaultInjector } from '../core/faults';
import type { Publishers, SinkLimits } from '../sink/publisher';
import type { Sink } from '../sink/sink';

/**
 * Hands each publisher the outbox messages of its sink kind. Each publisher is idempotent per
 * (namespace, task, endOffset), so a partly published outbox is simply published again.
 */
export async function publishOutbox(
  publishers: Publishers,
  request: {
    namespace: string;
    task: TaskId;
    outbox: Outbox;
    sinks: Record<string, Sink>;
    faults: FaultInjector;
    recovery?: boolean;
  },
): Promise<void> {
  checkOutboxSinks(request.task, request.outbox, request.sinks);
  const byKind = new Map<string, OutboxMessage[]>();
  for (const message of request.outbox.messages) {
    const kind = request.sinks[message.sink]!.kind;
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

/**
 * A committed outbox naming a sink the definition no longer declares can never be published:
 * say so at cold start (configuration, not retried) with the two ways out.
 */
export function checkOutboxSinks(task: TaskId, outbox: Outbox, sinks: Record<string, Sink>): void {
  const missing = new Set(outbox.messages.map((m) => m.sink).filter((name) => sinks[name] === undefined));
  if (missing.size === 0) return;
  const names = [...missing].map((name) => `"${name}"`).join(', ');
  throw new ConfigError(
    `the committed outbox of ${task.fn}/${task.topic}-${task.partition} (source offsets ` +
      `${outbox.firstOffset}-${outbox.endOffset}) holds outputs for sink ${names}, which the function no longer ` +
      'declares, so they can never be published. Restore the sink in the definition and deploy, or drop those ' +
      `outputs for good with \`sluice transactions ${task.fn} --partition ${task.partition} --clear-outbox --yes\``,
  );
}

/**
 * The limits every output of these sinks must fit (by sink name), from each kind's publisher.
 * Publishers cache them, so the warm path costs no I/O.
 */
export async function sinkLimits(
  publishers: Publishers,
  sinks: Record<string, Sink>,
): Promise<Map<string, SinkLimits>> {
  const byKind = new Map<string, Record<string, Sink>>();
  for (const [name, sink] of Object.entries(sinks)) {
    const group = byKind.get(sink.kind) ?? {};
    group[name] = sink;
    byKind.set(sink.kind, group);
  }
  const limits = new Map<string, SinkLimits>();
  for (const [kind, group] of byKind) {
    const found = await publishers[kind]?.limits?.(group);
    for (const [name, limit] of found ?? []) limits.set(name, limit);
  }
  return limits;
}
