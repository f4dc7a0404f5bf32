// Aligned text tables and bars for the terminal. Cells may hold peer-supplied text (user
// agents, AS names): control characters are replaced so a peer cannot drive the terminal.

export interface Column {
  header: string
  align?: 'left' | 'right'
  /** Longer cells are cut with '…'. */
  maxWidth?: number
}

/** Control characters (C0, DEL, C1) shown as '?'. */
export function printable (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
}

function fit (text: string, maxWidth: number | undefined): string {
  const clean = printable(text)
  return maxWidth !== undefined && clean.length > maxWidth ? `${clean.slice(0, maxWidth - 1)}…` : clean
}

/** Header, then one line per row; columns separated by two spaces, no trailing blanks. */
export function renderTable (columns: readonly Column[], rows: ReadonlyArray<readonly string[]>): string {
  const cells = rows.map((row) => columns.map((c, i) => fit(row[i] ?? '', c.maxWidth)))
  // A loop, not Math.max(...cells): spreading a list of 100k+ rows overflows the stack.
  const widths = columns.map((c) => c.header.length)
  for (const row of cells) for (let i = 0; i < row.length; i++) if (row[i].length > widths[i]) widths[i] = row[i].length
  const line = (row: readonly string[]): string =>
    row.map((cell, i) => (columns[i].align === 'right' ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd()
  return [line(columns.map((c) => c.header)), ...cells.map(line)].map((l) => `${l}\n`).join('')
}

/** A horizontal bar of `fraction` (0..1) of `width` cells, in eighths. */
export function bar (fraction: number, width: number): string {
  const eighths = Math.round(Math.max(0, Math.min(1, fraction)) * width * 8)
  const partial = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'][eighths % 8]
  return '█'.repeat(Math.floor(eighths / 8)) + partial
}
