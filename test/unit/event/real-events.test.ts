/**
 * Real Lambda Kafka events written by other projects (test/events/README.md names each source):
 * the valid ones decode, round-trip through encodeEvent, and run through the real handler; the
 * malformed ones fail with an error naming the field.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineFunction, serde } from '../../../lib';
import { MalformedEventError } from '../../../lib/core/errors';
import { decodeEvent } from '../../../lib/event/decode';
import { encodeEvent } from '../../../lib/event/encode';
import { createHarness } from '../../../lib/testing/harness';

const DIR = join(import.meta.dirname, '../../events');
// biome-ignore lint/suspicious/noExplicitAny: fixtures are untyped JSON
const load = (file: string): any => JSON.parse(readFileSync(join(DIR, file), 'utf8'));

/** The malformed ones, with the path their error names and what the message says. */
const MALFORMED: Record<string, { path: string; says: string }> = {
  'others/powertools-python.kafkaEventMsk.json': {
    path: 'records["mytopic-0"][1].offset',
    says: 'greater than the previous offset 15',
  },
  'others/powertools-java.kafka-json-event.json': {
    path: 'records["mytopic-0"][1].offset',
    says: 'greater than the previous offset 15',
  },
  'others/aws-lambda-java-libs.kafka_event.json': {
    path: 'records["mytopic-01"][0]',
    says: 'must be a record of mytopic-01 (its topic-partition), got the string "mytopic-0"',
  },
};

const files = [
  ...readdirSync(DIR).filter((f) => f.endsWith('.json')),
  ...readdirSync(join(DIR, 'others')).map((f) => `others/${f}`),
];
const valid = files.filter((f) => !(f in MALFORMED));

it('has at least 10 events written by other projects, each listed in the README', () => {
  const others = files.filter((f) => f.startsWith('others/'));
  expect(others.length).toBeGreaterThanOrEqual(10);
  const readme = readFileSync(join(DIR, 'README.md'), 'utf8');
  for (const file of files) expect(readme, file).toContain(`\`${file.replace('others/', '')}\``);
});

describe.each(valid)('%s', (file) => {
  it('decodes, and re-encodes to an event that decodes to the same records', () => {
    const original = load(file);
    const decoded = decodeEvent(original);
    expect(decoded.batches.length).toBeGreaterThan(0);
    const encoded = encodeEvent({
      eventSource: decoded.eventSource,
      eventSourceArn: decoded.eventSourceArn,
      bootstrapServers: decoded.bootstrapServers.length > 0 ? decoded.bootstrapServers : undefined,
      records: decoded.batches.flatMap((b) => b.records),
    });
    expect(decodeEvent(JSON.parse(JSON.stringify(encoded)))).toEqual(decoded);
    // The wire form is the original's, up to what Lambda cannot tell apart (a null key is absent)
    // and base64 written canonically.
    const wire = (event: typeof original) =>
      Object.values(event.records as Record<string, Array<Record<string, unknown>>>)
        .flat()
        .map(({ key, value, ...rest }) => ({
          ...rest,
          headers: rest.headers ?? [],
          key: key ? Buffer.from(key as string, 'base64').toString('base64') : null,
          value: value === null ? null : Buffer.from(value as string, 'base64').toString('base64'),
        }));
    expect(wire(JSON.parse(JSON.stringify(encoded)))).toEqual(wire(original));
  });

  it('runs through the real handler, committing every partition', async () => {
    const event = load(file);
    const { batches } = decodeEvent(event);
    const topic = batches[0]!.topic;
    const seen: number[] = [];
    const fn = defineFunction({
      name: 'real-event',
      source: { topic, key: serde.nullable(serde.bytes()), value: serde.nullable(serde.bytes()) },
      process(batch) {
        for (const record of batch.records) seen.push(record.offset);
      },
    });
    // Events with several topics are for functions of each; feed this one only its own.
    const own = {
      ...event,
      records: Object.fromEntries(
        Object.entries(event.records).filter(
          ([, list]) => (list as Array<{ topic: string }>)[0]?.topic === topic,
        ),
      ),
    };
    const h = createHarness(fn);
    await h.invokeEvent(own);
    const ours = batches.filter((b) => b.topic === topic);
    expect(seen.sort((a, b) => a - b)).toEqual(
      ours.flatMap((b) => b.records.map((r) => r.offset)).sort((a, b) => a - b),
    );
    for (const batch of ours) {
      expect((await h.checkpoint(batch.partition))?.next).toBe(batch.records.at(-1)!.offset + 1);
    }
  });
});

describe.each(Object.entries(MALFORMED))('%s (malformed at the source)', (file, { path, says }) => {
  it('fails with an error naming the field', () => {
    let caught: unknown;
    try {
      decodeEvent(load(file));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MalformedEventError);
    expect((caught as MalformedEventError).path).toBe(path);
    expect((caught as MalformedEventError).message).toContain(says);
  });
});
