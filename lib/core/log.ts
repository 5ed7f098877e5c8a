import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Structured JSON logs, one object per line (what CloudWatch Logs Insights and Powertools
 * expect). Level from SLUICE_LOG_LEVEL: debug | info | warn | error | silent (default info).
 *
 * Every line also carries the fields of the log context it is written in (`withLogContext`):
 * the handler opens one per invocation (Lambda's request id, the function) and one per
 * partition batch (the task), so the coordinator's, the sinks' and the user's lines all say
 * which invocation and task they belong to without each caller passing them along. An
 * AsyncLocalStorage keeps concurrent invocations (Lambda Managed Instances) apart.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const context = new AsyncLocalStorage<Record<string, unknown>>();

/**
 * Runs `fn` with `fields` added to every log line written inside it (also after awaits), on top
 * of the fields of the enclosing context.
 *
 * @example
 * await withLogContext({ requestId: context.awsRequestId }, () => coordinator.runBatch(def, batch));
 */
export function withLogContext<T>(fields: Record<string, unknown>, fn: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, fn);
}

/** The fields of the current log context (empty outside one). */
export function logContext(): Record<string, unknown> {
  return context.getStore() ?? {};
}

const LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
type Level = (typeof LEVELS)[number];

export function createLogger(
  options: { level?: string; write?: (line: string) => void; base?: Record<string, unknown> } = {},
): Logger {
  const level = (options.level ?? process.env.SLUICE_LOG_LEVEL ?? 'info') as Level;
  const threshold = LEVELS.indexOf(level);
  if (threshold < 0) throw new Error(`SLUICE_LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${level}"`);
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const emit = (at: Level) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS.indexOf(at) < threshold) return;
    write(
      JSON.stringify({
        level: at,
        message,
        ...options.base,
        ...context.getStore(),
        ...fields,
        time: new Date().toISOString(),
      }),
    );
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
