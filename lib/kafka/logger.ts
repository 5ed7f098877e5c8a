import { type LogEntry, type logCreator, logLevel } from 'kafkajs';
import type { Logger } from '../core/log';
import type { KafkaLogLevel } from './config';

export const KAFKAJS_LEVELS: Record<KafkaLogLevel, logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/** Field names whose values are never written, wherever kafkajs nests them. */
const SECRET_FIELD = /pass(word)?|secret|token|credential|authorization|sasl/i;

/**
 * Routes kafkajs's log lines into Sluice's structured logger (one JSON object per line), with
 * credential-looking fields masked. kafkajs's own level filter still applies.
 */
export function kafkajsLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const entry = { kafkajs: namespace, ...(redact(fields) as Record<string, unknown>) };
      const text = `kafkajs: ${message}`;
      if (level === logLevel.ERROR && isSurfacedToCaller(namespace, fields)) logger.debug(text, entry);
      else if (level === logLevel.ERROR) logger.error(text, entry);
      else if (level === logLevel.WARN) logger.warn(text, entry);
      else if (level === logLevel.INFO) logger.info(text, entry);
      else logger.debug(text, entry);
    };
}

/**
 * kafkajs logs every failed request at error level, including the ones it retries (coordinator
 * loading, CONCURRENT_TRANSACTIONS) and the ones whose error it throws to the caller anyway.
 * Those are debug detail; errors only kafkajs sees (a consumer crash) stay errors.
 */
function isSurfacedToCaller(namespace: string, fields: Record<string, unknown>): boolean {
  return namespace === 'Connection' || (namespace === 'Producer' && 'retryCount' in fields);
}

function redact(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null || depth > 4) return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      SECRET_FIELD.test(key) ? '***' : redact(item, depth + 1),
    ]),
  );
}
