import { visibleLength } from './style';

export interface Column<Row> {
  header: string;
  value(row: Row): string | number | null | undefined;
  /** numbers align right by default */
  align?: 'left' | 'right';
}

/**
 * An aligned plain-text table: a header line, then one line per row, columns separated by two
 * spaces, no trailing blanks. Null/undefined cells print as `-`.
 *
 * @example
 * formatTable([{ topic: 'test', partitions: 4 }], [
 *   { header: 'TOPIC', value: (r) => r.topic },
 *   { header: 'PARTITIONS', value: (r) => r.partitions },
 * ]);
 * // TOPIC  PARTITIONS
 * // test            4
 */
export function formatTable<Row>(rows: readonly Row[], columns: ReadonlyArray<Column<Row>>): string {
  const cells = rows.map((row) => columns.map((column) => column.value(row)));
  const align = columns.map(
    (column, i) =>
      column.align ?? (cells.length > 0 && cells.every((r) => typeof r[i] === 'number') ? 'right' : 'left'),
  );
  const text = cells.map((row) =>
    row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))),
  );
  const widths = columns.map((column, i) =>
    Math.max(visibleLength(column.header), ...text.map((row) => visibleLength(row[i]!))),
  );
  const line = (values: string[]) =>
    values
      .map((value, i) => {
        const pad = ' '.repeat(widths[i]! - visibleLength(value));
        return align[i] === 'right' ? pad + value : value + pad;
      })
      .join('  ')
      .trimEnd();
  return `${[line(columns.map((c) => c.header)), ...text.map(line)].join('\n')}\n`;
}
