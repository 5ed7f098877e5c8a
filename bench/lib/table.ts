/** A table of results: printed as aligned text on the terminal, as Markdown in BENCHMARKS.md. */
export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  /** per column, `l` or `r` (default: the first column left, the others right) */
  align?: Array<'l' | 'r'>;
}

export function renderTable(table: Table): string {
  const widths = table.columns.map((column, i) =>
    Math.max(column.length, ...table.rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        (table.align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'l'
          ? cell.padEnd(widths[i]!)
          : cell.padStart(widths[i]!),
      )
      .join('  ')
      .trimEnd();
  return [
    table.title,
    line(table.columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...table.rows.map((row) => line(row)),
  ].join('\n');
}

export function markdownTable(table: Table): string {
  const cellText = (cell: string) => cell.replaceAll('|', '\\|');
  const align = table.columns.map((_, i) =>
    (table.align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'l' ? ':---' : '---:',
  );
  return [
    `| ${table.columns.map(cellText).join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(cellText).join(' | ')} |`),
  ].join('\n');
}
