/**
 * The broker itself SIGKILLed and restarted mid-run, twice, while batches are processed and
 * published. The test runs a broker of its own (helpers/own-broker.ts: its own ports and data
 * dir, killed by the pid it started), the file store, and ONE runtime for the whole run: its
 * producers and admin client must recover by themselves. A failed invocation is retried as
 * Lambda would (the same event again). Then: every output exactly once (read_committed, kcat
 * and kafkajs), state = the fold of every record applied once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureKcat } from '../../../infra/local/kcat';
import { configFromEnv } from '../../../lib/core/config';
import { messageOf } from '../../../lib/core/errors';
import { silentLogger } from '../../../lib/core/log';
import { createKafka, type KafkaClient } from '../../../lib/kafka/client';
import { kafkaConfigOf } from '../../../lib/kafka/config';
import { createKafkaPublisher } from '../../../lib/sink/kafka-publisher';
import { createFileStore } from '../../../lib/store/file';
import { createHarness } from '../../../lib/testing/harness';
import { chaosWordCount, referenceFold, sentences } from '../../chaos/word-count';
import { type OwnBroker, startOwnBroker } from '../helpers/own-broker';
import { uniqueName } from '../helpers/unique-name';
import { waitFor } from '../helpers/wait-for';
import { expectExactlyOnce, expectStateEqualsFold } from './setup';

const PARTITIONS = 3;
const BATCHES = 20;
/** The broker is killed as soon as this many batches are done: the next one is in flight. */
const KILL_AFTER = [5, 12];
/** Deliveries of one event before the test gives up (Lambda's own retries are bounded too). */
const MAX_DELIVERIES = 50;

let broker: OwnBroker | undefined;
let kafka: KafkaClient | undefined;
let dir: string | undefined;

beforeAll(async () => {
  ensureKcat({ log: (line) => console.log(line) });
  broker = await startOwnBroker();
  // kafkajs logs every refused connection while the broker is down: keep them out of the output.
  kafka = await createKafka(
    { ...kafkaConfigOf(configFromEnv({ SLUICE_KAFKA_BROKERS: broker.endpoint })), clientId: 'broker-kill' },
    { logger: silentLogger },
  );
  dir = await mkdtemp(join(tmpdir(), 'sluice-broker-kill-'));
});
afterAll(async () => {
  await kafka?.close();
  await broker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it(`loses and doubles nothing when the broker is SIGKILLed and restarted ${KILL_AFTER.length} times mid-run`, async () => {
  const own = broker!;
  const client = kafka!;
  const source = uniqueName('kill-src');
  const sink = uniqueName('kill-out');
  const admin = client.admin();
  await admin.createTopic(source, { partitions: PARTITIONS });
  await admin.createTopic(sink, { partitions: 3 });
  await admin.disconnect();

  const handler = chaosWordCount({ fn: `kill-${source.slice(-8)}`, source, sink });
  const publisher = createKafkaPublisher({ kafka: client });
  const harness = createHarness(handler, {
    store: createFileStore(join(dir!, 'store')),
    publishers: { kafka: publisher },
  });
  const all = sentences(4242, BATCHES * 12, PARTITIONS);
  const events = Array.from({ length: BATCHES }, (_, i) =>
    harness.event(all.slice(i * 12, (i + 1) * 12).map((s) => ({ partition: s.partition, value: s.value }))),
  );

  const started = Date.now();
  const progress = { done: 0, failures: 0, errors: new Set<string>() };
  const kills: Array<{ atBatch: number; downMs: number }> = [];
  const driver = (async () => {
    for (const event of events) {
      for (let delivery = 1; ; delivery++) {
        try {
          await harness.invokeEvent(event); // the same runtime throughout: never a cold start
          break;
        } catch (error) {
          progress.failures += 1;
          progress.errors.add(messageOf(error).slice(0, 160));
          if (delivery >= MAX_DELIVERIES) throw error;
        }
      }
      progress.done += 1;
    }
  })();
  const killer = (async () => {
    for (const at of KILL_AFTER) {
      await waitFor(() => progress.done >= at, { timeoutMs: 60_000, message: `batch ${at} never done` });
      const atBatch = progress.done;
      const down = Date.now();
      await own.kill();
      await own.restart();
      kills.push({ atBatch, downMs: Date.now() - down });
    }
  })();
  // Whichever fails first fails the test (the other is left to the broker's stop in afterAll).
  await Promise.all([driver, killer]);
  const runMs = Date.now() - started;

  const reference = referenceFold(all);
  await expectExactlyOnce({ brokers: own.endpoint, kafka: client }, sink, reference, 'broker killed');
  await expectStateEqualsFold(harness, reference, PARTITIONS);
  const stats = publisher.stats();
  console.log(
    `broker SIGKILLed and restarted ${kills.length} times (${kills
      .map((k) => `after batch ${k.atBatch}, down ${(k.downMs / 1000).toFixed(1)} s`)
      .join('; ')}); ${BATCHES} batches in ${(runMs / 1000).toFixed(1)} s; failed invocations ` +
      `${progress.failures} (each retried); ${reference.total} outputs exactly once; publisher ` +
      `${JSON.stringify(stats)}; errors seen: ${[...progress.errors].join(' | ') || 'none'}`,
  );
  expect(kills).toHaveLength(KILL_AFTER.length);
  // Each kill came while batches were still to be processed, not after the run.
  for (const k of kills) expect(k.atBatch).toBeLessThan(BATCHES);
  // The producers were re-initialised after the restarts, inside the same runtime.
  expect(stats.inits).toBeGreaterThan(PARTITIONS);
  await harness.close();
});
