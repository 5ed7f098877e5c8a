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
        const value = sink ? sink.value.deserialize(bytes) : bytes?.toString('utf8');
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
