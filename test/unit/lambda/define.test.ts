import { describe, expect, it } from 'vitest';
import { ConfigError, defineFunction, kafkaSink, serde, state } from '../../../lib';

const valid = {
  name: 'ok',
  source: { topic: 't', value: serde.string() },
  process() {},
};

describe('defineFunction validation', () => {
  it('returns a handler carrying the validated definition with a default key serde', () => {
    const handler = defineFunction(valid);
    expect(handler.definition.name).toBe('ok');
    expect(handler.definition.source.key.deserialize(null)).toBeNull();
    expect(handler.definition.state).toEqual({});
  });

  it.each([
    ['a missing name', { ...valid, name: undefined }, /name is required/],
    ['a name with spaces', { ...valid, name: 'word count' }, /name is required/],
    [
      'an unknown top-level key',
      { ...valid, sink: {} },
      /unknown option "sink"; allowed: name, source, state, sinks, time, windows, process, onTimer/,
    ],
    ['a missing source', { ...valid, source: undefined }, /source is required/],
    ['a missing topic', { ...valid, source: { value: serde.string() } }, /source.topic is required/],
    [
      'an unknown source key',
      { ...valid, source: { topic: 't', value: serde.string(), group: 'g' } },
      /unknown option "group"/,
    ],
    [
      'a value that is not a serde',
      { ...valid, source: { topic: 't', value: 'string' } },
      /source.value must be a serde/,
    ],
    [
      'a bad state spec',
      { ...valid, state: { counts: {} } },
      /state.counts must be state.value\(\), state.map\(\) or state.list\(\)/,
    ],
    ['a state name with a slash', { ...valid, state: { 'a/b': state.map() } }, /must be an identifier/],
    ['a bad sink', { ...valid, sinks: { out: { topic: 'x' } } }, /sinks.out must be a sink/],
    ['a missing process', { ...valid, process: undefined }, /process\(batch, context\) is required/],
    ['a negative grace', { ...valid, time: { graceMs: -1 } }, /time.graceMs must be a non-negative integer/],
    ['an unknown time option', { ...valid, time: { lateness: 1 } }, /unknown option "lateness"/],
    ['a window that is not one', { ...valid, windows: { w: {} } }, /windows.w must be a window/],
  ])('rejects %s with a ConfigError that says what to do', (_, config, message) => {
    expect(() => defineFunction(config as never)).toThrow(ConfigError);
    expect(() => defineFunction(config as never)).toThrow(message);
  });

  it('rejects a kafka sink without a topic or with unknown options', () => {
    expect(() => kafkaSink({ topic: '', value: serde.json() })).toThrow(/topic is required/);
    expect(() => kafkaSink({ topic: 'x', value: serde.json(), acks: 1 } as never)).toThrow(
      /unknown option "acks"/,
    );
  });
});

describe('serdes', () => {
  it('round-trip strings, json and bytes', () => {
    expect(serde.string().deserialize(serde.string().serialize('héllo'))).toBe('héllo');
    expect(serde.json().deserialize(serde.json().serialize({ a: [1] }))).toEqual({ a: [1] });
    expect(serde.bytes().deserialize(Buffer.from([0, 255]))).toEqual(Buffer.from([0, 255]));
  });

  it('reject invalid UTF-8 and null unless nullable', () => {
    expect(() => serde.string().deserialize(Buffer.from([0xff, 0xfe]))).toThrow();
    expect(() => serde.json().deserialize(Buffer.from('{nope'))).toThrow();
    expect(() => serde.string().deserialize(null)).toThrow(/serde.nullable\(serde.string\(\)\)/);
    expect(serde.nullable(serde.string()).deserialize(null)).toBeNull();
  });
});
