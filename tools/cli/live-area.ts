import type { CliOutput } from './io';

/**
 * A block of status lines kept at the bottom of a terminal (records/s, lag), redrawn in place,
 * with other output scrolling above it. Anything written to the process's stdout/stderr while
 * it is shown (a function's log lines) is intercepted: the block is erased, the text written,
 * the block drawn again, so the two never garble each other. Off a terminal it draws nothing.
 */
export interface LiveArea {
  update(lines: string[]): void;
  /** Erases the block and restores the streams. */
  stop(): void;
}

type Write = typeof process.stdout.write;

export function createLiveArea(output: CliOutput, options: { intercept?: boolean } = {}): LiveArea {
  if (!output.isTTY) return { update() {}, stop() {} };
  let shown = 0;
  let lines: string[] = [];
  const streams = options.intercept ? [process.stdout, process.stderr] : [];
  const originals = new Map<NodeJS.WriteStream, Write>(streams.map((s) => [s, s.write.bind(s) as Write]));
  const raw = (text: string) => (originals.get(process.stdout) ?? ((t: string) => output.write(t)))(text);
  const erase = () => {
    if (shown > 0) raw(`\u001b[${shown}F\u001b[0J`);
    shown = 0;
  };
  const draw = () => {
    if (lines.length === 0) return;
    const width = process.stdout.columns || 120;
    raw(`${lines.map((line) => truncate(line, width)).join('\n')}\n`);
    shown = lines.length;
  };
  for (const stream of streams) {
    const original = originals.get(stream)!;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      erase();
      const result = (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      draw();
      return result;
    }) as Write;
  }
  return {
    update(next) {
      erase();
      lines = next;
      draw();
    },
    stop() {
      erase();
      lines = [];
      for (const [stream, original] of originals) stream.write = original;
    },
  };
}

/** Cuts a line to the terminal width, keeping ANSI codes intact (they take no columns). */
function truncate(line: string, width: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\u001b') {
      const end = line.indexOf('m', i);
      if (end > 0) {
        out += line.slice(i, end + 1);
        i = end;
        continue;
      }
    }
    if (visible >= width - 1) return `${out}\u001b[0m`;
    out += line[i];
    visible++;
  }
  return out;
}
