import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../lib/core/errors';
import { compileFilterPatterns } from '../../../../tools/trigger/filter';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const text = (value: string) => Buffer.from(value);
const pass = (patterns: unknown[], value: Buffer | null) => compileFilterPatterns(patterns, 'f')(value);

describe('filter patterns on the record value', () => {
  it('passes everything without patterns', () => {
    expect(pass([], text('x'))).toBe(true);
    expect(pass([], null)).toBe(true);
  });

  it('matches JSON fields: equals, prefix, suffix, ignore case, nested, arrays (AWS doc examples)', () => {
    const device = json({
      device_ID: 'AB1234',
      session: { start_time: 't', duration: 162 },
      tags: ['x', 'y'],
    });
    expect(pass([{ value: { device_ID: [{ prefix: 'AB' }] } }], device)).toBe(true);
    expect(pass([{ value: { device_ID: [{ prefix: 'CD' }] } }], device)).toBe(false);
    expect(pass([{ value: { device_ID: [{ suffix: '34' }] } }], device)).toBe(true);
    expect(pass([{ value: { device_ID: [{ 'equals-ignore-case': 'ab1234' }] } }], device)).toBe(true);
    expect(pass([{ value: { device_ID: ['AB1234', 'other'] } }], device)).toBe(true);
    expect(pass([{ value: { session: { duration: [162] } } }], device)).toBe(true);
    expect(pass([{ value: { session: { duration: ['162'] } } }], device)).toBe(false);
    expect(pass([{ value: { tags: ['y'] } }], device)).toBe(true);
    expect(pass([{ value: { tags: ['z'] } }], device)).toBe(false);
  });

  it('supports numeric ranges, exists, null, empty and anything-but', () => {
    const reading = json({ temp: 21.5, unit: '', note: null });
    expect(pass([{ value: { temp: [{ numeric: ['>', 20, '<=', 22] }] } }], reading)).toBe(true);
    expect(pass([{ value: { temp: [{ numeric: ['<', 20] }] } }], reading)).toBe(false);
    expect(pass([{ value: { temp: [{ numeric: ['=', 21.5] }] } }], reading)).toBe(true);
    expect(pass([{ value: { unit: [{ exists: true }] } }], reading)).toBe(true);
    expect(pass([{ value: { missing: [{ exists: false }] } }], reading)).toBe(true);
    expect(pass([{ value: { missing: [{ exists: true }] } }], reading)).toBe(false);
    expect(pass([{ value: { note: [null] } }], reading)).toBe(true);
    expect(pass([{ value: { unit: [''] } }], reading)).toBe(true);
    expect(pass([{ value: { unit: [{ 'anything-but': ['C', 'F'] }] } }], reading)).toBe(true);
    expect(pass([{ value: { temp: [{ 'anything-but': 21.5 }] } }], reading)).toBe(false);
    expect(pass([{ value: { missing: [{ 'anything-but': 'x' }] } }], reading)).toBe(false);
  });

  it('ANDs fields of a pattern and ORs patterns', () => {
    const order = json({ kind: 'order', total: 5 });
    expect(pass([{ value: { kind: ['order'], total: [{ numeric: ['>', 10] }] } }], order)).toBe(false);
    expect(
      pass([{ value: { kind: ['refund'] } }, { value: { total: [{ numeric: ['<', 10] }] } }], order),
    ).toBe(true);
  });

  it('matches plain strings with list patterns (AWS doc: anything-but "error")', () => {
    expect(pass([{ value: [{ 'anything-but': ['error'] }] }], text('ok'))).toBe(true);
    expect(pass([{ value: [{ 'anything-but': ['error'] }] }], text('error'))).toBe(false);
    expect(pass([{ value: [{ prefix: 'Hello' }] }], text('Hello, this is a test.'))).toBe(true);
  });

  it('does not match across formats, nor values that are not UTF-8', () => {
    expect(pass([{ value: { a: [1] } }], text('plain'))).toBe(false);
    expect(pass([{ value: [{ prefix: '{' }] }], json({ a: 1 }))).toBe(false);
    expect(pass([{ value: [{ prefix: '' }] }], Buffer.from([0xff, 0xfe]))).toBe(false);
    expect(pass([{ value: [null] }], null)).toBe(true);
  });

  it('rejects what Lambda does not document or the emulator does not support, naming the path', () => {
    const reject = (patterns: unknown[]) => () => compileFilterPatterns(patterns, 'filterPatterns');
    expect(reject([{ key: ['a'] }])).toThrow(
      /filterPatterns\[0\]\.key: Kafka event sources only filter on "value"/,
    );
    expect(reject([{ value: { ip: [{ cidr: '10.0.0.0/24' }] } }])).toThrow(
      /\.ip\[0\]: operator "cidr" is not supported/,
    );
    expect(reject([{ value: { a: [{ wildcard: '*x' }] } }])).toThrow(ConfigError);
    expect(reject([{ value: { $or: [] } }])).toThrow(/"\$or" is not supported/);
    expect(reject([{ value: { a: [] } }])).toThrow(/empty list/);
    expect(reject([{ value: { a: [{ numeric: ['>>', 1] }] } }])).toThrow(/numeric/);
    expect(reject([{ value: { a: [{ prefix: 1 }] } }])).toThrow(/prefix needs a string/);
    expect(reject([{ value: { a: [{ 'anything-but': { prefix: 'x' } }] } }])).toThrow(/object forms/);
    expect(reject(['{"value":1}'])).toThrow(/must be an object/);
  });
});
