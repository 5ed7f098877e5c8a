import type { CliOutput } from './io';

/** ANSI styling, applied only on a terminal and when NO_COLOR is unset (https://no-color.org). */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  green: [32, 39],
  red: [31, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

export function createStyle(output: CliOutput, env: NodeJS.ProcessEnv, color?: boolean): Style {
  const enabled = color ?? (output.isTTY && !env.NO_COLOR && env.TERM !== 'dumb');
  const paint =
    ([open, close]: number[]) =>
    (text: string) =>
      enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    enabled,
    bold: paint(CODES.bold),
    dim: paint(CODES.dim),
    green: paint(CODES.green),
    red: paint(CODES.red),
    yellow: paint(CODES.yellow),
    cyan: paint(CODES.cyan),
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC
const ANSI = /\u001b\[[0-9;]*m/g;

/** Visible width of a string that may hold ANSI codes. */
export function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}
