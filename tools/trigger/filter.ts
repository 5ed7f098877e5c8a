/**
 * Lambda event filtering for Kafka event sources, which filter on the record's `value` only:
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-filtering.html and the operator table of
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
 *
 * Supported (Lambda's documented comparison operators):
 * - equals: `["a", 5, null]` (strings, numbers, null, booleans); empty: `[""]`
 * - `{ "prefix": "ab" }`, `{ "suffix": "yz" }`, `{ "equals-ignore-case": "Ab" }`
 * - `{ "numeric": [">", 0, "<=", 5] }` (operators `=`, `<`, `<=`, `>`, `>=`; one or two conditions)
 * - `{ "exists": true | false }`
 * - `{ "anything-but": value | [values] }`
 * - and across keys, or across the values of one list, or across patterns (a record passes when
 *   any pattern matches); nested objects address nested JSON fields; a JSON array field matches
 *   when any element does.
 * Rejected with a ConfigError (not documented for Lambda, or not emulated): `wildcard`, `cidr`,
 * `$or`, `anything-but` with an object, patterns on anything but `value`.
 *
 * The value is decoded as UTF-8. When it parses to a JSON object, object patterns
 * (`{ "value": { "field": [...] } }`) apply to it; otherwise it is a plain string and list patterns
 * (`{ "value": [...] }`) apply to the whole string. A pattern of the other shape does not match
 * (AWS's table says Lambda then "filters on the other metadata properties only"; Kafka has none
 * to filter on, and Lambda's older stream docs say such a record is dropped: we drop it). A value
 * that is not valid UTF-8 matches no value pattern.
 */
import { ConfigError } from '../../lib/core/errors';

/** True when the record's value passes the filters (Lambda then delivers it). */
export type RecordFilter = (value: Buffer | null) => boolean;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Matcher = (present: boolean, value: Json | undefined) => boolean;
type Node = { kind: 'leaf'; matchers: Matcher[] } | { kind: 'object'; fields: Array<[string, Node]> };

export const SUPPORTED_OPERATORS = [
  'prefix',
  'suffix',
  'equals-ignore-case',
  'numeric',
  'exists',
  'anything-but',
] as const;
const NUMERIC_OPERATORS = ['=', '<', '<=', '>', '>='] as const;

/**
 * Compiles Lambda filter patterns (the objects of serverless.yml's `filterPatterns`, or parsed
 * FilterCriteria `Pattern` strings). No patterns: every record passes.
 *
 * @throws {ConfigError} naming the pattern path of an unsupported or malformed operator.
 * @example
 * const pass = compileFilterPatterns([{ value: { device_ID: [{ prefix: 'AB' }] } }], 'filterPatterns');
 * pass(Buffer.from('{"device_ID":"AB1234"}')); // true
 */
export function compileFilterPatterns(patterns: readonly unknown[], where: string): RecordFilter {
  const compiled = patterns.map((pattern, i) => compilePattern(pattern, `${where}[${i}]`));
  if (compiled.length === 0) return () => true;
  return (value) => {
    const decoded = decodeValue(value);
    return compiled.some((node) => matchValue(node, decoded));
  };
}

type Decoded =
  | { kind: 'json'; value: { [key: string]: Json } }
  | { kind: 'text'; value: string | null }
  | null;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeValue(value: Buffer | null): Decoded {
  if (value === null) return { kind: 'text', value: null };
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return null;
  }
  try {
    const parsed = JSON.parse(text) as Json;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return { kind: 'json', value: parsed };
    }
  } catch {
    // a plain string
  }
  return { kind: 'text', value: text };
}

function matchValue(node: Node, decoded: Decoded): boolean {
  if (decoded === null) return false;
  if (node.kind === 'leaf') {
    return decoded.kind === 'text' && matchLeaf(node.matchers, true, decoded.value);
  }
  return decoded.kind === 'json' && matchObject(node, decoded.value);
}

function matchObject(node: Extract<Node, { kind: 'object' }>, value: Json | undefined): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return node.fields.every(([key, child]) => {
    const present = Object.hasOwn(value, key);
    const field = present ? value[key] : undefined;
    if (child.kind === 'object') {
      return Array.isArray(field)
        ? field.some((item) => matchObject(child, item))
        : matchObject(child, field);
    }
    return matchLeaf(child.matchers, present, field);
  });
}

function matchLeaf(matchers: Matcher[], present: boolean, value: Json | undefined): boolean {
  if (Array.isArray(value)) {
    // A JSON array matches when one of its elements does (EventBridge/Lambda semantics).
    return matchers.some((m) =>
      value.length === 0 ? m(true, undefined) : value.some((item) => m(true, item)),
    );
  }
  return matchers.some((m) => m(present, value));
}

function compilePattern(pattern: unknown, where: string): Node {
  if (!isPlainObject(pattern)) {
    throw new ConfigError(
      `${where} must be an object like { value: { field: [...] } }, got ${show(pattern)}`,
    );
  }
  const keys = Object.keys(pattern);
  for (const key of keys) {
    if (key !== 'value') {
      throw new ConfigError(
        `${where}.${key}: Kafka event sources only filter on "value" (Lambda rejects other keys); ` +
          'put the conditions under value',
      );
    }
  }
  if (keys.length === 0) throw new ConfigError(`${where} is empty: give conditions under value`);
  return compileNode(pattern.value, `${where}.value`);
}

function compileNode(spec: unknown, where: string): Node {
  if (Array.isArray(spec)) {
    if (spec.length === 0) throw new ConfigError(`${where} is an empty list: it would match nothing`);
    return { kind: 'leaf', matchers: spec.map((item, i) => compileMatcher(item, `${where}[${i}]`)) };
  }
  if (isPlainObject(spec)) {
    const entries = Object.entries(spec);
    if (entries.length === 0) throw new ConfigError(`${where} is an empty object: give a field and a list`);
    return {
      kind: 'object',
      fields: entries.map(([key, child]) => {
        if (key.startsWith('$')) {
          throw new ConfigError(
            `${where}: "${key}" is not supported by the Sluice emulator; list alternatives as separate patterns`,
          );
        }
        return [key, compileNode(child, `${where}.${key}`)];
      }),
    };
  }
  throw new ConfigError(`${where} must be a list of conditions or an object of fields, got ${show(spec)}`);
}

function compileMatcher(item: unknown, where: string): Matcher {
  if (item === null) return (present, value) => present && value === null;
  if (typeof item === 'string' || typeof item === 'boolean')
    return (present, value) => present && value === item;
  if (typeof item === 'number')
    return (present, value) => present && typeof value === 'number' && value === item;
  if (!isPlainObject(item))
    throw new ConfigError(`${where} must be a value or an operator object, got ${show(item)}`);
  const keys = Object.keys(item);
  const operator = keys[0];
  if (keys.length !== 1 || operator === undefined) {
    throw new ConfigError(`${where} must hold exactly one operator, got ${show(item)}`);
  }
  const arg = item[operator];
  switch (operator) {
    case 'prefix': {
      const prefix = stringArg(arg, `${where}.prefix`);
      return (present, value) => present && typeof value === 'string' && value.startsWith(prefix);
    }
    case 'suffix': {
      const suffix = stringArg(arg, `${where}.suffix`);
      return (present, value) => present && typeof value === 'string' && value.endsWith(suffix);
    }
    case 'equals-ignore-case': {
      const expected = stringArg(arg, `${where}.equals-ignore-case`).toLowerCase();
      return (present, value) => present && typeof value === 'string' && value.toLowerCase() === expected;
    }
    case 'exists': {
      if (typeof arg !== 'boolean')
        throw new ConfigError(`${where}.exists must be true or false, got ${show(arg)}`);
      return (present) => present === arg;
    }
    case 'numeric':
      return numericMatcher(arg, `${where}.numeric`);
    case 'anything-but': {
      const excluded = Array.isArray(arg) ? arg : [arg];
      if (excluded.length === 0 || !excluded.every((v) => typeof v === 'string' || typeof v === 'number')) {
        throw new ConfigError(
          `${where}.anything-but must be a string, a number or a list of them (the object forms are not ` +
            `supported by the Sluice emulator), got ${show(arg)}`,
        );
      }
      return (present, value) => present && value !== null && !excluded.includes(value as string | number);
    }
    default:
      throw new ConfigError(
        `${where}: operator "${operator}" is not supported by the Sluice emulator; ` +
          `supported: equals, null, ${SUPPORTED_OPERATORS.join(', ')}`,
      );
  }
}

function numericMatcher(arg: unknown, where: string): Matcher {
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) {
    throw new ConfigError(`${where} must be [op, number] or [op, number, op, number], got ${show(arg)}`);
  }
  const conditions: Array<(n: number) => boolean> = [];
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const bound = arg[i + 1];
    if (!(NUMERIC_OPERATORS as readonly unknown[]).includes(op) || typeof bound !== 'number') {
      throw new ConfigError(
        `${where}: expected one of ${NUMERIC_OPERATORS.join(' ')} followed by a number, got ${show([op, bound])}`,
      );
    }
    conditions.push(compare(op as (typeof NUMERIC_OPERATORS)[number], bound));
  }
  return (present, value) => present && typeof value === 'number' && conditions.every((c) => c(value));
}

function compare(op: (typeof NUMERIC_OPERATORS)[number], bound: number): (n: number) => boolean {
  switch (op) {
    case '=':
      return (n) => n === bound;
    case '<':
      return (n) => n < bound;
    case '<=':
      return (n) => n <= bound;
    case '>':
      return (n) => n > bound;
    case '>=':
      return (n) => n >= bound;
  }
}

function stringArg(arg: unknown, where: string): string {
  if (typeof arg !== 'string') throw new ConfigError(`${where} needs a string, got ${show(arg)}`);
  return arg;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
