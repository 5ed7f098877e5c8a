import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../../lib/core/errors';
import type { KafkaClient } from '../../lib/kafka/client';
import type { KafkaHandler } from '../../lib/lambda/handler';
import type { ServerlessConfig } from '../trigger/serverless-config';

/** A topic `sluice dev` needs, and who needs it (for messages). */
export interface NeededTopic {
  topic: string;
  usedBy: string;
}

/**
 * The topics the selected functions need: each trigger's topic and on-failure topic from
 * serverless.yml, and the Kafka sinks of each definition (read from the handler module; a module
 * that does not load is left to the emulator to report).
 */
export async function neededTopics(config: ServerlessConfig, only: string[]): Promise<NeededTopic[]> {
  const needed = new Map<string, string>();
  const add = (topic: string, usedBy: string) => {
    if (!needed.has(topic)) needed.set(topic, usedBy);
  };
  for (const fn of config.functions.filter((f) => only.length === 0 || only.includes(f.name))) {
    for (const trigger of fn.triggers) {
      add(trigger.topic, `${fn.name}'s trigger`);
      if (trigger.onFailureTopic) add(trigger.onFailureTopic, `${fn.name}'s onFailureTopic`);
    }
    for (const [name, sink] of Object.entries((await definitionOf(config.dir, fn.handler))?.sinks ?? {})) {
      if (sink.kind === 'kafka') add(sink.target, `${fn.name}'s sink ${name}`);
    }
  }
  return [...needed].map(([topic, usedBy]) => ({ topic, usedBy }));
}

/**
 * Checks that the topics exist; with `create`, creates the missing ones (`partitions` each) and
 * says so. Without it, a missing topic is an error that offers `--create-topics`: the emulator
 * would otherwise stop at the first one with "cannot read topic".
 */
export async function ensureTopics(
  kafka: KafkaClient,
  needed: NeededTopic[],
  options: { create: boolean; partitions: number; note(line: string): void },
): Promise<void> {
  const admin = kafka.admin();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = needed.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return;
    const list = missing.map((t) => `${t.topic} (${t.usedBy})`).join(', ');
    if (!options.create) {
      throw new ConfigError(
        `missing topic${missing.length === 1 ? '' : 's'} on ${kafka.brokers.join(',')}: ${list}. ` +
          'Run `sluice dev --create-topics` to create them (add --partitions <n>, default 1), ' +
          'or create them yourself: `sluice topics create <name> --partitions <n>`',
      );
    }
    for (const t of missing) await admin.createTopic(t.topic, { partitions: options.partitions });
    options.note(
      `created topic${missing.length === 1 ? '' : 's'} ${missing.map((t) => t.topic).join(', ')} ` +
        `with ${options.partitions} partition${options.partitions === 1 ? '' : 's'} on ${kafka.brokers.join(',')}`,
    );
  } finally {
    await admin.disconnect();
  }
}

const EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

export async function definitionOf(
  dir: string,
  handler: { module: string; export: string },
): Promise<KafkaHandler['definition'] | undefined> {
  const base = resolve(dir, handler.module);
  const file = EXTENSIONS.map((ext) => base + ext).find((candidate) => existsSync(candidate));
  if (!file) return undefined;
  try {
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const target = module[handler.export] as Partial<KafkaHandler> | undefined;
    return target?.definition;
  } catch {
    return undefined;
  }
}
