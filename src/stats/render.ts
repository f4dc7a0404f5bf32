// `peers stats` as text: one section per table. On a terminal every table gets a bar column
// (each bar against the table's largest row, so the tables stay comparable within
// themselves); piped output and --json stay plain.
import { bar, renderTable, type Column } from '../cli/table.js'
import type { NetworkStats, TopRows } from './stats.js'

const BAR_WIDTH = 24

function percent (share: number): string {
  return `${share.toFixed(1)}%`
}

export interface RenderOptions {
  /** Bars only on a terminal. */
  tty: boolean
}

/** A table whose last two columns are peers and share, with a bar column on a terminal. Rows carry their share for the bar (undefined: no bar). */
function table (columns: Column[], rows: Array<{ cells: string[], share?: number }>, options: RenderOptions): string {
  const max = rows.reduce((m, r) => Math.max(m, r.share ?? 0), 0)
  const withBar = options.tty ? [...columns, { header: '' }] : columns
  const cells = rows.map((r) => options.tty && r.share !== undefined && max > 0 ? [...r.cells, bar(r.share / max, BAR_WIDTH)] : r.cells)
  return renderTable(withBar, cells)
}

/** The "(N other …)" row: label in column `labelColumn`, then peers and share as the last two columns. No bar: it is not one group. */
function restRow<Row> (rows: TopRows<Row>, label: string, width: number, labelColumn = 0): Array<{ cells: string[] }> {
  if (rows.rest.groups === 0) return []
  const row = new Array<string>(width - 2).fill('')
  row[labelColumn] = `(${rows.rest.groups} other ${label})`
  return [{ cells: [...row, String(rows.rest.count), percent(rows.rest.share)] }]
}

const PEERS: Column = { header: 'peers', align: 'right' }
const SHARE: Column = { header: 'share', align: 'right' }

function countTable (title: string, header: string, rows: Array<{ key: string, count: number, share: number }>, options: RenderOptions, extra: Array<{ cells: string[] }> = []): string {
  const columns: Column[] = [{ header, maxWidth: 60 }, PEERS, SHARE]
  return `${title}\n${table(columns, [...rows.map((r) => ({ cells: [r.key, String(r.count), percent(r.share)], share: r.share })), ...extra], options)}`
}

export function renderStats (s: NetworkStats, options: RenderOptions): string {
  const sections: string[] = [`${s.network}: ${s.reachable} reachable peers\n`]
  if (s.reachable === 0) return sections[0]

  sections.push(countTable('By address type', 'type', s.byType, options))

  const asColumns: Column[] = [{ header: 'AS', align: 'right' }, { header: 'organisation', maxWidth: 40 }, PEERS, SHARE]
  const asRows: Array<{ cells: string[], share?: number }> = s.byAsn.top.map((r) => ({ cells: [`AS${r.asn}`, r.org ?? '', String(r.count), percent(r.share)], share: r.share }))
  asRows.push(...restRow(s.byAsn, 'ASes', 4, 1))
  if (s.byAsn.unknown > 0) asRows.push({ cells: ['AS?', 'unknown', String(s.byAsn.unknown), percent(s.byAsn.unknownShare)] })
  const asHeading = s.byAsn.distinct === 0 ? 'By autonomous system (none known: see `peers asn build`)' : `By autonomous system (top ${s.byAsn.top.length} of ${s.byAsn.distinct})`
  sections.push(`${asHeading}\n${table(asColumns, asRows, options)}`)

  const c = s.concentration
  sections.push(c.ases === null
    ? `AS concentration: the known ASes host ${percent(c.share)}, less than half of the reachable peers (${s.byAsn.unknown} have no known AS)\n`
    : `AS concentration: ${c.ases} AS${c.ases === 1 ? '' : 'es'} host at least half of the reachable peers (${percent(c.share)}): ${c.members.map((m) => `AS${m.asn}`).join(', ')}\n`)

  const countryColumns: Column[] = [{ header: 'country' }, { header: 'name', maxWidth: 40 }, PEERS, SHARE]
  const countryRows: Array<{ cells: string[], share?: number }> = s.byCountry.top.map((r) => ({ cells: [r.key, r.name, String(r.count), percent(r.share)], share: r.share }))
  countryRows.push(...restRow(s.byCountry, 'countries', 4, 1))
  const ofAll = (n: number): string => percent(s.reachable === 0 ? 0 : (n * 100) / s.reachable)
  if (s.byCountry.unknown > 0) countryRows.push({ cells: ['??', 'unknown (not in the geo database)', String(s.byCountry.unknown), ofAll(s.byCountry.unknown)] })
  if (s.byCountry.noCountry > 0) countryRows.push({ cells: ['--', 'none (onion, I2P, CJDNS: no country)', String(s.byCountry.noCountry), ofAll(s.byCountry.noCountry)] })
  const countryHeading = s.byCountry.distinct === 0 ? 'By country (none known: no geo database, or no IP peers)' : `By country (top ${s.byCountry.top.length} of ${s.byCountry.distinct})`
  sections.push(`${countryHeading}\n${table(countryColumns, countryRows, options)}`)
  const cc = s.countryConcentration
  if (s.byCountry.distinct > 0) {
    sections.push(cc.groups === null
      ? `Country concentration: the located peers are ${percent(cc.share)}, less than half of the reachable peers\n`
      : `Country concentration: ${cc.groups} countr${cc.groups === 1 ? 'y hosts' : 'ies host'} at least half of the reachable peers (${percent(cc.share)}): ${cc.members.map((m) => m.key).join(', ')}\n`)
  }

  sections.push(countTable('By user agent', 'user agent', s.byUserAgent.top, options, restRow(s.byUserAgent, 'agents', 3)))
  sections.push(countTable('By protocol version', 'version', s.byProtocolVersion, options))

  const serviceColumns: Column[] = [{ header: 'services' }, { header: 'hex' }, { header: 'names', maxWidth: 60 }, PEERS, SHARE]
  const serviceRows: Array<{ cells: string[], share?: number }> = s.byServices.top.map((r) => ({ cells: [r.key, r.hex, r.names.join('|'), String(r.count), percent(r.share)], share: r.share }))
  serviceRows.push(...restRow(s.byServices, 'values', 5))
  sections.push(`By services\n${table(serviceColumns, serviceRows, options)}`)

  const withUptime = s.uptime.filter((u) => u.tried > 0)
  if (withUptime.length > 0) {
    const columns: Column[] = [{ header: 'up (share of watched time)' }, ...withUptime.map((u): Column => ({ header: u.window, align: 'right' }))]
    const rows = withUptime[0].bands.map((band, i) => [band.key, ...withUptime.map((u) => `${u.bands[i].count} (${percent(u.bands[i].share)})`)])
    rows.push(['median reliability (seeds dump)', ...withUptime.map((u) => percent(u.medianPercent))])
    sections.push(`Uptime of the ${withUptime[0].tried} tried peers\n${renderTable(columns, rows)}`)
  }

  if (s.byFailure.length > 0) {
    const failureColumns: Column[] = [{ header: 'type' }, { header: 'last failure' }, { header: 'peers', align: 'right' }, { header: 'share', align: 'right' }]
    const failed = s.byFailure.reduce((sum, r) => sum + r.count, 0)
    sections.push(`Not reachable, by last failure (${failed} peers)\n${renderTable(failureColumns, s.byFailure.map((r) => [r.type, r.reason, String(r.count), percent(r.share)]))}`)
  }

  return sections.join('\n')
}
