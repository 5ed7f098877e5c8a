/**
 * Where the CLI reads and writes. Commands never touch `process` directly, so tests run the
 * whole program in-process with a fake terminal and environment.
 */
export interface CliOutput {
  write(text: string): void;
  /** true for an interactive terminal: live progress, colors (unless NO_COLOR) */
  readonly isTTY: boolean;
}

export interface CliIO {
  stdout: CliOutput;
  stderr: CliOutput;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * Resolves when the user asks to stop (Ctrl-C / SIGTERM). Long-running commands race their
   * work against it and shut down cleanly.
   */
  interrupted(): Promise<string>;
}

/** The real terminal: process streams, env and signals (SIGINT/SIGTERM handled once, then default). */
export function processIO(): CliIO {
  let pending: Promise<string> | undefined;
  return {
    stdout: { write: (text) => void process.stdout.write(text), isTTY: process.stdout.isTTY === true },
    stderr: { write: (text) => void process.stderr.write(text), isTTY: process.stderr.isTTY === true },
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    interrupted() {
      pending ??= new Promise<string>((resolve) => {
        const onSignal = (signal: NodeJS.Signals) => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve(signal);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      return pending;
    },
  };
}
