import { expect, it } from 'vitest';
import { defineFunction, kafkaSink, serde, state, window } from '../../../lib';
import { createHarness } from '../../../lib/testing/harness';

const T0 = 1_700_000_000_000;

const reminders = defineFunction({
  name: 'reminders',
  source: { topic: 'in', key: serde.string(), value: serde.json<number>() },
  state: {
    last: state.map<number>({ ttlMs: 60_000 }),
    history: state.list<number>(),
  },
  sinks: { out: kafkaSink({ topic: 'out', value: serde.json<unknown>() }) },
  process(batch, { state, timers, time }) {
    for (const record of batch.records) {
      state.last.set(record.key, record.value);
      state.history.add(record.key, record.value);
      // Twice: one timer (deduplicated by kind, time and key).
      timers.registerEventTime(record.key, time.at(record).eventTime + 100);
      timers.registerEventTime(record.key, time.at(record).eventTime + 100);
      timers.registerProcessingTime(record.key, time.now + 30_000);
    }
  },
  onTimer(timer, { emit, state }) {
    emit.out({ key: timer.key, value: { ...timer, history: state.history.get(timer.key) } });
  },
});

it('deduplicates timers, fires event-time ones when the watermark passes and processing-time ones in the tick', async () => {
  let now = T0;
  const h = createHarness(reminders, { now: () => now });
  await h.invoke([{ key: 'a', value: 1, timestamp: T0 }]);
  const timers = Object.keys(await h.state())
    .filter((k) => k.startsWith('$timer/'))
    .sort();
  expect(timers).toEqual([
    `$timer/e/000${T0 + 100}/user/a`,
    `$timer/p/000${T0 + 30_000}/user/a`,
    `$timer/p/000${T0 + 60_000}/ttl:last/last/a`,
  ]);
  expect(h.published()).toEqual([]);
  await h.invoke([{ key: 'b', value: 2, timestamp: T0 + 100 }]); // watermark (grace 0) reaches a's timer
  expect(h.published().map((m) => m.value)).toEqual([
    { kind: 'event', key: 'a', time: T0 + 100, history: [1] },
  ]);
  now += 31_000;
  const report = await h.flush();
  expect(report).toMatchObject({ tick: { committed: 1 } });
  expect(h.published().map((m) => (m.value as { kind: string }).kind)).toEqual([
    'event',
    'processing',
    'processing',
  ]);
  // Another tick finds nothing due: no commit.
  const version = (await h.checkpoint())?.version;
  await h.flush();
  expect((await h.checkpoint())?.version).toBe(version);
});

it('expires TTL entries: reads stop returning them at once, and a timer removes them (a changed key)', async () => {
  let now = T0;
  const h = createHarness(reminders, { now: () => now });
  await h.invoke([{ key: 'a', value: 1, timestamp: T0 }]);
  expect((await h.state())['last/a']).toEqual({ $v: 1, $x: T0 + 60_000 });
  now += 30_000;
  await h.invoke([{ key: 'a', value: 2, timestamp: T0 + 1 }]); // written again: expiry moves
  expect(Object.keys(await h.state()).filter((k) => k.includes('ttl:'))).toEqual([
    `$timer/p/000${T0 + 90_000}/ttl:last/last/a`,
  ]);
  now += 61_000;
  await h.flush();
  const after = await h.state();
  expect(after['last/a']).toBeUndefined();
  expect(after['history/a']).toEqual([1, 2]); // no TTL on the list
});

it('keeps list state per key', async () => {
  const lists = defineFunction({
    name: 'lists',
    source: { topic: 'in', key: serde.string(), value: serde.json<number>() },
    state: { xs: state.list<number>() },
    process(batch, { state }) {
      for (const r of batch.records) {
        if (r.value < 0) state.xs.clear(r.key);
        else if (r.value === 0) state.xs.update(r.key, [0]);
        else state.xs.addAll(r.key, [r.value, r.value]);
      }
    },
  });
  const h = createHarness(lists);
  await h.invoke([
    { key: 'a', value: 1 },
    { key: 'b', value: 2 },
    { key: 'a', value: 3 },
    { key: 'b', value: -1 },
    { key: 'c', value: 0 },
  ]);
  expect(await h.state()).toEqual({ 'xs/a': [1, 1, 3, 3], 'xs/c': [0] });
});

it('closes the last window of an idle partition with the tick when time.idleAdvanceMs is set', async () => {
  let now = T0;
  const counts = defineFunction({
    name: 'counts',
    source: { topic: 'in', key: serde.string(), value: serde.string() },
    time: { graceMs: 1_000, idleAdvanceMs: 5_000 },
    windows: { perKey: window.tumbling({ sizeMs: 10_000, sink: 'out' }).count() },
    sinks: { out: kafkaSink({ topic: 'out', value: serde.json<unknown>() }) },
    process(batch, { windows }) {
      for (const r of batch.records) windows.perKey.add(r);
    },
  });
  const h = createHarness(counts, { now: () => now });
  await h.invoke([
    { key: 'a', value: 'x', timestamp: T0 + 1 },
    { key: 'a', value: 'x', timestamp: T0 + 2 },
  ]);
  now += 10_000;
  await h.flush(); // stream time moves to now - 5 s: the window [T0, T0 + 10 s) is not closed yet
  expect(h.published()).toEqual([]);
  now += 10_000;
  await h.flush();
  expect(h.published().map((m) => m.value)).toEqual([
    { key: 'a', start: T0, end: T0 + 10_000, value: 2, final: true },
  ]);
  expect(
    Object.keys(await h.state()).filter((k) => k.startsWith('$window/') || k.startsWith('$timer/')),
  ).toEqual([]);
});

it('commits only the timers that changed, however many are registered', async () => {
  const many = defineFunction({
    name: 'many',
    source: { topic: 'in', key: serde.string(), value: serde.json<number>() },
    sinks: { out: kafkaSink({ topic: 'out', value: serde.json<unknown>() }) },
    process(batch, { timers, time }) {
      for (const r of batch.records) {
        const n = r.value;
        for (let i = 0; i < n; i++)
          timers.registerEventTime(`k${r.offset}-${i}`, time.at(r).eventTime + 1_000_000 + i);
      }
    },
    onTimer() {},
  });
  const h = createHarness(many);
  await h.invoke([{ key: 'a', value: 20_000 }]);
  const before = h.committedOutboxes.length;
  const bytes: number[] = [];
  const store = h.store;
  const commit = store.commit.bind(store);
  store.commit = async (request) => {
    bytes.push(JSON.stringify(request.delta).length);
    return commit(request);
  };
  await h.invoke([{ key: 'a', value: 1 }]);
  expect(h.committedOutboxes.length).toBe(before);
  // One new timer and the stream time: not the 20 000 registered before.
  expect(bytes[0]).toBeLessThan(300);
});
