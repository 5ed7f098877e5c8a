/**
 * onError: 'quarantine-key' on the real parts: the Kafka publisher on the real broker (outputs and
 * quarantined records in one Kafka transaction per batch, read back read_committed by kcat) and
 * the aws store (DynamoDB Local + moto) holding the quarantine in the state. A poison record and
 * an undecodable one are parked with their keys' later records while the other keys flow; each
 * lands on the quarantine topic exactly once, with its bytes, headers, offset, timestamp and
 * error, even when the publish crashes midway; after a fix, a replay applies them in order
 * before the key's newer records.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defineFunction, kafkaSink, serde, state, TerminalError } from '../../../lib';
import { QUARANTINE_HEADERS } from '../../../lib/checkpoint/quarantine-message';
import { readWithKcat } from '../../chaos/readers';
import { type ChaosEnv, closeChaosEnv, openChaosEnv, startProcess } from '../chaos/setup';
import { uniqueName } from '../helpers/unique-name';

let env: ChaosEnv;
beforeAll(async () => {
  env = await openChaosEnv();
});
afterAll(() => closeChaosEnv(env));

const fix = { deployed: false };

function orders(names: { fn: string; source: string; sink: string; quarantine: string }) {
  return defineFunction({
    name: names.fn,
    source: { topic: names.source, key: serde.string(), value: serde.json<{ amount: number | null }>() },
    state: { totals: state.map<number>() },
    sinks: { totals: kafkaSink({ topic: names.sink, value: serde.json<{ key: string; total: number }>() }) },
    onError: 'quarantine-key',
    quarantine: { topic: names.quarantine },
    process(batch, { state, emit }) {
      for (const r of batch.records) {
        if (r.value.amount === null && !fix.deployed) throw new TerminalError(`order ${r.key} has no amount`);
        const total = (state.totals.get(r.key) ?? 0) + (r.value.amount ?? 0);
        state.totals.set(r.key, total);
        emit.totals({ key: r.key, value: { key: r.key, total } });
      }
    },
  });
}

/** kcat read_committed with headers: `key \t value \t headers` per record. */
async function readWithHeaders(
  topic: string,
): Promise<Array<{ key: string; value: string; headers: string }>> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      'kcat',
      [
        '-C',
        '-b',
        env.brokers,
        '-t',
        topic,
        '-o',
        'beginning',
        '-e',
        '-q',
        '-X',
        'isolation.level=read_committed',
        '-f',
        '%k\\t%s\\t%h\\n',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`kcat exited with ${code}`))));
  });
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [key, value, headers] = line.split('\t');
      return { key: key!, value: value!, headers: headers ?? '' };
    });
}

it('parks poison and undecodable records with their keys on the real broker and aws store, publishes each once, replays in order', async () => {
  const source = uniqueName('q-src');
  const sink = uniqueName('q-out');
  const quarantine = `${source}.quarantine`;
  const admin = env.kafka.admin();
  await admin.createTopic(source, { partitions: 1 });
  await admin.createTopic(sink, { partitions: 2 });
  await admin.createTopic(quarantine, { partitions: 1 });
  await admin.disconnect();
  env.topics.push(source, sink, quarantine);
  fix.deployed = false;
  const handler = orders({ fn: `q-${source.slice(-8)}`, source, sink, quarantine });
  const { harness: h, abandon } = startProcess(env, handler);

  // A crash midway through publishing the first batch's transaction: the retry publishes it once.
  h.failAt('mid-publish');
  const first = [
    { key: 'a', value: { amount: 1 } },
    { key: 'b', value: { amount: null }, headers: [{ key: 'trace', value: Buffer.from('t-1') }] },
    { key: 'c', rawValue: Buffer.from('{not json') },
    { key: 'b', value: { amount: 5 } },
    { key: 'a', value: { amount: 2 } },
  ];
  await expect(h.invoke(first)).rejects.toThrow('injected fault at mid-publish');
  await h.retry();
  await h.invoke([
    { key: 'c', value: { amount: 3 } },
    { key: 'a', value: { amount: 4 } },
  ]);

  expect(await h.state()).toMatchObject({ 'totals/a': 7 });
  expect((await h.state())['totals/b']).toBeUndefined();
  expect((await h.quarantine()).map((r) => [r.offset, r.reason])).toEqual([
    [1, 'failed'],
    [2, 'failed'],
    [3, 'behind'],
    [5, 'behind'],
  ]);

  const parked = await readWithHeaders(quarantine);
  expect(parked.map((r) => [r.key, r.value])).toEqual([
    ['b', '{"amount":null}'],
    ['c', '{not json'],
    ['b', '{"amount":5}'],
    ['c', '{"amount":3}'],
  ]);
  expect(parked[0]!.headers).toContain('trace=t-1');
  expect(parked[0]!.headers).toContain(`${QUARANTINE_HEADERS.error}=order b has no amount`);
  expect(parked[0]!.headers).toContain(`${QUARANTINE_HEADERS.offset}=1`);
  expect(parked[0]!.headers).toContain(`${QUARANTINE_HEADERS.timestamp}=1700000000001`);
  expect(parked[1]!.headers).toContain('cannot decode the value');
  expect((await readWithKcat(env.brokers, sink)).map((r) => r.value)).toEqual([
    '{"key":"a","total":1}',
    '{"key":"a","total":3}',
    '{"key":"a","total":7}',
  ]);

  // The fix: b's records run in order, before b's next record; c's undecodable one is dropped.
  fix.deployed = true;
  expect((await h.dropQuarantine(0, 'c')).offsets).toEqual([2, 5]);
  expect((await h.replayQuarantine(0, 'b')).offsets).toEqual([1, 3]);
  await h.invoke([{ key: 'b', value: { amount: 10 } }]);
  expect(await h.quarantine()).toEqual([]);
  expect(await h.state()).toEqual({ 'totals/a': 7, 'totals/b': 15 });
  const totals = (await readWithKcat(env.brokers, sink)).map((r) => r.value);
  expect(totals.filter((v) => v.includes('"b"'))).toEqual([
    '{"key":"b","total":0}',
    '{"key":"b","total":5}',
    '{"key":"b","total":15}',
  ]);
  // Nothing more went to the quarantine topic: each parked record once.
  expect(await readWithHeaders(quarantine)).toHaveLength(4);
  await abandon();
  await h.close();
});
