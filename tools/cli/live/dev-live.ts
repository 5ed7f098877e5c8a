/**
 * `sluice dev`'s side of the live page: feeds the model from the functions' output lines (their
 * EMF metrics) and from the checkpoints, samples the emulator, and serves the page.
 */
import type { FunctionDefinition } from '../../../lib/checkpoint/definition';
import type { KafkaClient } from '../../../lib/kafka/client';
import type { Store } from '../../../lib/store/store';
import type { Emulator } from '../../trigger/emulator';
import { checkpointRows } from '../inspect';
import { createLiveModel, type LiveModel, type LiveSnapshot } from './live-model';
import { type LiveServer, startLiveServer } from './live-server';

/** How often the checkpoints are read for pending outboxes and checkpoint ages. */
const CHECKPOINTS_EVERY_MS = 5_000;
/** How often the charts get a point. */
const SAMPLE_EVERY_MS = 1_000;

export interface DevLive {
  model: LiveModel;
  snapshot(): LiveSnapshot;
  /** The page's server, when one was asked for and could start. */
  server: LiveServer | null;
  stop(): Promise<void>;
}

export interface DevLiveOptions {
  emulator: Emulator;
  /** The definitions whose checkpoints to read (functions that did not load are left out). */
  definitions: Map<string, FunctionDefinition>;
  /** The source topic each function reads (serverless.yml's, which may differ from its definition's). */
  topics: Map<string, string>;
  store: Store | null;
  kafka: KafkaClient;
  namespace: string;
  /** Port of the page on 127.0.0.1; null: no page. */
  port: number | null;
  /** Take a free port when `port` is in use (it is the default one, not the user's choice). */
  fallback: boolean;
  onError(message: string): void;
}

export async function startDevLive(options: DevLiveOptions): Promise<DevLive> {
  const model = createLiveModel();
  const snapshot = () => model.snapshot(options.emulator.stats());
  const sampler = setInterval(() => model.sample(options.emulator.stats()), SAMPLE_EVERY_MS);
  sampler.unref();
  let reading = false;
  let reported = false;
  const readCheckpoints = async () => {
    if (reading || !options.store) return;
    reading = true;
    try {
      for (const [fn, definition] of options.definitions) {
        const topic = options.topics.get(fn) ?? definition.source.topic;
        model.ingestCheckpoints(
          fn,
          await checkpointRows(definition, options.store, options.kafka, topic, options.namespace, Date.now, {
            timeLag: false,
          }),
        );
      }
    } catch (error) {
      // The page shows what it has; one line says why the rest is missing.
      if (!reported) options.onError(`live page: cannot read checkpoints: ${(error as Error).message}`);
      reported = true;
    } finally {
      reading = false;
    }
  };
  const reader = setInterval(() => void readCheckpoints(), CHECKPOINTS_EVERY_MS);
  reader.unref();
  void readCheckpoints();
  let server: LiveServer | null = null;
  try {
    if (options.port !== null) server = await startLiveServer(options.port, snapshot, options);
  } catch (error) {
    clearInterval(sampler);
    clearInterval(reader);
    await options.store?.close();
    throw error;
  }
  return {
    model,
    snapshot,
    server,
    async stop() {
      clearInterval(sampler);
      clearInterval(reader);
      await server?.close();
      await options.store?.close();
    },
  };
}
