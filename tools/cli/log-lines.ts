import type { Style } from './style';

/** Fields every readable line shows in its own place, not among the `key=value` rest. */
const PLACED = new Set(['level', 'message', 'time', 'fn', 'partition', 'task', 'requestId', '_aws']);

/**
 * One of a function's output lines for a person at a terminal: a Sluice log line (JSON with
 * `level` and `message`) becomes `12:04:05.123 INFO  word-count p2  message  key=value ...`;
 * anything else (a user's console.log) is shown as it is. The request id is left out (it is in
 * the JSON, with `--json`): locally it says nothing a person reads.
 *
 * @example
 * readableLogLine('{"level":"info","message":"hi","task":"wc/test-2","time":"2026-12-01T12:04:05.123Z"}', 'wc', style)
 * // '12:04:05.123 INFO  wc p2  hi'
 */
export function readableLogLine(line: string, fn: string, style: Style): string {
  const fields = parseLogLine(line);
  if (!fields) return line;
  const level = String(fields.level).toUpperCase().padEnd(5);
  const paint = { ERROR: style.red, WARN: style.yellow, DEBUG: style.dim }[level.trim()] ?? style.cyan;
  const time = typeof fields.time === 'string' ? fields.time.slice(11, 23) : '';
  const partition = partitionOf(fields);
  const where = `${String(fields.fn ?? fn)}${partition === undefined ? '' : ` p${partition}`}`;
  const rest = Object.entries(fields)
    .filter(([key, value]) => !PLACED.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${style.dim(time)} ${paint(level)} ${style.bold(where)}  ${String(fields.message)}${rest ? `  ${style.dim(rest)}` : ''}`;
}

/** The fields of a Sluice JSON log line, or null for any other line. */
export function parseLogLine(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    const value = JSON.parse(line) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    const fields = value as Record<string, unknown>;
    return typeof fields.level === 'string' && 'message' in fields ? fields : null;
  } catch {
    return null;
  }
}

/** Whether a line is a CloudWatch embedded-metric document (Sluice's metrics, lib/lambda/emf-metrics.ts). */
export function isEmfLine(line: string): boolean {
  return line.startsWith('{"_aws":');
}

function partitionOf(fields: Record<string, unknown>): number | undefined {
  if (typeof fields.partition === 'number') return fields.partition;
  // `fn/topic-3` (taskName) or `fn/topic/3` (taskKey, as some lines name it)
  const match = typeof fields.task === 'string' ? /[-/](\d+)$/.exec(fields.task) : null;
  return match ? Number(match[1]) : undefined;
}
