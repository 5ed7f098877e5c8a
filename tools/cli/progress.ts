import type { EmulatorStats, TriggerStats } from '../trigger/stats';
import type { Style } from './style';

/**
 * One line per trigger: throughput, totals, errors, and lag per partition; then, for a function
 * with several warm instances, its invocations per instance.
 *
 * @example
 * // word-count  test         412 rec/s   1,200 done  lag 0:0 1:12 2:0 3:3
 * // word-count  instances  invocations #0:40 #1:38 #2:41
 */
export function progressLines(stats: EmulatorStats, style: Style): string[] {
  const nameWidth = Math.max(...stats.triggers.map((t) => t.function.length), 8);
  const topicWidth = Math.max(...stats.triggers.map((t) => t.topic.length), 5);
  const lines = stats.triggers.map((t) => {
    const rate = `${formatNumber(Math.round(t.recordsPerSecond))} rec/s`.padStart(11);
    const done = `${formatNumber(t.delivered)} done`.padStart(11);
    const problems = [
      t.errors > 0 ? style.red(`${t.errors} errors`) : '',
      t.retries > 0 ? style.yellow(`${t.retries} retries`) : '',
      t.discarded > 0 ? style.red(`${t.discarded} discarded`) : '',
      t.filtered > 0 ? style.dim(`${t.filtered} filtered`) : '',
    ].filter(Boolean);
    return [
      style.bold(t.function.padEnd(nameWidth)),
      t.topic.padEnd(topicWidth),
      rate,
      done,
      `lag ${partitionLags(t, style)}`,
      ...problems,
    ].join('  ');
  });
  for (const [fn, instances] of Object.entries(stats.instances)) {
    if (instances.length < 2) continue;
    const counts = instances.map((s, i) => `#${i}:${formatNumber(s.invocations)}`).join(' ');
    const errors = instances.reduce((n, s) => n + s.errors, 0);
    lines.push(
      [
        style.bold(fn.padEnd(nameWidth)),
        'instances',
        `invocations ${counts}`,
        ...(errors > 0 ? [style.red(`${errors} failed`)] : []),
      ].join('  '),
    );
  }
  return lines;
}

function partitionLags(t: TriggerStats, style: Style): string {
  if (t.partitions.length === 0) return style.dim('(no partitions yet)');
  return t.partitions
    .map((p) => {
      const lag = p.lag === null ? '?' : String(p.lag);
      const text = `${p.partition}:${lag}`;
      return p.paused ? style.yellow(`${text}⏸`) : p.lag ? style.cyan(text) : style.dim(text);
    })
    .join(' ');
}

export function formatNumber(n: number): string {
  return n.toLocaleString('en-US');
}
