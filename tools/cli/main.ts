/**
 * The `sluice` command: run functions locally, feed and read topics, inspect checkpoints and
 * state, manage the local stack, and the seed walkthrough (`sluice start`, i.e. `npm start`).
 */
import { Command, CommanderError, Option } from 'commander';
import { messageOf, SluiceError } from '../../lib/core/errors';
import { registerCheckpointsCommand } from './commands/checkpoints';
import { registerConsumeCommand } from './commands/consume';
import { registerDevCommand } from './commands/dev';
import { registerGcCommand } from './commands/gc';
import { registerInitCommand } from './commands/init';
import { registerInvokeCommand } from './commands/invoke';
import { registerProduceCommand } from './commands/produce';
import { registerQuarantineCommand } from './commands/quarantine';
import { registerResetCommand, registerRewindCommand } from './commands/rewind';
import { registerSavepointCommand } from './commands/savepoint';
import { registerStackCommand } from './commands/stack';
import { registerStartCommand } from './commands/start';
import { registerStateCommand } from './commands/state';
import { registerStatusCommand } from './commands/status';
import { registerTopicsCommand } from './commands/topics';
import { registerTransactionsCommand } from './commands/transactions';
import { type CliContext, takeExitCode } from './context';
import { processIO } from './io';
import { longOptionNames, normalizeArgs } from './parameters';
import { unknownCommand, unknownCommandMessage } from './unknown-command';
import { UsageError } from './usage-error';

/** Exit codes: 0 ok, 1 failure (or a failed check), 2 bad usage. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export function createProgram(ctx: CliContext): Command {
  const program = new Command('sluice')
    .description('Exactly-once, stateful Kafka functions on AWS Lambda: run, feed, inspect')
    .version('0.1.0')
    .addOption(
      new Option(
        '--bootstrap.servers <hosts>',
        'Kafka bootstrap servers, host:port[,host:port] (env SLUICE_KAFKA_BROKERS; default: the local stack, 127.0.0.1:29092)',
      ),
    )
    .addOption(
      new Option('--config <file>', 'serverless.yml declaring the functions (env SLUICE_CONFIG)').default(
        undefined,
        'serverless.yml',
      ),
    )
    .addOption(
      new Option('--store <kind>', 'checkpoint store: memory, file or aws (env SLUICE_STORE; default file)'),
    )
    .addOption(
      new Option('--store-dir <dir>', 'directory of the file store (env SLUICE_STORE_DIR)').default(
        undefined,
        '.sluice/checkpoints',
      ),
    )
    .addOption(
      new Option(
        '--namespace <ns>',
        'deployment namespace of Kafka identities and aws store keys (env SLUICE_NAMESPACE; default <service>-<stage>-local, as sluice dev uses; a deployment: <service>-<stage>)',
      ),
    )
    .option('--json', 'print tables and results as JSON')
    .option('--verbose', 'debug logs, and stack traces on errors')
    .option('--no-color', 'no ANSI colors (also NO_COLOR=1; colors are only used on a terminal)')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.io.stdout.write(text),
      writeErr: (text) => ctx.io.stderr.write(text),
    });

  registerStartCommand(program, ctx);
  registerDevCommand(program, ctx);
  registerInvokeCommand(program, ctx);
  registerProduceCommand(program, ctx);
  registerConsumeCommand(program, ctx);
  registerTopicsCommand(program, ctx);
  registerCheckpointsCommand(program, ctx);
  registerStateCommand(program, ctx);
  registerStatusCommand(program, ctx);
  registerTransactionsCommand(program, ctx);
  registerQuarantineCommand(program, ctx);
  registerSavepointCommand(program, ctx);
  registerRewindCommand(program, ctx);
  registerResetCommand(program, ctx);
  registerGcCommand(program, ctx);
  registerStackCommand(program, ctx);
  registerInitCommand(program, ctx);

  // Subcommands print and exit like the program (exitOverride and output are not inherited
  // by commands created before they were set, so apply them to the whole tree).
  const apply = (command: Command) => {
    for (const sub of command.commands) {
      sub.exitOverride().configureOutput({
        writeOut: (text) => ctx.io.stdout.write(text),
        writeErr: (text) => ctx.io.stderr.write(text),
      });
      sub.configureHelp({ showGlobalOptions: true });
      apply(sub);
    }
  };
  apply(program);
  return program;
}

/**
 * Runs the CLI on `args` (without node and script) and returns the exit code. Errors print one
 * line, `sluice: <what happened and what to do>`; `--verbose` adds the details and stack.
 */
export async function runCli(args: readonly string[], ctx: CliContext): Promise<number> {
  const program = createProgram(ctx);
  const argv = normalizeArgs(args, longOptionNames(program));
  const verbose = argv.includes('--verbose');
  const unknown = unknownCommand(program, argv);
  if (unknown !== undefined) {
    ctx.io.stderr.write(`sluice: ${unknownCommandMessage(program, unknown)}\n`);
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return takeExitCode(ctx.io) ?? EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already printed the usage error (or the help / version)
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    ctx.io.stderr.write(`${formatError(error, verbose)}\n`);
    if (error instanceof UsageError) {
      takeExitCode(ctx.io);
      return EXIT.usage;
    }
    return Math.max(takeExitCode(ctx.io) ?? 0, EXIT.failure);
  }
}

export function formatError(error: unknown, verbose: boolean): string {
  const message = messageOf(error);
  const code = error instanceof SluiceError ? ` [${error.code}]` : '';
  if (verbose) {
    const stack = error instanceof Error && error.stack ? error.stack : message;
    const cause =
      error instanceof Error && error.cause !== undefined ? `\ncaused by: ${messageOf(error.cause)}` : '';
    return `sluice${code}: ${stack}${cause}`;
  }
  const [first, ...more] = message.split('\n');
  return `sluice: ${first}${more.length > 0 ? ' (run with --verbose for details)' : ''}`;
}

/** The entry point of bin/sluice.mjs. */
export async function main(args: readonly string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await runCli(args, { io: processIO() });
}
