import { describe, expect, it } from 'vitest';
import { createStyle, visibleLength } from '../../../../tools/cli/style';
import { formatTable } from '../../../../tools/cli/table';

describe('formatTable', () => {
  const columns = [
    { header: 'TOPIC', value: (r: { topic: string; n: number | null }) => r.topic },
    { header: 'N', value: (r: { topic: string; n: number | null }) => r.n },
  ];

  it('aligns text left and numbers right, with no trailing blanks', () => {
    const text = formatTable(
      [
        { topic: 'test', n: 4 },
        { topic: 'word-counts', n: 12 },
      ],
      columns,
    );
    expect(text).toBe(['TOPIC         N', 'test          4', 'word-counts  12', ''].join('\n'));
  });

  it('prints - for missing cells, and a header alone for no rows', () => {
    expect(formatTable([{ topic: 'a', n: null }], columns)).toBe('TOPIC  N\na      -\n');
    expect(formatTable([], columns)).toBe('TOPIC  N\n');
  });

  it('measures colored cells by what shows', () => {
    const style = createStyle({ isTTY: true, write() {} }, {});
    const text = formatTable([{ topic: style.green('ok'), n: 1 }], columns);
    expect(text.split('\n').map(visibleLength)).toEqual([8, 8, 0]);
  });
});

describe('createStyle', () => {
  it('colors only a terminal, and never with NO_COLOR', () => {
    expect(createStyle({ isTTY: true, write() {} }, {}).red('x')).toBe('\u001b[31mx\u001b[39m');
    expect(createStyle({ isTTY: false, write() {} }, {}).red('x')).toBe('x');
    expect(createStyle({ isTTY: true, write() {} }, { NO_COLOR: '1' }).red('x')).toBe('x');
  });
});
