import { describe, expect, it } from 'vitest';
import { defineFunction, logSink, serde } from '../../../lib';
import { createLogger } from '../../../lib/core/log';
import { createHarness } from '../../../lib/testing/harness';

const echo = defineFunction({
  name: 'echo',
  source: { topic: 'lines', value: serde.string() },
  sinks: { out: logSink({ value: serde.string() }) },
  process(batch, { emit, log }) {
    for (const record of batch.records) {
      log.info('user line', { offset: record.offset });
      emit.out({ value: record.value });
    }
  },
});

describe('structured logs', () => {
  it('carry the Lambda request id, the function and the task on every line, per partition', async () => {
    const lines: string[] = [];
    const h = createHarness(echo, {
      log: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
    });
    await h.invoke([{ value: 'a' }, { partition: 3, value: 'b' }], { awsRequestId: 'c0ffee' });
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.length).toBeGreaterThanOrEqual(4); // user lines, log-sink lines, batch committed
    for (const line of parsed) {
      expect(line).toMatchObject({ requestId: 'c0ffee', fn: 'echo' });
      expect(['echo/lines-0', 'echo/lines-3']).toContain(line.task);
    }
    const tasks = new Set(parsed.map((line) => line.task));
    expect(tasks).toEqual(new Set(['echo/lines-0', 'echo/lines-3']));
    expect(parsed.find((l) => l.message === 'user line' && l.task === 'echo/lines-3')).toMatchObject({
      offset: 0,
    });
    expect(parsed.filter((l) => l.message === 'batch committed').map((l) => l.task)).toEqual(
      expect.arrayContaining(['echo/lines-0', 'echo/lines-3']),
    );
    // the next invocation's lines carry its own id, none of the last one's
    lines.length = 0;
    await h.invoke([{ value: 'c' }], { awsRequestId: 'beef' });
    expect(lines.map((line) => JSON.parse(line).requestId)).toEqual(lines.map(() => 'beef'));
    expect(lines.length).toBeGreaterThan(0);
  });
});
