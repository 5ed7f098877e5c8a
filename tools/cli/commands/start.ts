import { relative } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_SERVICES, stackUp } from '../../../infra/local/stack';
import type { SluiceConfig } from '../../../lib/core/config';
import { messageOf } from '../../../lib/core/errors';
import { createLogger } from '../../../lib/core/log';
import { storeFromConfig } from '../../../lib/store/from-config';
import type { Store } from '../../../lib/store/store';
import { startEmulator } from '../../trigger/emulator';
import { forLocalRun } from '../../trigger/local-environment';
import { loadServerlessConfig } from '../../trigger/serverless-config';
import { useLocalAwsStore } from '../../walkthrough/aws-local';
import { type Collected, collectTopic } from '../../walkthrough/collect';
import { type RunFunction, walkthroughFunctions } from '../../walkthrough/functions';
import { caughtUp, expectedSentences, observe, type SentTick } from '../../walkthrough/observe';
import { createPlan, type WalkthroughPlan } from '../../walkthrough/plan';
import { MALFORMED_TICK, quarantineCheck, type SentMalformed } from '../../walkthrough/quarantine-check';
import { printChecks, printInspect, printTopWords, printWindows } from '../../walkthrough/report';
import { runChecks } from '../../walkthrough/verdict';
import { words } from '../../walkthrough/verify';
import { action, type CliContext, type CommandEnv } from '../context';
import { createLiveArea } from '../live-area';
import { intOption } from '../parameters';
import { formatNumber, progressLines } from '../progress';

interface StartOptions {
  sentences: number;
  perTick: number;
  tickInterval: number;
  follow?: boolean;
  cleanup?: boolean;
  timeout: number;
  show: number;
  top: number;
}

/** The functions of the walkthrough, in serverless.yml: the seed's three and the global count's two stages. */
const FUNCTIONS = ['prefix', 'generator', 'word-count', 'word-split', 'word-total'] as const;
/** How often progress is polled (store reads, reader counts) while waiting for the pipeline. */
const POLL_MS = 250;
/** After everything arrived, wait this long for stragglers (a duplicate would show up here). */
const SETTLE_MS = 1_000;
/**
 * The scheduled event (flush and tick) every second instead of the deployed 5 minutes: word-total's
 * last 5 s window closes by the tick's idle advance soon after the input stops.
 */
const SCHEDULE_MS = 1_000;
/** Ticks go round-robin to the partitions of generator-ticks. */
const TICK_PARTITIONS = 2;

/** `sluice start` (`npm start`): the seed's Kafka + Flink walkthrough, on Sluice, checked. */
export function registerStartCommand(program: Command, ctx: CliContext): void {
  program
    .command('start')
    .description('the seed walkthrough: stack, topics, generator → test → prefix and word-count, checked')
    .option('--sentences <n>', 'sentences the generator writes', intOption(1), 200)
    .option('--per-tick <n>', 'sentences per tick on generator-ticks', intOption(1), 20)
    .option('--tick-interval <ms>', 'pause between ticks, so sentences stream in batches', intOption(0), 250)
    .option('--follow', 'keep running after the verdict (produce more, watch it flow) until Ctrl-C')
    .option('--cleanup', "delete this run's topics and checkpoints at the end")
    .option('--timeout <s>', 'give up waiting for the pipeline after this many seconds', intOption(1), 120)
    .option('--show <n>', 'prefixed lines to print', intOption(0), 8)
    .option('--top <n>', 'words in the final table', intOption(1), 10)
    .addHelpText(
      'after',
      `
Store: aws (DynamoDB Local + moto S3 of the local stack) unless --store file|memory is given.
Each run uses topics with its own suffix (test-<run>, ...), so runs are independent and
re-runnable, and no topic others use is touched. Exit code 0 when every check passes.`,
    )
    .action(
      action(
        ctx,
        (env, opts: StartOptions) =>
          // --json: the walkthrough's lines go to stderr, one JSON summary to stdout at the end.
          runWalkthrough(env.options.json ? { ...env, print: env.note, out: env.err } : env, opts, env),
        { storeDir: '.sluice/walkthrough' },
      ),
    );
}

async function runWalkthrough(env: CommandEnv, opts: StartOptions, stdout: CommandEnv): Promise<void> {
  const began = Date.now();
  const { out } = env;
  const step = (name: string, detail: string) => env.print(`${out.green('✓')} ${name.padEnd(9)} ${detail}`);
  const plan = createPlan({ sentences: opts.sentences, perTick: opts.perTick });
  const storeKind = env.options.store ?? 'aws';
  env.print(out.bold(`Sluice walkthrough · the Kafka + Flink how-to, exactly once · run ${plan.run}`));

  // 1. The local stack: Kafka, and DynamoDB Local + moto S3 for the aws store.
  const up = await stackUp({
    env: env.io.env,
    services: storeKind === 'aws' ? DEFAULT_SERVICES : ['kafka'],
    // Reused services say so in the step line; installs and starts are worth seeing as they go.
    log: (line) => (line.includes('already answering') ? undefined : env.note(out.dim(`  ${line}`))),
  });
  const upText = up.services.map((s) => `${s.name} ${s.action === 'reused' ? 'up' : 'started'}`).join(', ');
  step('stack', `${upText} (${(up.durationMs / 1000).toFixed(1)} s)`);

  // 2. The store.
  const { text: storeText, inspectEnv, config: runConfig } = await prepareStore(env, storeKind);
  const storeOf = () => storeFromConfig(runConfig.store, runConfig.namespace);
  const shared = storeKind === 'memory' ? storeOf() : null;
  const opened: Array<Promise<Store>> = [];
  const makeStore = () => {
    const store = shared ?? storeOf();
    opened.push(store);
    return store;
  };
  step('store', storeText);

  // 3. Topics, with several partitions.
  const kafka = await env.kafka();
  const admin = kafka.admin();
  for (const topic of plan.topics) await admin.createTopic(topic.name, { partitions: topic.partitions });
  step('topics', plan.topics.map((t) => `${t.name} (${t.partitions})`).join('  '));

  // 4. The functions of serverless.yml, each with its trigger, through the emulator.
  const { config } = forLocalRun(await loadServerlessConfig(env.configPath, { env: env.env }));
  const log = createLogger({
    level: env.options.verbose ? 'debug' : 'warn',
    write: (line) => env.note(line),
  });
  const prefixLines: string[] = [];
  let following = false;
  const functions = await walkthroughFunctions({
    config: {
      ...config,
      functions: config.functions.filter((f) => FUNCTIONS.some((name) => name === f.name)),
    },
    plan,
    makeStore,
    kafka: runConfig.kafka,
    log,
    onLogLine(fn, text) {
      if (fn !== 'prefix') return;
      prefixLines.push(text);
      if (following || prefixLines.length <= opts.show) env.print(`  ${out.cyan(text)}`);
    },
  });
  const missing = FUNCTIONS.filter((name) => !functions.has(name));
  if (missing.length > 0) {
    throw new Error(
      `${env.configPath} has no ${missing.join(', ')} with a Kafka event: the walkthrough runs them`,
    );
  }
  const [test, wordCounts, wordsTopic, wordTotals, windowed, late, quarantined] = await Promise.all([
    collectTopic(kafka, plan.topic('test')),
    collectTopic(kafka, plan.topic('word-counts')),
    collectTopic(kafka, plan.topic('words')),
    collectTopic(kafka, plan.topic('word-totals')),
    collectTopic(kafka, plan.topic('word-counts-5s')),
    collectTopic(kafka, plan.topic('late-words')),
    collectTopic(kafka, plan.topic('generator-ticks.quarantine')),
  ]);
  const readers = [test, wordCounts, wordsTopic, wordTotals, windowed, late, quarantined];
  const emulator = await startEmulator({
    functions: [...functions.values()].map((f) => f.emulated),
    kafka,
    env: env.env,
    region: config.region,
    log,
    flushIntervalMs: SCHEDULE_MS,
  });
  const failure = emulator.done.then(
    () => null,
    (error: unknown) => error,
  );
  step('functions', `${FUNCTIONS.join(', ')}: Lambda Kafka trigger emulator, in process`);

  const store = await makeStore();
  const live = createLiveArea(env.io.stdout, { intercept: env.io.stdout.isTTY });
  const producer = kafka.producer({ idempotent: true });
  let failed = true;
  try {
    // 5. Ticks, one at a time: the generator turns each into sentences on test.
    const ticks = plan.topic('generator-ticks');
    const sent: SentTick[] = [];
    // One malformed tick among the others (after the first): quarantined, while the rest flow.
    const malformed: SentMalformed[] = [];
    let sendError: unknown = null;
    const sending = (async () => {
      for (const [i, count] of plan.ticks.entries()) {
        if (i > 0) await sleep(opts.tickInterval);
        const partition = i % TICK_PARTITIONS;
        if (i === 1 || (i === 0 && plan.ticks.length === 1)) {
          const [bad] = await producer.send([
            { topic: ticks, messages: [{ value: MALFORMED_TICK, partition }] },
          ]);
          malformed.push({ partition, offset: bad!.baseOffset });
        }
        const [batch] = await producer.send([
          { topic: ticks, messages: [{ value: JSON.stringify({ count }), partition }] },
        ]);
        sent.push({ partition, offset: batch!.baseOffset, count });
      }
    })().catch((error: unknown) => {
      sendError = error;
    });
    const total = plan.ticks.reduce((n, count) => n + count, 0);
    step(
      'ticks',
      `${plan.ticks.length} × {"count": ${opts.perTick}} → ${ticks}, one every ${opts.tickInterval} ms: ` +
        `${formatNumber(total)} sentences to come; one malformed tick ${MALFORMED_TICK} goes to the generator's ` +
        `quarantine (onError: 'quarantine-key') while the others flow`,
    );
    env.print(out.dim(`prefix, reading ${plan.topic('test')} (first ${opts.show} lines):`));

    // 6. Wait until every sentence went through prefix and word-count and every count is out.
    const deadline = Date.now() + opts.timeout * 1000;
    let timedOut = false;
    let lastChange = Date.now();
    let lastSize = -1;
    let expected: string[] | null = null;
    let expectedWords = 0;
    for (;;) {
      const error = (await Promise.race([failure, sleep(POLL_MS)])) ?? sendError;
      if (error) throw error;
      if (expected === null && sent.length === plan.ticks.length) {
        expected = expectedSentences(sent);
        expectedWords = expected.reduce((n, s) => n + words(s).length, 0);
      }
      live.update(progressLines(emulator.stats(), out));
      const size = readers.reduce((n, r) => n + r.values.length, 0) + prefixLines.length;
      if (size !== lastSize) [lastSize, lastChange] = [size, Date.now()];
      const arrived =
        expected !== null &&
        test.values.length >= expected.length &&
        wordCounts.values.length >= expectedWords &&
        wordTotals.values.length >= expectedWords &&
        // every word is in a closed window's result or on late-words
        windowedWords(windowed) + late.values.length >= expectedWords &&
        prefixLines.length >= expected.length &&
        quarantined.values.length >= malformed.length &&
        (await caughtUp(plan, functions, store, { test, words: wordsTopic }));
      if (arrived && Date.now() - lastChange >= SETTLE_MS) break;
      if (Date.now() > deadline) {
        timedOut = true;
        break;
      }
    }
    await sending;
    expected ??= expectedSentences(sent);
    live.stop();
    if (prefixLines.length > opts.show)
      env.print(out.dim(`  … ${formatNumber(prefixLines.length - opts.show)} more`));

    // 7. The result, and the independent checks.
    const seen = await observe(plan, functions, store, {
      test,
      wordCounts,
      words: wordsTopic,
      wordTotals,
      windowed,
      late,
      prefixLines,
    });
    printTopWords(env, plan, seen, opts.top);
    printWindows(env, seen);
    const checks = runChecks(expected, seen);
    checks.push(await quarantineCheck(plan, functions.get('generator')!, store, malformed, quarantined));
    if (timedOut) {
      checks.unshift({
        ok: false,
        label: `the pipeline finished within --timeout ${opts.timeout} s`,
        details: ['records were still missing at the deadline (see the checks below)'],
      });
    }
    printChecks(env, checks);
    const bad = checks.filter((c) => !c.ok).length;
    failed = bad > 0;
    const took = `${((Date.now() - began) / 1000).toFixed(1)} s`;
    env.print(
      failed
        ? out.red(out.bold(`VERDICT: FAIL · ${bad} of ${checks.length} checks failed (${took})`))
        : out.green(
            out.bold(
              `VERDICT: PASS · ${formatNumber(total)} sentences, ${formatNumber(expectedWords)} words, ` +
                `each counted exactly once (${checks.length} checks, ${took})`,
            ),
          ),
    );
    if (failed) env.setExitCode(1);
    if (env.options.json) {
      stdout.json({
        run: plan.run,
        verdict: failed ? 'FAIL' : 'PASS',
        durationMs: Date.now() - began,
        store: storeKind,
        topics: plan.topics,
        sentences: total,
        words: expectedWords,
        wordCountState: Object.fromEntries(
          [...seen.wordCountState].map(([partition, counts]) => [partition, Object.fromEntries(counts)]),
        ),
        checks,
      });
    }
    if (!opts.cleanup) printInspect(env, plan, inspectEnv);

    // 8. --follow: keep the pipeline running for the user's own input, until Ctrl-C.
    if (opts.follow) {
      following = true;
      await follow(env, plan, () => progressLines(emulator.stats(), out), failure);
    }
  } finally {
    live.stop();
    await producer.disconnect().catch(() => {});
    await emulator
      .stop()
      .catch((error: unknown) => env.note(`while stopping the emulator: ${messageOf(error)}`));
    await Promise.allSettled(readers.map((r) => r.reader.stop()));
    if (opts.cleanup) await cleanup(env, plan, functions, store);
    await Promise.allSettled([...new Set(opened)].map(async (s) => (await s).close()));
  }
  if (opts.follow) env.print(out.dim('stopped: emulator and clients closed'));
}

/** The store of this run: its configuration (the walkthrough's own defaults under the flags), and how to say it. */
async function prepareStore(
  env: CommandEnv,
  kind: string,
): Promise<{ text: string; inspectEnv: string; config: SluiceConfig }> {
  // The walkthrough picks its store itself (aws unless --store says otherwise), whatever SLUICE_STORE says.
  const storeKind = { SLUICE_STORE: { value: kind, from: '--store' } };
  if (kind === 'aws') {
    const vars = await useLocalAwsStore(env.env);
    const config = env.config({
      ...storeKind,
      SLUICE_TABLE: { value: vars.SLUICE_TABLE!, from: 'SLUICE_TABLE' },
      SLUICE_BUCKET: { value: vars.SLUICE_BUCKET!, from: 'SLUICE_BUCKET' },
    });
    const inspect = [
      'SLUICE_STORE',
      'SLUICE_TABLE',
      'SLUICE_BUCKET',
      'AWS_ENDPOINT_URL_DYNAMODB',
      'AWS_ENDPOINT_URL_S3',
    ];
    return {
      text: `aws · DynamoDB table ${vars.SLUICE_TABLE} (${vars.AWS_ENDPOINT_URL_DYNAMODB}), S3 bucket ${vars.SLUICE_BUCKET} (${vars.AWS_ENDPOINT_URL_S3})`,
      inspectEnv: inspect.map((name) => `${name}=${vars[name]}`).join(' '),
      config,
    };
  }
  const config = env.config(storeKind);
  if (config.store.kind !== 'file') {
    return { text: `${kind} (gone when this process exits)`, inspectEnv: '', config };
  }
  const dir = relative(env.io.cwd, config.store.dir) || '.';
  return { text: `file · ${dir}/`, inspectEnv: `SLUICE_STORE=file SLUICE_STORE_DIR=${dir}`, config };
}

async function follow(
  env: CommandEnv,
  plan: WalkthroughPlan,
  progress: () => string[],
  failure: Promise<unknown>,
): Promise<void> {
  env.print(
    `${env.out.bold('following')} (Ctrl-C to stop) · more ticks: echo '{"count": 5}' | npx sluice produce ${plan.topic('generator-ticks')}` +
      ` · your own lines: npx sluice produce ${plan.topic('test')}`,
  );
  const live = createLiveArea(env.io.stdout, { intercept: env.io.stdout.isTTY });
  const timer = setInterval(() => live.update(progress()), 500);
  try {
    const signal = await Promise.race([
      env.io.interrupted(),
      failure.then((error) => (error ? Promise.reject(error) : 'stopped')),
    ]);
    live.stop();
    env.print(env.out.dim(`${signal}: stopping…`));
  } finally {
    clearInterval(timer);
    live.stop();
  }
}

async function cleanup(
  env: CommandEnv,
  plan: WalkthroughPlan,
  functions: ReadonlyMap<string, RunFunction>,
  store: Store,
): Promise<void> {
  try {
    await (await env.kafka()).admin().deleteTopics(plan.topics.map((t) => t.name));
    for (const { definition } of functions.values()) {
      for (const task of await store.list(definition.name)) {
        if (task.topic === definition.source.topic) await store.reset(task);
      }
    }
    env.print(env.out.dim(`cleaned up: this run's topics and checkpoints`));
  } catch (error) {
    env.note(`cleanup failed: ${messageOf(error)}`);
  }
}

/** Words counted by the window results read so far. */
function windowedWords(collected: Collected): number {
  let n = 0;
  for (const value of collected.values) {
    try {
      n += (JSON.parse(value) as { value: number }).value;
    } catch {
      // a malformed result: the checks report it
    }
  }
  return n;
}

function sleep(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}
