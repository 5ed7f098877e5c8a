import { readFile } from 'node:fs/promises';
import type { FunctionDefinition } from '../../lib/checkpoint/definition';
import type { RawRecord } from '../../lib/event/types';
import { UsageError } from './usage-error';

/** A record as written in an `invoke --records` file. */
export interface InvokeRecordInput {
  partition?: number;
  offset?: number;
  /** through the function's source key serde (default: nullable string) */
  key?: unknown;
  /** through the function's source value serde: a string for serde.string(), any JSON for serde.json() */
  value?: unknown;
  headers?: Record<string, string> | Array<{ key: string; value: string }>;
  timestamp?: number;
}

const FIELDS = ['partition', 'offset', 'key', 'value', 'headers', 'timestamp'];

/** Reads `--records`: a JSON array, or JSON lines, from a file or `-` (stdin). */
export async function readRecordsInput(
  source: string,
  stdin: NodeJS.ReadableStream,
): Promise<InvokeRecordInput[]> {
  const text =
    source === '-'
      ? await readAll(stdin)
      : await readFile(source, 'utf8').catch((error: Error) => {
          throw new UsageError(`--records ${source}: ${error.message}`);
        });
  return parseRecordsInput(text, source === '-' ? 'stdin' : source);
}

export function parseRecordsInput(text: string, where: string): InvokeRecordInput[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new UsageError(`${where} holds no records: give a JSON array or JSON lines`);
  let items: unknown[];
  if (trimmed.startsWith('[')) {
    items = parseJson(trimmed, where) as unknown[];
  } else {
    items = trimmed
      .split('\n')
      .map((line, i) => [line.trim(), i + 1] as const)
      .filter(([line]) => line !== '')
      .map(([line, n]) => parseJson(line, `${where} line ${n}`));
  }
  return items.map((item, i) => checkRecord(item, `${where} record ${i + 1}`));
}

/**
 * Turns inputs into raw records of the function's source topic. Offsets not given continue from
 * `nextOffset(partition)` (the checkpoint), so each invoke applies new records.
 */
export function toRawRecords(
  definition: FunctionDefinition,
  inputs: InvokeRecordInput[],
  nextOffset: (partition: number) => number,
  now: number,
): RawRecord[] {
  const next = new Map<number, number>();
  const records = inputs.map((input, i): RawRecord => {
    const partition = input.partition ?? 0;
    const offset = input.offset ?? next.get(partition) ?? nextOffset(partition);
    next.set(partition, offset + 1);
    const serialize = (
      serde: { name: string; serialize(v: never): Buffer | null },
      value: unknown,
      part: string,
    ) => {
      try {
        const v = serde.name === 'bytes' && typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
        return serde.serialize(v as never);
      } catch (error) {
        throw new UsageError(
          `record ${i + 1}: its ${part} does not fit the function's ${part} serde (${serde.name}): ${(error as Error).message}`,
        );
      }
    };
    return {
      topic: definition.source.topic,
      partition,
      offset,
      timestamp: input.timestamp ?? now,
      timestampType: 'CREATE_TIME',
      key: serialize(definition.source.key, input.key ?? null, 'key'),
      value: serialize(definition.source.value, input.value ?? null, 'value'),
      headers: headerList(input.headers),
    };
  });
  // Lambda delivers each partition's records in offset order.
  return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

function headerList(headers: InvokeRecordInput['headers']): RawRecord['headers'] {
  if (headers === undefined) return [];
  const pairs = Array.isArray(headers)
    ? headers.map((h) => [h.key, h.value] as const)
    : Object.entries(headers);
  return pairs.map(([key, value]) => ({ key, value: Buffer.from(String(value), 'utf8') }));
}

function checkRecord(item: unknown, where: string): InvokeRecordInput {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new UsageError(`${where} must be an object like {"partition": 0, "key": "k", "value": "v"}`);
  }
  for (const key of Object.keys(item)) {
    if (!FIELDS.includes(key))
      throw new UsageError(`${where}: unknown field "${key}"; allowed: ${FIELDS.join(', ')}`);
  }
  const record = item as InvokeRecordInput;
  for (const field of ['partition', 'offset', 'timestamp'] as const) {
    const value = record[field];
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      throw new UsageError(`${where}: ${field} must be an integer >= 0, got ${JSON.stringify(value)}`);
    }
  }
  return record;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${where} is not valid JSON: ${(error as Error).message}`);
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}
