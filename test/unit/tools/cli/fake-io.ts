import { Readable } from 'node:stream';
import type { KafkaConfig } from '../../../../lib/core/config';
import type { KafkaClient } from '../../../../lib/kafka/client';
import type { CliContext } from '../../../../tools/cli/context';
import type { CliIO } from '../../../../tools/cli/io';
import { runCli } from '../../../../tools/cli/main';

export interface FakeTerminal {
  io: CliIO;
  stdout(): string;
  stderr(): string;
  /** resolves io.interrupted(), as Ctrl-C would */
  interrupt(): void;
}

/** A terminal for running the CLI in-process: captured output, given stdin and environment. */
export function fakeTerminal(
  options: { stdin?: string; env?: NodeJS.ProcessEnv; cwd?: string; tty?: boolean } = {},
): FakeTerminal {
  const out: string[] = [];
  const err: string[] = [];
  let interrupt!: (signal: string) => void;
  const interrupted = new Promise<string>((resolve) => {
    interrupt = resolve;
  });
  return {
    io: {
      stdout: { write: (text) => void out.push(text), isTTY: options.tty ?? false },
      stderr: { write: (text) => void err.push(text), isTTY: options.tty ?? false },
      stdin: Readable.from([options.stdin ?? '']),
      env: options.env ?? {},
      cwd: options.cwd ?? process.cwd(),
      interrupted: () => interrupted,
    },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    interrupt: () => interrupt('SIGINT'),
  };
}

/** Runs `sluice <args>` in-process; returns the exit code and output. */
export async function run(
  args: string[],
  options: Parameters<typeof fakeTerminal>[0] & { kafka?: CliContext['createKafka'] } = {},
) {
  const terminal = fakeTerminal(options);
  const ctx: CliContext = { io: terminal.io, ...(options.kafka && { createKafka: options.kafka }) };
  const code = await runCli(args, ctx);
  return { code, stdout: terminal.stdout(), stderr: terminal.stderr() };
}

export interface FakeKafkaCalls {
  /** the Kafka settings of each client the CLI made */
  configs: KafkaConfig[];
  created: Array<{ topic: string; partitions?: number; replicationFactor?: number }>;
}

/** A Kafka client factory recording what the CLI asks of it (topics create only). */
export function fakeKafka(calls: FakeKafkaCalls, existing: string[] = []): CliContext['createKafka'] {
  return async (config) => {
    calls.configs.push(config);
    const client = {
      brokers: config.brokers,
      admin: () => ({
        async createTopic(topic: string, opts: { partitions?: number; replicationFactor?: number } = {}) {
          calls.created.push({ topic, ...opts });
          return !existing.includes(topic);
        },
        async partitions() {
          return [0, 1, 2];
        },
      }),
      async close() {},
    };
    return client as unknown as KafkaClient;
  };
}
