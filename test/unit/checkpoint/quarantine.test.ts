import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  defineFunction,
  kafkaSink,
  QuarantineFullError,
  SluiceError,
  serde,
  state,
  TerminalError,
} from '../../../lib';
import { QUARANTINE_HEADERS } from '../../../lib/checkpoint/quarantine-message';
import { QUARANTINE_SINK } from '../../../lib/checkpoint/quarantine-policy';
import { createHarness } from '../../../lib/testing/harness';

/** Per key, the values in order; a negative value is poison until `fixed` is set. */
let fixed = false;
let calls = 0;
const ordered = (options: { maxRecords?: number } = {}) =>
  defineFunction({
    name: 'ordered',
    source: { topic: 'events', key: serde.nullable(serde.string()), value: serde.json<number>() },
    state: { seen: state.map<number[]>() },
    sinks: { out: kafkaSink({ topic: 'seen', value: serde.json<{ key: string | null; value: number }>() }) },
    onError: 'quarantine-key',
    ...(options.maxRecords !== undefined && { quarantine: { maxRecords: options.maxRecords } }),
    process(batch, { state, emit }) {
      calls++;
      for (const r of batch.records) {
        if (r.value < 0 && !fixed) throw new TerminalError(`negative value ${r.value}`);
        const k = r.key ?? '(none)';
        state.seen.set(k, [...(state.seen.get(k) ?? []), r.value]);
        emit.out({ key: r.key, value: { key: r.key, value: r.value } });
      }
    },
  });

describe("onError: 'quarantine-key'", () => {
  it('parks a poison record and the later records of its key, in order, while the other keys flow', async () => {
    fixed = false;
    const h = createHarness(ordered());
    await h.invoke([
      { key: 'a', value: 1 },
      { key: 'b', value: 1 },
      { key: 'a', value: -1 },
      { key: 'b', value: 2 },
      { key: 'a', value: 3 },
    ]);
    const st = await h.state();
    expect(st['seen/a']).toEqual([1]);
    expect(st['seen/b']).toEqual([1, 2]);
    const q = await h.quarantine();
    expect(q.map((r) => [r.offset, r.reason, r.status])).toEqual([
      [2, 'failed', 'quarantined'],
      [4, 'behind', 'quarantined'],
    ]);
    expect(q[0]!.error).toContain('negative value -1');
    // Parked records keep their bytes: key, value, timestamp.
    expect(Buffer.from(q[0]!.value!, 'base64').toString()).toBe('-1');
    expect(Buffer.from(q[0]!.key!, 'base64').toString()).toBe('a');
    expect(q[0]!.timestamp).toBe(1_700_000_000_002);

    // A later batch: key a stays parked (new records too), b flows.
    await h.invoke([
      { key: 'a', value: 5 },
      { key: 'b', value: 3 },
    ]);
    expect((await h.state())['seen/b']).toEqual([1, 2, 3]);
    expect((await h.quarantine()).map((r) => r.offset)).toEqual([2, 4, 5]);
    expect((await h.checkpoint())?.next).toBe(7);

    // Published once each to the quarantine topic, with where and why in headers.
    const quarantined = h.broker.published.filter((m) => m.sink === QUARANTINE_SINK);
    expect(quarantined.map((m) => Buffer.from(m.value!, 'base64').toString())).toEqual(['-1', '3', '5']);
    const headers = Object.fromEntries(
      quarantined[0]!.headers!.map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    expect(headers).toMatchObject({
      [QUARANTINE_HEADERS.reason]: 'failed',
      [QUARANTINE_HEADERS.offset]: '2',
      [QUARANTINE_HEADERS.topic]: 'events',
      [QUARANTINE_HEADERS.timestamp]: '1700000000002',
    });
    expect(headers[QUARANTINE_HEADERS.error]).toContain('negative value -1');

    // After a fix, a replay runs the parked records of a before any newer record of a.
    fixed = true;
    const released = await h.replayQuarantine(0, 'a');
    expect(released.offsets).toEqual([2, 4, 5]);
    expect((await h.quarantine()).map((r) => r.status)).toEqual(['replaying', 'replaying', 'replaying']);
    await h.invoke([{ key: 'a', value: 7 }]);
    expect((await h.state())['seen/a']).toEqual([1, -1, 3, 5, 7]);
    expect(await h.quarantine()).toEqual([]);
    expect(Object.keys(await h.state()).filter((k) => k.startsWith('~'))).toEqual([]);
    expect(
      h
        .published('out')
        .filter((o) => o.key === 'a')
        .map((o) => (o.value as { value: number }).value),
    ).toEqual([1, -1, 3, 5, 7]);
    await h.close();
  });

  it('costs one process() call when nothing fails, and re-runs record by record only on a throw', async () => {
    fixed = false;
    const h = createHarness(ordered());
    calls = 0;
    await h.invoke([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    expect(calls).toBe(1);
    calls = 0;
    await h.invoke([
      { key: 'a', value: 1 },
      { key: 'b', value: -2 },
      { key: 'c', value: 2 },
    ]);
    expect(calls).toBe(4); // the batch, then each of its three records
    expect(await h.state()).toMatchObject({ 'seen/a': [1, 1], 'seen/c': [2] });
  });

  it('quarantines an undecodable record (terminal) and a record without a key only by itself', async () => {
    fixed = false;
    const h = createHarness(ordered());
    await h.invoke([
      { key: null, value: -1 },
      { key: null, value: 4 },
      { key: 'x', rawValue: Buffer.from('{not json') },
      { key: 'x', value: 1 },
    ]);
    expect((await h.state())['seen/(none)']).toEqual([4]);
    expect((await h.quarantine()).map((r) => [r.offset, r.reason])).toEqual([
      [0, 'failed'],
      [2, 'failed'],
      [3, 'behind'],
    ]);
    expect((await h.quarantine())[1]!.error).toContain('cannot decode the value');
  });

  it('retries (fails the batch) on errors that are not terminal', async () => {
    let throwPlain = true;
    const flaky = defineFunction({
      name: 'flaky',
      source: { topic: 'events', value: serde.string() },
      onError: 'quarantine-key',
      process() {
        if (throwPlain) throw new Error('database unavailable');
      },
    });
    const h = createHarness(flaky);
    await expect(h.invoke([{ key: 'a', value: 'x' }])).rejects.toThrow('database unavailable');
    expect(await h.quarantine()).toEqual([]);
    throwPlain = false;
    await h.retry();
    expect((await h.checkpoint())?.next).toBe(1);
  });

  it('treats errors isTerminal() names as terminal', async () => {
    const f = defineFunction({
      name: 'validating',
      source: { topic: 'events', value: serde.string() },
      onError: 'quarantine-key',
      quarantine: { isTerminal: (e) => e instanceof RangeError },
      process(batch) {
        for (const r of batch.records) if (r.value === 'bad') throw new RangeError('out of range');
      },
    });
    const h = createHarness(f);
    await h.invoke([
      { key: 'a', value: 'bad' },
      { key: 'b', value: 'ok' },
    ]);
    expect((await h.quarantine()).map((r) => r.offset)).toEqual([0]);
  });

  it('fails the batch with a clear error when the quarantine is full, and flows again after a drop', async () => {
    fixed = false;
    const h = createHarness(ordered({ maxRecords: 2 }));
    await h.invoke([
      { key: 'a', value: -1 },
      { key: 'a', value: 2 },
    ]);
    const error = await h.invoke([{ key: 'a', value: 3 }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SluiceError);
    expect((error as SluiceError).message).toMatch(/quarantine\.maxRecords \(2\).*sluice quarantine ordered/);
    expect((error as { failures: Array<{ error: unknown }> }).failures[0]!.error).toBeInstanceOf(
      QuarantineFullError,
    );
    const dropped = await h.dropQuarantine(0, 'a');
    expect(dropped.offsets).toEqual([0, 1]);
    await h.retry();
    expect((await h.state())['seen/a']).toEqual([3]);
    expect(await h.quarantine()).toEqual([]);
  });

  it('replays and drops are conditional commits that keep the pending outbox and offsets', async () => {
    fixed = false;
    const h = createHarness(ordered());
    h.failAt('after-commit');
    await expect(
      h.invoke([
        { key: 'a', value: -1 },
        { key: 'b', value: 1 },
      ]),
    ).rejects.toThrow('after-commit');
    const before = await h.checkpoint();
    expect(before?.outbox?.messages).toHaveLength(2);
    await h.dropQuarantine();
    const after = await h.checkpoint();
    expect(after?.version).toBe(before!.version + 1);
    expect(after?.next).toBe(before!.next);
    expect(after?.outbox).toEqual(before!.outbox);
    await h.retry(); // the batch is applied; its outbox is flushed
    expect(h.published('out')).toHaveLength(1);
  });
});

describe('replays that fail again, and records too big for the quarantine topic', () => {
  it('parks a replayed record that fails again, with its key behind it, without publishing it twice', async () => {
    fixed = false;
    const h = createHarness(ordered());
    await h.invoke([
      { key: 'a', value: -1 },
      { key: 'a', value: 2 },
    ]);
    await h.replayQuarantine(0, 'a'); // no fix deployed: it fails again
    await h.invoke([
      { key: 'a', value: 3 },
      { key: 'b', value: 1 },
    ]);
    expect((await h.quarantine()).map((r) => [r.offset, r.reason, r.status])).toEqual([
      [0, 'failed', 'quarantined'],
      [1, 'behind', 'quarantined'],
      [2, 'behind', 'quarantined'],
    ]);
    expect((await h.state())['seen/b']).toEqual([1]);
    const onTopic = h.broker.published.filter((m) => m.sink === QUARANTINE_SINK);
    expect(onTopic.map((m) => Buffer.from(m.value!, 'base64').toString())).toEqual(['-1', '2', '3']);
  });

  it("publishes a record over the quarantine topic's max.message.bytes without its value; the state keeps it", async () => {
    fixed = false;
    const h = createHarness(ordered());
    h.broker.limits.set('events.quarantine', { maxMessageBytes: 600 });
    // JSON reads it as -Infinity: negative, so poison.
    await h.invoke([{ key: 'a', rawValue: Buffer.from(`-${'9'.repeat(800)}`) }]);
    const [message] = h.broker.published.filter((m) => m.sink === QUARANTINE_SINK);
    expect(message!.value).toBeNull();
    const headers = Object.fromEntries(
      message!.headers!.map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    expect(headers[QUARANTINE_HEADERS.valueOmitted]).toBe('801');
    expect(Buffer.from((await h.quarantine())[0]!.value!, 'base64').toString()).toHaveLength(801);
  });
});

describe('quarantine commands and rewinds', () => {
  it('keep the epoch and last applied record of a rewound checkpoint (a replay is not a rewind)', async () => {
    fixed = false;
    const h = createHarness(ordered());
    await h.invoke([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    await h.rewind({ kind: 'offsets', offsets: new Map([[0, 0]]), label: 'earliest' });
    await h.invoke([
      { key: 'a', value: 1, offset: 0 },
      { key: 'b', value: -2, offset: 1 },
    ]);
    const before = await h.checkpoint();
    expect(before?.epoch).toBe(1);
    await h.replayQuarantine(0, 'b');
    const after = await h.checkpoint();
    expect(after).toMatchObject({ epoch: before!.epoch, last: before!.last, next: before!.next });
    expect(after?.commitId).not.toBe(before!.commitId);
    fixed = true;
    await h.invoke([{ key: 'c', value: 3, offset: 2 }]);
    expect(await h.state()).toEqual({ 'seen/a': [1], 'seen/b': [-2], 'seen/c': [3] });
  });
});

describe('defineFunction validation of onError and quarantine', () => {
  const base = { name: 'f', source: { topic: 't', value: serde.string() }, process() {} };
  it('rejects quarantine options without the policy, unknown options and a bad bound', () => {
    expect(() => defineFunction({ ...base, quarantine: { topic: 'q' } })).toThrow(ConfigError);
    expect(() => defineFunction({ ...base, quarantine: { topic: 'q' } })).toThrow(
      /onError: 'quarantine-key'/,
    );
    expect(() => defineFunction({ ...base, onError: 'skip' as never })).toThrow(/onError must be/);
    expect(() =>
      defineFunction({ ...base, onError: 'quarantine-key', quarantine: { topics: 'x' } as never }),
    ).toThrow(/unknown option "topics"/);
    expect(() =>
      defineFunction({ ...base, onError: 'quarantine-key', quarantine: { maxRecords: 0 } }),
    ).toThrow(/maxRecords/);
    expect(() => defineFunction({ ...base, onError: 'quarantine-key', quarantine: { topic: 't' } })).toThrow(
      /cannot be the source topic/,
    );
  });
  it('defaults the quarantine topic to <source>.quarantine', () => {
    const h = defineFunction({ ...base, onError: 'quarantine-key' });
    expect(h.definition.sinks[QUARANTINE_SINK]?.target).toBe('t.quarantine');
    expect(h.definition.quarantine?.maxRecords).toBe(1000);
    const own = defineFunction({ ...base, onError: 'quarantine-key', quarantine: { topic: 'dead' } });
    expect(own.definition.sinks[QUARANTINE_SINK]?.target).toBe('dead');
  });
});
