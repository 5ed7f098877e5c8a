/**
 * Structured JSON logs, one object per line (what CloudWatch Logs Insights and Powertools
 * expect). Level from SLUICE_LOG_LEVEL: debug | info | warn | error | silent (default info).
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
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
    write(JSON.stringify({ level: at, message, ...options.base, ...fields, time: new Date().toISOString() }));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
