import type { Logger } from '../core/log';
import type { OutboxPublisher } from './publisher';

/**
 * Prints log-sink outputs, one structured line each. Logs are at-least-once: an outbox found
 * at a cold start may or may not have been printed before the last process died, so it is
 * printed again with `redelivered: true`.
 */
export function createLogPublisher(log: Logger): OutboxPublisher {
  return {
    async publish({ task, messages, sinks, recovery }) {
      for (const message of messages) {
        const sink = sinks[message.sink];
        const bytes = message.value === null ? null : Buffer.from(message.value, 'base64');
        const value = sink ? readable(() => sink.value.deserialize(bytes), bytes) : bytes?.toString('utf8');
        const text = typeof value === 'string' ? value : JSON.stringify(value);
        log.info(`${sink?.target ?? ''}${text}`, {
          fn: task.fn,
          sink: message.sink,
          partition: task.partition,
          ...(recovery ? { redelivered: true } : {}),
        });
      }
    },
    async close() {},
  };
}

/**
 * A log line must never fail the publish (that would hold the outbox, and the partition, for a
 * line): bytes the sink's serde cannot read back here (a schema-registry serde whose schema this
 * process has not looked up yet, after a cold start) are printed as base64.
 */
function readable(decode: () => unknown, bytes: Buffer | null): unknown {
  try {
    return decode();
  } catch {
    return bytes === null ? null : { base64: bytes.toString('base64') };
  }
}
