import { existsSync } from 'node:fs';
import type { FunctionDefinition } from '../../lib/checkpoint/definition';
import type { OutboxMarkers } from '../../lib/checkpoint/rewind';
import { ConfigError } from '../../lib/core/errors';
import type { KafkaClient } from '../../lib/kafka/client';
import { createKafkaPublisher } from '../../lib/sink/kafka-publisher';
import { createLogPublisher } from '../../lib/sink/log-publisher';
import { createKafkaOutboxMarkers } from '../../lib/sink/outbox-marker';
import type { Publishers } from '../../lib/sink/publisher';
import type { Store } from '../../lib/store/store';
import { loadServerlessConfig } from '../trigger/serverless-config';
import type { StartingPosition } from '../trigger/settings';
import type { CommandEnv } from './context';
import { loadHandler, resolveFunction } from './resolve-function';

/** A function as savepoints and rewinds see it: its definition, its trigger, and its deployment. */
export interface RewindContext {
  definition: FunctionDefinition;
  store: Store;
  kafka: KafkaClient;
  namespace: string;
  publishers: Publishers;
  markers: OutboxMarkers;
  /** the trigger's consumer group: --group, else serverless.yml's consumerGroupId (or the emulator's default) */
  group: string;
  startingPosition: StartingPosition;
  /** AT_TIMESTAMP's time, epoch ms */
  startingPositionTimestampMs?: number;
  /** the deployed Lambda's name (for the commands printed to stop its trigger) */
  lambdaName: string | null;
  /** partitions of the source topic (or the one asked for), with their offsets */
  watermarks: Map<number, { low: number; high: number }>;
}

export async function rewindContext(
  env: CommandEnv,
  name: string,
  opts: { group?: string; partition?: number },
): Promise<RewindContext> {
  const entry = await resolveFunction(name, env.configPath, env.env);
  const definition = (await loadHandler(entry)).definition;
  const fn = existsSync(env.configPath)
    ? (await loadServerlessConfig(env.configPath, { env: env.env })).functions.find(
        (f) => f.name === entry.name,
      )
    : undefined;
  const trigger = fn?.triggers.find((t) => t.topic === definition.source.topic) ?? fn?.triggers[0];
  const group = opts.group ?? trigger?.consumerGroupId;
  if (!group) {
    throw new ConfigError(
      `no trigger of ${name} in ${env.configPath}: pass its consumer group with --group ` +
        "(Lambda's is the consumerGroupId of the event, or else the event source mapping's UUID)",
    );
  }
  const [store, kafka, namespace] = await Promise.all([env.store(), env.kafka(), env.namespace()]);
  const all = await kafka.admin().watermarks(definition.source.topic);
  if (all.size === 0)
    throw new ConfigError(`topic ${definition.source.topic} does not exist (or has no partitions)`);
  if (opts.partition !== undefined && !all.has(opts.partition)) {
    throw new ConfigError(
      `topic ${definition.source.topic} has no partition ${opts.partition} (it has ${all.size}: 0-${all.size - 1})`,
    );
  }
  const watermarks =
    opts.partition === undefined ? all : new Map([[opts.partition, all.get(opts.partition)!]]);
  return {
    definition,
    store,
    kafka,
    namespace,
    publishers: {
      kafka: createKafkaPublisher({ kafka, fn: definition.name, log: env.log }),
      log: createLogPublisher(env.log),
    },
    markers: createKafkaOutboxMarkers(kafka, namespace),
    group,
    startingPosition: trigger?.startingPosition ?? 'TRIM_HORIZON',
    ...(trigger?.startingPositionTimestampMs !== undefined && {
      startingPositionTimestampMs: trigger.startingPositionTimestampMs,
    }),
    lambdaName: fn?.lambdaName ?? null,
    watermarks,
  };
}

/**
 * Rewinds move the trigger's offsets and rewrite checkpoints under it: nothing may deliver
 * meanwhile. Kafka refuses offset commits for a group with members anyway; this says why, and
 * what to run.
 */
export async function assertTriggerStopped(ctx: RewindContext): Promise<void> {
  const group = await ctx.kafka.admin().describeGroup(ctx.group);
  if (group.members === 0 && (group.state === 'Empty' || group.state === 'Dead')) return;
  const fn = ctx.lambdaName ?? '<function>';
  throw new ConfigError(
    `the trigger of ${ctx.definition.name} is running: consumer group ${ctx.group} is ${group.state} with ` +
      `${group.members} member(s). Stop it, then run this again. Locally: stop \`sluice dev\` (Ctrl-C). On AWS: ` +
      `aws lambda update-event-source-mapping --uuid <UUID> --no-enabled (the UUID from aws lambda ` +
      `list-event-source-mappings --function-name ${fn}), wait until its State is Disabled; afterwards enable it ` +
      'again with --enabled',
  );
}

/** Where the trigger starts each partition it has no committed offset for (its StartingPosition). */
export async function initialOffsets(ctx: RewindContext): Promise<Map<number, number>> {
  if (ctx.startingPosition === 'AT_TIMESTAMP' && ctx.startingPositionTimestampMs !== undefined) {
    return ctx.kafka
      .admin()
      .offsetsForTimestamp(ctx.definition.source.topic, ctx.startingPositionTimestampMs);
  }
  return new Map(
    [...ctx.watermarks].map(([p, w]) => [p, ctx.startingPosition === 'LATEST' ? w.high : w.low]),
  );
}
