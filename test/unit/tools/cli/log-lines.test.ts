import { describe, expect, it } from 'vitest';
import { isEmfLine, parseLogLine, readableLogLine } from '../../../../tools/cli/log-lines';
import { createStyle } from '../../../../tools/cli/style';

const plain = createStyle({ write() {}, isTTY: false }, {});
const colored = createStyle({ write() {}, isTTY: true }, {});

describe('function log lines in a terminal', () => {
  it('print level, function, partition and message, then the other fields', () => {
    const line = JSON.stringify({
      level: 'info',
      message: 'Sluice says: hello',
      requestId: 'c0ffee',
      fn: 'prefix',
      task: 'prefix/test-2',
      sink: 'out',
      partition: 2,
      time: '2026-12-01T12:04:05.123Z',
    });
    expect(readableLogLine(line, 'prefix', plain)).toBe(
      '12:04:05.123 INFO  prefix p2  Sluice says: hello  sink=out',
    );
  });

  it('take the partition from the task, the function from the emulator, and show values as JSON', () => {
    const line = JSON.stringify({
      level: 'warn',
      message: 'offset gap',
      task: 'word-count/test-11',
      expected: 3,
      detail: { a: 1 },
      time: '2026-12-01T00:00:00.000Z',
    });
    expect(readableLogLine(line, 'word-count', plain)).toBe(
      '00:00:00.000 WARN  word-count p11  offset gap  expected=3 detail={"a":1}',
    );
    expect(readableLogLine(line, 'word-count', colored)).toContain('\u001b[33mWARN \u001b[39m');
  });

  it('read the partition from either spelling of a task', () => {
    const line = JSON.stringify({ level: 'info', message: 'gap', task: 'prefix/test/1', time: 'T' });
    expect(readableLogLine(line, 'prefix', plain)).toContain('prefix p1  gap');
  });

  it('leave other lines as they are', () => {
    for (const line of ['hello from console.log', '{"not":"a log line"}', '{broken', '[1,2]']) {
      expect(readableLogLine(line, 'f', plain)).toBe(line);
      expect(parseLogLine(line)).toBeNull();
    }
  });

  it('tell EMF metric lines apart', () => {
    expect(isEmfLine('{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"x":1}')).toBe(true);
    expect(isEmfLine('{"level":"info","message":"_aws"}')).toBe(false);
  });
});
