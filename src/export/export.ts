// Writes one network's peers to `<outDir>/<net>/<net>-<YYYYMMDDhhmmss>.<format>` (UTC).
//   txt:  the original tool's format, reachable peers only, one per line:
//         `2.59.134.244:48333 / AS58212 / dataforest GmbH`; an unknown AS is written
//         `AS? / unknown` (and a known AS without a name `AS64500 / unknown`), so every line
//         splits on ' / ' into the same three fields.
//   json: an array of records with every stored field (country included), plus `reachable`,
//         `countryName` and the uptime figures (`uptimePercent`: sipa's reliability ×100 per
//         window; `uptimeShare`: reliability/weight ×100).
//   csv:  the same columns (RFC 4180: CRLF line ends, fields quoted when needed, objects as JSON),
//         plus one column per uptime window and figure (`uptime_30d`, `uptime_share_30d`, …).
//   an adapter's own format (AdapterExportFormat, e.g. Bitcoin's `seeds`): the adapter picks,
//         orders and formats the records itself.
// Every built-in format is sorted by address (src/store/address-order.ts).
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { AsnLookup } from '../asn/lookup.js'
import type { AdapterExportFormat, Network, StoredPeer } from '../contract.js'
import { formatEndpoint } from '../net/endpoint.js'
import { sortByAddress } from '../store/address-order.js'
import { enrichAsn } from '../asn/enrich.js'
import { countryName } from '../geo/countries.js'
import { enrichCountry } from '../geo/enrich.js'
import type { GeoLookup } from '../geo/lookup.js'
import { isReachable, type PeerRecord, type PeerStore } from '../store/types.js'
import { UPTIME_WINDOW_NAMES, uptimeFigures, uptimeValues, uptimeWindow } from '../store/uptime.js'

export const EXPORT_FORMATS = ['txt', 'json', 'csv'] as const
export type ExportFormat = typeof EXPORT_FORMATS[number]

/** A format an adapter provides, for one of its networks. */
export interface AdapterFormatChoice { name: string, network: Network, spec: AdapterExportFormat }

export interface ExportOptions {
  format: ExportFormat | AdapterFormatChoice
  outDir: string
  /** Fills asn/asOrg on the exported records (store.setAsn) before writing. */
  asn?: AsnLookup
  /** Fills `country` on the exported records (store.setCountry) before writing; the txt format does not show it. */
  geo?: GeoLookup
  /** The time in the file name (default: now). */
  now?: Date
  /** json/csv: every record, not only reachable ones (txt is always reachable peers). */
  all?: boolean
}

/** Every PeerRecord field, in column order. Typed so that a field added to PeerRecord must be added here. */
const RECORD_COLUMNS: Record<keyof PeerRecord, true> = {
  network: true,
  host: true,
  port: true,
  type: true,
  firstSeen: true,
  lastAdvertised: true,
  lastTried: true,
  lastSuccess: true,
  successes: true,
  failures: true,
  lastFailure: true,
  lastFailureDetail: true,
  skipped: true,
  services: true,
  protocolVersion: true,
  userAgent: true,
  startHeight: true,
  relay: true,
  connectMs: true,
  handshakeMs: true,
  addressesGiven: true,
  advertisements: true,
  advertisedTime: true,
  advertisedServices: true,
  answer: true,
  lastAnswered: true,
  oversizedAddrMessages: true,
  lastOversizedCount: true,
  uptime: true,
  country: true,
  consecutiveFailures: true,
  asn: true,
  asOrg: true,
  extra: true
}
const UPTIME_COLUMNS = [...UPTIME_WINDOW_NAMES.map((w) => `uptime_${w}`), ...UPTIME_WINDOW_NAMES.map((w) => `uptime_share_${w}`)]
/** Stored fields, plus derived ones: `reachable` first, the country's English name, then the uptime figures. */
export const CSV_COLUMNS = ['reachable', ...Object.keys(RECORD_COLUMNS) as Array<keyof PeerRecord>, 'countryName', ...UPTIME_COLUMNS] as const

export async function exportNetwork (store: PeerStore, networkId: string, options: ExportOptions): Promise<string> {
  const { format } = options
  let text: string
  let extension: string
  if (typeof format === 'object') {
    text = format.spec.format(store.peers(networkId).map(storedPeer), format.network)
    extension = format.spec.extension
  } else {
    const all = options.all === true && format !== 'txt'
    const chosen = store.peers(networkId).filter((p) => all || isReachable(p))
    if (options.asn !== undefined) enrichAsn(store, networkId, chosen, options.asn, { onlyMissing: false })
    if (options.geo !== undefined) enrichCountry(store, networkId, chosen, options.geo, { onlyMissing: false })
    const records = sortByAddress(chosen)
    text = format === 'txt' ? toTxt(records) : format === 'json' ? toJson(records) : toCsv(records)
    extension = format
  }
  const dir = join(options.outDir, networkId)
  const path = join(dir, `${networkId}-${fileStamp(options.now ?? new Date())}.${extension}`)
  await mkdir(dir, { recursive: true })
  // Temp file and rename: a reader never sees half an export.
  const temp = `${path}.${process.pid}.tmp`
  await writeFile(temp, text, 'utf8')
  await rename(temp, path)
  return path
}

/** A record as an adapter's export format reads it. */
export function storedPeer (r: PeerRecord): StoredPeer {
  const { uptime: _uptime, ...rest } = r
  const windows = uptimeWindowsOf(r)
  return windows === undefined ? rest : { ...rest, uptimeWindows: windows }
}

/** The five uptime windows of a record (2 h … 30 d), read through src/store/uptime.ts. */
export function uptimeWindowsOf (r: PeerRecord): StoredPeer['uptimeWindows'] {
  const state = r.uptime
  if (state === undefined) return undefined
  return UPTIME_WINDOW_NAMES.map((_, i) => uptimeWindow(state, i)) as StoredPeer['uptimeWindows']
}

/** `YYYYMMDDhhmmss` in UTC. */
export function fileStamp (d: Date): string {
  return d.toISOString().slice(0, 19).replace(/[-T:]/g, '')
}

export function txtLine (r: PeerRecord): string {
  // An organisation without an AS number (a database record lacking the number) is still `AS? / unknown`.
  if (r.asn === undefined) return `${formatEndpoint(r)} / AS? / unknown`
  return `${formatEndpoint(r)} / AS${r.asn} / ${oneLine(r.asOrg ?? 'unknown')}`
}

function toTxt (records: PeerRecord[]): string {
  return records.map((r) => `${txtLine(r)}\n`).join('')
}

function toJson (records: PeerRecord[]): string {
  return `${JSON.stringify(records.map((r) => {
    const base = { reachable: isReachable(r), ...r, ...(r.country === undefined ? {} : { countryName: countryName(r.country) }) }
    if (r.uptime === undefined) return base
    const f = uptimeFigures(r.uptime)
    return { ...base, uptime: uptimeValues(r.uptime), uptimePercent: rounded(f.percent), uptimeShare: rounded(f.normalised) }
  }), null, 2)}\n`
}

function toCsv (records: PeerRecord[]): string {
  const lines = [CSV_COLUMNS.join(',')]
  for (const r of records) {
    const f = r.uptime === undefined ? undefined : uptimeFigures(r.uptime)
    const uptime = UPTIME_WINDOW_NAMES.map((w) => f === undefined ? '' : f.percent[w].toFixed(2))
    const share = UPTIME_WINDOW_NAMES.map((w) => f === undefined ? '' : f.normalised[w].toFixed(2))
    const fields = CSV_COLUMNS.slice(0, CSV_COLUMNS.length - UPTIME_COLUMNS.length).map((c) =>
      csvField(c === 'reachable' ? isReachable(r) : c === 'countryName' ? (r.country === undefined ? undefined : countryName(r.country)) : c === 'uptime' ? (r.uptime === undefined ? undefined : uptimeValues(r.uptime)) : r[c as keyof PeerRecord]))
    lines.push([...fields, ...uptime, ...share].join(','))
  }
  return `${lines.join('\r\n')}\r\n`
}

function rounded (figures: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Math.round(v * 100) / 100]))
}

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled. */
export function csvField (value: unknown): string {
  if (value === undefined || value === null) return ''
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** A line-based format cannot carry a line break from a peer-supplied or database string. */
function oneLine (text: string): string {
  return text.replace(/[\r\n]+/g, ' ')
}
