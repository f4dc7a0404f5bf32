// `peers stats` as text: one section per table; the AS table gets a bar column on a TTY.
import { bar, renderTable, type Column } from '../cli/table.js'
import type { CountRow, NetworkStats, TopRows } from './stats.js'

const BAR_WIDTH = 30

function percent (share: number): string {
  return `${share.toFixed(1)}%`
}

/** The "(N other …)" row: label in column `labelColumn`, then peers and share as the last two columns. */
function restRow<Row> (rows: TopRows<Row>, label: string, width: number, labelColumn = 0): string[][] {
  if (rows.rest.groups === 0) return []
  const row = new Array<string>(width - 2).fill('')
  row[labelColumn] = `(${rows.rest.groups} other ${label})`
  return [[...row, String(rows.rest.count), percent(rows.rest.share)]]
}

function countTable (title: string, header: string, rows: CountRow[], extra: string[][] = []): string {
  const columns: Column[] = [{ header, maxWidth: 60 }, { header: 'peers', align: 'right' }, { header: 'share', align: 'right' }]
  return `${title}\n${renderTable(columns, [...rows.map((r) => [r.key, String(r.count), percent(r.share)]), ...extra])}`
}

export function renderStats (s: NetworkStats, options: { tty: boolean }): string {
  const sections: string[] = [`${s.network}: ${s.reachable} reachable peers\n`]
  if (s.reachable === 0) return sections[0]

  sections.push(countTable('By address type', 'type', s.byType))

  const maxAsShare = s.byAsn.top[0]?.share ?? 0
  const asColumns: Column[] = [{ header: 'AS', align: 'right' }, { header: 'organisation', maxWidth: 40 }, { header: 'peers', align: 'right' }, { header: 'share', align: 'right' }]
  if (options.tty) asColumns.push({ header: '' })
  const asRows = s.byAsn.top.map((r) => {
    const row = [`AS${r.asn}`, r.org ?? '', String(r.count), percent(r.share)]
    if (options.tty) row.push(bar(maxAsShare === 0 ? 0 : r.share / maxAsShare, BAR_WIDTH))
    return row
  })
  asRows.push(...restRow(s.byAsn, 'ASes', 4, 1))
  if (s.byAsn.unknown > 0) asRows.push(['AS?', 'unknown', String(s.byAsn.unknown), percent(s.byAsn.unknownShare)])
  const asHeading = s.byAsn.distinct === 0 ? 'By autonomous system (none known: see `peers asn build`)' : `By autonomous system (top ${s.byAsn.top.length} of ${s.byAsn.distinct})`
  sections.push(`${asHeading}\n${renderTable(asColumns, asRows)}`)

  const c = s.concentration
  sections.push(c.ases === null
    ? `AS concentration: the known ASes host ${percent(c.share)}, less than half of the reachable peers (${s.byAsn.unknown} have no known AS)\n`
    : `AS concentration: ${c.ases} AS${c.ases === 1 ? '' : 'es'} host at least half of the reachable peers (${percent(c.share)}): ${c.members.map((m) => `AS${m.asn}`).join(', ')}\n`)

  sections.push(countTable('By user agent', 'user agent', s.byUserAgent.top, restRow(s.byUserAgent, 'agents', 3)))
  sections.push(countTable('By protocol version', 'version', s.byProtocolVersion))

  const serviceColumns: Column[] = [{ header: 'services' }, { header: 'hex' }, { header: 'names', maxWidth: 60 }, { header: 'peers', align: 'right' }, { header: 'share', align: 'right' }]
  const serviceRows = s.byServices.top.map((r) => [r.key, r.hex, r.names.join('|'), String(r.count), percent(r.share)])
  serviceRows.push(...restRow(s.byServices, 'values', 5))
  sections.push(`By services\n${renderTable(serviceColumns, serviceRows)}`)

  if (s.byFailure.length > 0) {
    const failureColumns: Column[] = [{ header: 'type' }, { header: 'last failure' }, { header: 'peers', align: 'right' }, { header: 'share', align: 'right' }]
    const failed = s.byFailure.reduce((sum, r) => sum + r.count, 0)
    sections.push(`Not reachable, by last failure (${failed} peers)\n${renderTable(failureColumns, s.byFailure.map((r) => [r.type, r.reason, String(r.count), percent(r.share)]))}`)
  }

  return sections.join('\n')
}
