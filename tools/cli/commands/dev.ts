import type { Command } from 'commander';
import { configToEnv } from '../../../lib/core/config';
import { createLogger } from '../../../lib/core/log';
import { localNamespaceOf } from '../../../lib/core/namespace';
import { storeFromConfig } from '../../../lib/store/from-config';
import { startEmulator } from '../../trigger/emulator';
import { prepareFunctions } from '../../trigger/from-serverless';
import { DEFAULT_INSTANCE_SEED } from '../../trigger/instance-pool';
import { forLocalRun } from '../../trigger/local-environment';
import { DEFAULT_FLUSH_INTERVAL_MS } from '../../trigger/scheduled-flush';
import { loadServerlessConfig } from '../../trigger/serverless-config';
import type { EmulatorStats } from '../../trigger/stats';
import { action, type CliContext } from '../context';
import { prepareDevAwsStore } from '../dev-aws-store';
import { definitionOf, ensureTopics, neededTopics } from '../dev-topics';
import { startDevLive } from '../live/dev-live';
import { createLiveArea } from '../live-area';
import { isEmfLine, readableLogLine } from '../log-lines';
import { intOption } from '../parameters';
import { formatNumber, progressLines } from '../progress';

interface DevOptions {
  bundle?: boolean;
  stage?: string;
  progress: boolean;
  instances?: number;
  concurrency?: number;
  seed: number;
  flushInterval: number;
  createTopics?: boolean;
  partitions: number;
  ui: boolean;
  uiPort?: number;
}

/** Where the live page listens unless --ui-port says otherwise (127.0.0.1 only). */
export const DEFAULT_UI_PORT = 7717;

/** How often the progress block is redrawn (a terminal), or a summary line printed (a pipe). */
const TTY_REFRESH_MS = 500;
const PIPE_SUMMARY_MS = 10_000;

/** `sluice dev [functions...]`: the functions of serverless.yml, fed by the trigger emulator. */
export function registerDevCommand(program: Command, ctx: CliContext): void {
  program
    .command('dev')
    .description("run the functions of serverless.yml locally, fed by an emulator of Lambda's Kafka trigger")
    .argument('[functions...]', 'only these functions (default: every function with an msk/kafka event)')
    .option('--bundle', 'run each function as its esbuild bundle in a child process (what deploys)')
    .option('--stage <stage>', "the serverless stage (sls:stage, opt:stage variables; default: the file's)")
    .option(
      '--instances <n>',
      'warm instances per function, each with its own runtime (or child process with --bundle); an invocation goes to a free one at random, no partition affinity (default: one instance taking every partition at once)',
      intOption(1),
    )
    .option(
      '--concurrency <m>',
      'invocations at once per instance, as Lambda Managed Instances (sets AWS_LAMBDA_MAX_CONCURRENCY); default 1 with --instances',
      intOption(1),
    )
    .option(
      '--seed <n>',
      'seeds the choice of an instance per invocation',
      intOption(0),
      DEFAULT_INSTANCE_SEED,
    )
    .option(
      '--flush-interval <seconds>',
      "how often each function gets the scheduled flush event, as the plugin's EventBridge schedule when deployed (0: never)",
      intOption(0),
      DEFAULT_FLUSH_INTERVAL_MS / 1000,
    )
    .option('--no-progress', 'no live progress block (a terminal shows one by default)')
    .option('--create-topics', 'create the topics serverless.yml and the functions name that are missing')
    .option('--partitions <n>', 'partitions of each topic --create-topics creates', intOption(1), 1)
    .option(
      '--ui-port <port>',
      `port of the live page on 127.0.0.1: records/s, lag in records and time, state, outboxes, failures (default ${DEFAULT_UI_PORT}, or a free port when that one is taken)`,
      intOption(0),
    )
    .option('--no-ui', 'no live page')
    .addHelpText(
      'after',
      `
Kafka and the store come from the CLI and the shell (--bootstrap.servers, --store, ...), not from
provider.environment, which describes the deployment (MSK, the stack's DynamoDB table).
Missing topics stop it before it starts, unless --create-topics creates them. On a terminal the
functions' log lines print readably; piped, or with --json, they stay JSON. The live page
(--ui-port) shows each function's partition tasks; \`sluice status\` prints the same as a table or JSON.
Stop with Ctrl-C: batches in flight finish and commit first.`,
    )
    .action(
      action(ctx, async (env, only: string[], opts: DevOptions) => {
        const loaded = await loadServerlessConfig(env.configPath, {
          env: env.env,
          ...(opts.stage !== undefined && { stage: opts.stage }),
        });
        const { config, replaced, warnings } = forLocalRun(loaded);
        for (const warning of warnings) env.note(env.err.yellow(`warning: ${warning}`));
        if (replaced.length > 0) {
          env.note(
            env.err.dim(
              `local settings replace the deployment's ${replaced.join(', ')} (provider.environment)`,
            ),
          );
        }
        // Never a deployed stage's namespace: sluice dev beside a deployment on a shared cluster
        // must not fence its producers nor read its outbox markers.
        const namespace =
          env.options.namespace || env.env.SLUICE_NAMESPACE
            ? await env.namespace()
            : localNamespaceOf(config.service, config.stage);
        const kind = env.options.store ?? env.env.SLUICE_STORE ?? 'file';
        // The aws store's names: SLUICE_TABLE/SLUICE_BUCKET, or sluice-dev on a local stack.
        const names: NodeJS.ProcessEnv = { ...env.env };
        if (kind === 'aws') env.note(env.err.dim(await prepareDevAwsStore(names)));
        // The functions' metrics feed the live page: on unless the shell says otherwise. Their EMF
        // lines are printed only when the user asked for them (SLUICE_METRICS=true).
        const printMetrics = env.env.SLUICE_METRICS === 'true';
        const settings = env.config({
          ...(env.env.SLUICE_METRICS === undefined && {
            SLUICE_METRICS: { value: 'true', from: 'sluice dev (for its live page)' },
          }),
          SLUICE_STORE: { value: kind, from: 'SLUICE_STORE' },
          SLUICE_NAMESPACE: { value: namespace, from: 'the namespace of sluice dev' },
          ...(kind === 'aws' && {
            SLUICE_TABLE: { value: names.SLUICE_TABLE ?? '', from: 'SLUICE_TABLE' },
            SLUICE_BUCKET: { value: names.SLUICE_BUCKET ?? '', from: 'SLUICE_BUCKET' },
          }),
        });
        // The functions' environment (Lambda's interface, also for child processes): the shell's,
        // with this run's configuration.
        const local: NodeJS.ProcessEnv = { ...env.env };
        for (const [name, value] of Object.entries(configToEnv(settings))) {
          if (value === undefined) delete local[name];
          else local[name] = value;
        }
        const kafka = await env.kafka();
        await ensureTopics(kafka, await neededTopics(config, only), {
          create: opts.createTopics === true,
          partitions: opts.partitions,
          note: (line) => env.note(env.err.dim(line)),
        });
        const pretty = env.io.stdout.isTTY && !env.options.json;
        let page: Awaited<ReturnType<typeof startDevLive>> | null = null;
        const functions = await prepareFunctions(config, {
          cwd: config.dir,
          env: local,
          brokers: [...kafka.brokers],
          mode: opts.bundle ? 'bundle' : 'in-process',
          ...(only.length > 0 && { only }),
          ...(opts.instances !== undefined && { instances: opts.instances }),
          ...(opts.concurrency !== undefined && { concurrency: opts.concurrency }),
          onProgress: (message) => env.note(env.err.dim(message)),
          onOutput: (fn, line, stream) => {
            if (isEmfLine(line)) {
              try {
                page?.model.ingestMetrics(fn, JSON.parse(line) as Record<string, unknown>);
              } catch {}
              if (!printMetrics) return;
            }
            const text = pretty ? readableLogLine(line, fn, env.out) : line;
            if (stream === 'stderr') env.note(text);
            else env.print(text);
          },
        });
        const emulator = await startEmulator({
          functions,
          kafka,
          env: local,
          region: config.region,
          seed: opts.seed,
          flushIntervalMs: opts.flushInterval * 1000,
          log: createLogger({
            level: env.options.verbose ? 'debug' : 'warn',
            base: { component: 'trigger' },
            write: (line) => env.note(line),
          }),
        });
        const definitions = new Map<string, Awaited<ReturnType<typeof definitionOf>> & {}>();
        for (const fn of config.functions.filter((f) => only.length === 0 || only.includes(f.name))) {
          const definition = await definitionOf(config.dir, fn.handler);
          if (definition) definitions.set(fn.name, definition);
        }
        try {
          page = await startDevLive({
            emulator,
            definitions,
            topics: new Map(config.functions.map((f) => [f.name, f.triggers[0]?.topic ?? ''])),
            store: await storeFromConfig(settings.store, namespace),
            kafka,
            namespace,
            port: opts.ui ? (opts.uiPort ?? DEFAULT_UI_PORT) : null,
            fallback: opts.uiPort === undefined,
            onError: (message) => env.note(env.err.yellow(message)),
          });
        } catch (error) {
          await emulator.stop().catch(() => {});
          throw error;
        }
        const store = settings.store.kind === 'file' ? `file (${settings.store.dir})` : settings.store.kind;
        env.note(
          `${env.err.bold('sluice dev')}: ${functions.map((f) => f.name).join(', ')} · ` +
            `${opts.bundle ? 'esbuild bundles in child processes' : 'in process'}${instancesNote(opts)} · store ${store} · ` +
            `namespace ${namespace} · ` +
            `Kafka ${kafka.brokers.join(',')} · Ctrl-C to stop`,
        );
        if (page.server) env.note(`live page: ${env.err.bold(page.server.url)}`);

        const live = opts.progress ? createLiveArea(env.io.stdout, { intercept: env.io.stdout.isTTY }) : null;
        let lastSummary = '';
        const timer = setInterval(
          () => {
            const stats = emulator.stats();
            if (env.io.stdout.isTTY) live?.update(progressLines(stats, env.out));
            else if (opts.progress) {
              const line = summary(stats);
              if (line !== lastSummary) env.note(line);
              lastSummary = line;
            }
          },
          env.io.stdout.isTTY ? TTY_REFRESH_MS : PIPE_SUMMARY_MS,
        );
        let failure: unknown = null;
        try {
          const stopped = await Promise.race([
            env.io.interrupted().then((signal) => signal),
            emulator.done.then(
              () => null,
              (error: unknown) => {
                failure = error;
                return null;
              },
            ),
          ]);
          if (stopped) env.note(env.err.dim(`${stopped}: stopping (finishing batches in flight)…`));
        } finally {
          clearInterval(timer);
          live?.stop();
          await emulator.stop().catch((error: unknown) => {
            failure ??= error;
          });
        }
        const stats = emulator.stats();
        const snapshot = page.snapshot();
        await page.stop();
        if (env.options.json) env.json({ ...stats, live: snapshot });
        else for (const line of progressLines(stats, env.out)) env.print(line);
        if (failure) throw failure;
      }),
    );
}

function instancesNote(opts: DevOptions): string {
  if (opts.instances === undefined && opts.concurrency === undefined) return '';
  const n = opts.instances ?? 1;
  return ` · ${n} instance${n === 1 ? '' : 's'} × ${opts.concurrency ?? 1} at once (seed ${opts.seed})`;
}

function summary(stats: EmulatorStats): string {
  return stats.triggers
    .map(
      (t) =>
        `${t.function}: ${formatNumber(t.delivered)} done, lag ${t.lag}${t.errors ? `, ${t.errors} errors` : ''}`,
    )
    .join(' · ');
}
