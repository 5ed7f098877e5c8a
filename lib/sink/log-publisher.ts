import type { Logger } from '../log';
import type { OutboxPublisher } from './publisher';

/** Prints log-sink outputs, one structured line each (at-least-once, like any log). */
export function createLogPublisher(log: Logger): OutboxPublisher {
  return {
    async publish({ task, messages, sinks }) {
      for (const message of messages) {
        const sink = sinks[message.sink];
        const bytes = message.value === null ? null : Buffer.from(message.value, 'base64');
        const value = sink ? sink.value.deserialize(bytes) : bytes?.toString('utf8');
        const text = typeof value === 'string' ? value : JSON.stringify(value);
        log.info(`${sink?.target ?? ''}${text}`, {
          fn: task.fn,
          sink: message.sink,
          partition: task.partition,
        });
      }
    },
    async close() {},
  };
}
