/**
 * A minimal resolver of Serverless Framework variables, enough to read `serverless.yml` locally:
 * `${env:NAME}`, `${self:path.to.key}`, `${opt:stage}`, `${opt:region}`, `${sls:stage}`,
 * `${param:name}` (from `params.<stage>` then `params.default`), fallbacks
 * (`${env:X, 'default'}`, `${env:X, ${self:y}}`, numbers) and nesting.
 *
 * Other sources (`ssm:`, `cf:`, `s3:`, `file(...)`, `aws:`...) need AWS or files the emulator does
 * not read: such strings are left as they are, and the caller decides whether the key matters
 * locally (see `isUnresolved`).
 */

export interface VariableContext {
  env: NodeJS.ProcessEnv;
  stage: string;
  region: string;
  /** The raw configuration, for `${self:...}`. */
  self: unknown;
}

const MAX_DEPTH = 10;
const UNRESOLVED = Symbol('unresolved');

/** Resolves every string of a YAML/JSON tree; returns a new tree. */
export function resolveVariables(value: unknown, context: VariableContext, depth = 0): unknown {
  if (typeof value === 'string') return resolveString(value, context, depth);
  if (Array.isArray(value)) return value.map((item) => resolveVariables(item, context, depth));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveVariables(item, context, depth)]),
    );
  }
  return value;
}

/** True when a value (still) holds a `${...}` the local resolver could not resolve. */
export function isUnresolved(value: unknown): boolean {
  return typeof value === 'string' && value.includes('${');
}

function resolveString(text: string, context: VariableContext, depth: number): unknown {
  if (!text.includes('${') || depth > MAX_DEPTH) return text;
  const whole = matchingBrace(text, 0);
  if (text.startsWith('${') && whole === text.length - 1) {
    // The whole string is one variable: keep the resolved value's type (number, object...).
    const resolved = resolveExpression(text.slice(2, -1), context, depth);
    return resolved === UNRESOLVED ? text : resolved;
  }
  let out = '';
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start < 0) {
      out += text.slice(i);
      break;
    }
    const end = matchingBrace(text, start);
    if (end < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, start);
    const resolved = resolveExpression(text.slice(start + 2, end), context, depth);
    out +=
      resolved === UNRESOLVED || (typeof resolved === 'object' && resolved !== null)
        ? text.slice(start, end + 1)
        : String(resolved);
    i = end + 1;
  }
  return out;
}

/** Index of the `}` closing the `${` at `start`, or -1. */
function matchingBrace(text: string, start: number): number {
  if (!text.startsWith('${', start)) return -1;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text.startsWith('${', i)) {
      depth++;
      i++;
    } else if (text[i] === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function resolveExpression(expression: string, context: VariableContext, depth: number): unknown {
  for (const alternative of splitTopLevel(expression)) {
    const value = resolveSource(alternative.trim(), context, depth);
    if (value !== UNRESOLVED && value !== undefined && value !== null) return value;
  }
  return UNRESOLVED;
}

/** Splits `a, b, 'c'` on commas outside quotes and nested `${}`. */
function splitTopLevel(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = '';
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '$' && expression[i + 1] === '{') {
      depth++;
    } else if (c === '}') {
      depth--;
    } else if (c === ',' && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  parts.push(current);
  return parts;
}

function resolveSource(source: string, context: VariableContext, depth: number): unknown {
  if (source.startsWith('${')) return resolveString(source, context, depth + 1);
  const quoted = /^'(.*)'$|^"(.*)"$/s.exec(source);
  if (quoted) return quoted[1] ?? quoted[2];
  if (/^-?\d+(\.\d+)?$/.test(source)) return Number(source);
  if (source === 'true' || source === 'false') return source === 'true';
  const colon = source.indexOf(':');
  if (colon < 0) return UNRESOLVED;
  const kind = source.slice(0, colon);
  const address = source.slice(colon + 1).trim();
  switch (kind) {
    case 'env':
      return context.env[address] === undefined || context.env[address] === ''
        ? UNRESOLVED
        : context.env[address];
    case 'opt':
    case 'sls':
      if (address === 'stage') return context.stage;
      if (address === 'region') return context.region;
      return UNRESOLVED;
    case 'self': {
      const found = lookup(context.self, address);
      return found === undefined ? UNRESOLVED : resolveVariables(found, context, depth + 1);
    }
    case 'param': {
      const params = lookup(context.self, 'params') as Record<string, Record<string, unknown>> | undefined;
      const found = params?.[context.stage]?.[address] ?? params?.default?.[address];
      return found === undefined ? UNRESOLVED : resolveVariables(found, context, depth + 1);
    }
    default:
      return UNRESOLVED;
  }
}

function lookup(root: unknown, path: string): unknown {
  if (path === '') return root;
  let node = root;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
