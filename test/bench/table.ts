// One plain-text table per scenario: figure, value, target, whether the target is met.

export interface Row {
  figure: string
  value: string
  target?: string
  /** undefined: no target, or the figure could not be measured. */
  met?: boolean
}

export function formatTable (title: string, rows: readonly Row[], notes: readonly string[] = []): string {
  const header: [string, string, string, string] = ['figure', 'value', 'target', '']
  const cells = rows.map((r): [string, string, string, string] => [r.figure, r.value, r.target ?? '', r.met === undefined ? '' : r.met ? 'met' : 'MISSED'])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const line = (c: readonly string[]): string => c.map((text, i) => text.padEnd(widths[i])).join('  ').trimEnd()
  return [
    `== ${title}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
    ...notes.map((n) => `note: ${n}`)
  ].join('\n') + '\n'
}

export function formatMs (ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`
  return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`
}

export function formatPercent (fraction: number): string {
  return `${(fraction * 100).toFixed(fraction === 1 ? 0 : 2)}%`
}
