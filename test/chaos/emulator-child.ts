/**
 * The process the chaos runner kills: the trigger emulator running the chaos word count through
 * the real runtime (aws store, Kafka publisher from the environment), like `sluice dev`.
 *
 * Environment: CHAOS_FN, CHAOS_SOURCE, CHAOS_SINK, CHAOS_BATCH_SIZE, plus the runtime's own
 * (SLUICE_KAFKA_BROKERS, SLUICE_STORE=aws, SLUICE_TABLE, SLUICE_BUCKET, AWS_ENDPOINT_URL_*).
 * Prints `{"ready":true}` once its consumer group is joined, then a stats line now and then.
 * SIGTERM stops it cleanly; SIGKILL is the point.
 */
import { createLogger } from '../../lib/core/log';
import { createInProcessInvoker, resolveTriggerSettings, startEmulator } from '../../tools/trigger';
import { chaosWordCount } from './word-count';

/** Lambda's maximum; the emulator fails an invocation past it (and Sluice fences the zombie). */
const FUNCTION_TIMEOUT_MS = 30_000;
/**
 * A killed emulator stays a member of its consumer group until its session times out, and the
 * restarted one cannot get partitions before: the broker's minimum (6 s) keeps restarts short.
 */
const CONSUMER_TUNING = { sessionTimeout: 6_000, heartbeatInterval: 1_000 };
const STATS_INTERVAL_MS = 500;
/**
 * Warm instances, as Lambda keeps several without partition affinity (CHAOS_INSTANCES, default 3):
 * each invocation goes to a free one at random, so warm checkpoints go stale and batches re-run.
 */
const INSTANCES = Number(process.env.CHAOS_INSTANCES ?? 3);

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required (set by test/chaos/run-chaos.ts)`);
  return value;
}

const names = { fn: required('CHAOS_FN'), source: required('CHAOS_SOURCE'), sink: required('CHAOS_SINK') };
const handler = chaosWordCount(names);
const log = createLogger({
  level: process.env.SLUICE_LOG_LEVEL ?? 'warn',
  write: (line) => process.stderr.write(`${line}\n`),
});
const emulator = await startEmulator({
  functions: [
    {
      name: names.fn,
      invoker: () => createInProcessInvoker(handler, { env: process.env }),
      instances: INSTANCES,
      triggers: [
        resolveTriggerSettings(
          names.fn,
          {
            topic: names.source,
            batchSize: Number(process.env.CHAOS_BATCH_SIZE ?? 100),
            startingPosition: 'TRIM_HORIZON',
          },
          names.fn,
        ),
      ],
      timeoutMs: FUNCTION_TIMEOUT_MS,
    },
  ],
  brokers: required('SLUICE_KAFKA_BROKERS').split(','),
  log,
  consumerTuning: CONSUMER_TUNING,
});
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);
const timer = setInterval(() => {
  const trigger = emulator.stats().triggers[0];
  process.stdout.write(
    `${JSON.stringify({ delivered: trigger?.delivered ?? 0, errors: trigger?.errors ?? 0, lag: trigger?.lag ?? null })}\n`,
  );
}, STATS_INTERVAL_MS);
process.once('SIGTERM', () => {
  clearInterval(timer);
  void emulator.stop();
});
await emulator.done;
clearInterval(timer);
