import { expect, it } from 'vitest';
import { logSink, serde } from '../../../lib';
import { noFaults } from '../../../lib/core/faults';
import { createLogger } from '../../../lib/core/log';
import { createLogPublisher } from '../../../lib/sink/log-publisher';

it('prints each output with its sink prefix, marking outputs recovered at a cold start', async () => {
  const lines: string[] = [];
  const publisher = createLogPublisher(createLogger({ level: 'info', write: (line) => lines.push(line) }));
  const sinks = { out: logSink({ prefix: 'Sluice says: ' }), json: logSink({ value: serde.json() }) };
  const task = { fn: 'prefix', topic: 'test', partition: 2 };
  const messages = [
    { sink: 'out', key: null, value: Buffer.from('hello').toString('base64') },
    { sink: 'json', key: null, value: Buffer.from('{"a":1}').toString('base64') },
  ];
  const outbox = { firstOffset: 0, endOffset: 1, messages };
  await publisher.publish({ namespace: 'test', task, outbox, messages, sinks, faults: noFaults });
  await publisher.publish({
    namespace: 'test',
    task,
    outbox,
    messages: messages.slice(0, 1),
    sinks,
    faults: noFaults,
    recovery: true,
  });
  const parsed = lines.map((l) => JSON.parse(l));
  expect(parsed.map((p) => [p.message, p.partition, p.redelivered])).toEqual([
    ['Sluice says: hello', 2, undefined],
    ['{"a":1}', 2, undefined],
    ['Sluice says: hello', 2, true],
  ]);
});
