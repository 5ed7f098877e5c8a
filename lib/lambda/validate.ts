import type { FunctionConfig, FunctionDefinition } from '../checkpoint/definition';
import type { TimeOptions } from '../checkpoint/event-time';
import { quarantinePolicyOf } from '../checkpoint/quarantine-policy';
import { ConfigError } from '../core/errors';
import { isSerde, serde } from '../core/serde';
import { type AnySink, isSink } from '../sink/sink';
import type { StateSpec } from '../state/spec';
import type { AnyWindowSpec, WindowSpec } from '../state/window-spec';

// No '.': it separates the parts of transactional ids (`sluice.<fn>.<topic>.<partition>`).
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const STATE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function rejectUnknown(where: string, value: object, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(`${where}: unknown option "${key}"; allowed: ${allowed.join(', ')}`);
    }
  }
}

/**
 * Checks a definition once, at module load (Lambda cold start), so a mistake fails the
 * deployment's first invocation with a clear message rather than a batch at 3 a.m.
 */
export function validateDefinition(
  config: FunctionConfig<
    unknown,
    unknown,
    Record<string, StateSpec>,
    Record<string, AnySink>,
    Record<string, AnyWindowSpec>
  >,
): FunctionDefinition {
  if (typeof config !== 'object' || config === null) throw new ConfigError('defineFunction needs an object');
  const where = `defineFunction(${typeof config.name === 'string' ? JSON.stringify(config.name) : '…'})`;
  rejectUnknown(where, config, [
    'name',
    'source',
    'state',
    'sinks',
    'time',
    'windows',
    'process',
    'onTimer',
    'onError',
    'quarantine',
  ]);
  if (typeof config.name !== 'string' || !NAME.test(config.name)) {
    throw new ConfigError(
      `${where}: name is required: 1-64 letters, digits, '_' or '-' (it names checkpoints and Kafka transactional ids)`,
    );
  }
  const source = config.source as FunctionConfig<unknown, unknown, never, never>['source'] | undefined;
  if (typeof source !== 'object' || source === null) {
    throw new ConfigError(`${where}: source is required: set source: { topic, value: serde.string() }`);
  }
  rejectUnknown(`${where}.source`, source, ['topic', 'key', 'value', 'timestamp']);
  if (typeof source.topic !== 'string' || source.topic.length === 0) {
    throw new ConfigError(`${where}: source.topic is required: the Kafka topic the trigger reads`);
  }
  if (!isSerde(source.value)) {
    throw new ConfigError(`${where}: source.value must be a serde, e.g. serde.string() or serde.json()`);
  }
  if (source.key !== undefined && !isSerde(source.key)) {
    throw new ConfigError(`${where}: source.key must be a serde, e.g. serde.nullable(serde.string())`);
  }
  const state = config.state ?? {};
  for (const [name, spec] of Object.entries(state)) {
    if (!STATE_NAME.test(name)) throw new ConfigError(`${where}: state name "${name}" must be an identifier`);
    const kind = (spec as { kind?: unknown } | null)?.kind;
    if (kind !== 'value' && kind !== 'map' && kind !== 'list') {
      throw new ConfigError(`${where}: state.${name} must be state.value(), state.map() or state.list()`);
    }
  }
  const sinks = config.sinks ?? {};
  for (const [name, sink] of Object.entries(sinks)) {
    if (!STATE_NAME.test(name)) throw new ConfigError(`${where}: sink name "${name}" must be an identifier`);
    if (!isSink(sink))
      throw new ConfigError(`${where}: sinks.${name} must be a sink, e.g. kafkaSink({ topic })`);
  }
  if (typeof config.process !== 'function') {
    throw new ConfigError(`${where}: process(batch, context) is required`);
  }
  const quarantine = quarantinePolicyOf(where, source.topic, config.onError, config.quarantine);
  if (
    quarantine &&
    (config.time !== undefined || config.windows !== undefined || config.onTimer !== undefined)
  ) {
    // Isolating a failed batch record by record would also split its timer firings and window
    // updates; that combination is not built (and not tested) yet: say so rather than guess.
    throw new ConfigError(
      `${where}: onError: 'quarantine-key' cannot be combined with time, windows or onTimer yet; ` +
        "use onError: 'fail' (the default) for a function that keeps event time",
    );
  }
  if (source.timestamp !== undefined && typeof source.timestamp !== 'function') {
    throw new ConfigError(`${where}: source.timestamp must be a function (record) => epoch ms`);
  }
  if (config.onTimer !== undefined && typeof config.onTimer !== 'function') {
    throw new ConfigError(`${where}: onTimer(timer, context) must be a function`);
  }
  const time = validateTime(where, config.time);
  const windows = config.windows ?? {};
  for (const [name, spec] of Object.entries(windows)) {
    if (!STATE_NAME.test(name))
      throw new ConfigError(`${where}: window name "${name}" must be an identifier`);
    const w = spec as Partial<WindowSpec> | null;
    if (typeof w?.add !== 'function' || !w.options) {
      throw new ConfigError(
        `${where}: windows.${name} must be a window, e.g. window.tumbling({ sizeMs: 10_000, sink: 'out' }).count()`,
      );
    }
    for (const sink of [w.options.sink, w.options.lateSink]) {
      if (sink !== undefined && !(sink in sinks)) {
        throw new ConfigError(
          `${where}: windows.${name} sends to sink "${sink}", which is not in sinks (${Object.keys(sinks).join(', ') || 'none'})`,
        );
      }
    }
  }
  return {
    name: config.name,
    source: {
      topic: source.topic,
      key: source.key ?? serde.nullable(serde.string()),
      value: source.value,
      ...(source.timestamp && { timestamp: source.timestamp }),
    },
    state,
    sinks: quarantine ? { ...sinks, [quarantine.policy.sink]: quarantine.sink } : sinks,
    ...(time && { time }),
    ...(Object.keys(windows).length > 0 && { windows: windows as Record<string, AnyWindowSpec> }),
    process: config.process as FunctionDefinition['process'],
    ...(config.onTimer && { onTimer: config.onTimer as FunctionDefinition['onTimer'] }),
    ...(quarantine && { quarantine: quarantine.policy }),
  };
}

function validateTime(where: string, time: TimeOptions | undefined): TimeOptions | undefined {
  if (time === undefined) return undefined;
  if (typeof time !== 'object' || time === null) throw new ConfigError(`${where}: time must be an object`);
  rejectUnknown(`${where}.time`, time, ['graceMs', 'idleAdvanceMs']);
  for (const field of ['graceMs', 'idleAdvanceMs'] as const) {
    const value = time[field];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw new ConfigError(
        `${where}: time.${field} must be a non-negative integer of milliseconds, got ${value}`,
      );
    }
  }
  return { ...time };
}
