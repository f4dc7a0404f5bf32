// Writes one network's peers to `<outDir>/<net>/<net>-<YYYYMMDDhhmmss>.<format>` (UTC).
//   txt:  the original tool's format, reachable peers only, one per line:
//         `2.59.134.244:48333 / AS58212 / dataforest GmbH`; an unknown AS is written
//         `AS? / unknown` (and a known AS without a name `AS64500 / unknown`), so every line
//         splits on ' / ' into the same three fields.
//   json: an array of records with every stored field (country included), plus `reachable`
//         and `countryName`.
//   csv:  the same columns (RFC 4180: CRLF line ends, fields quoted when needed, `extra` as JSON).
// Every format is sorted by address (src/store/address-order.ts).
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { AsnLookup } from '../asn/lookup.js'
import { formatEndpoint } from '../net/endpoint.js'
import { sortByAddress } from '../store/address-order.js'
import { enrichAsn } from '../asn/enrich.js'
import { countryName } from '../geo/countries.js'
import { enrichCountry } from '../geo/enrich.js'
import type { GeoLookup } from '../geo/lookup.js'
import { isReachable, type PeerRecord, type PeerStore } from '../store/types.js'

export const EXPORT_FORMATS = ['txt', 'json', 'csv'] as const
export type ExportFormat = typeof EXPORT_FORMATS[number]

export interface ExportOptions {
  format: ExportFormat
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
/** Stored fields, plus two derived ones: `reachable` first and the country's English name last. */
export const CSV_COLUMNS = ['reachable', ...Object.keys(RECORD_COLUMNS) as Array<keyof PeerRecord>, 'countryName'] as const

export async function exportNetwork (store: PeerStore, networkId: string, options: ExportOptions): Promise<string> {
  const all = options.all === true && options.format !== 'txt'
  const chosen = store.peers(networkId).filter((p) => all || isReachable(p))
  if (options.asn !== undefined) enrichAsn(store, networkId, chosen, options.asn, { onlyMissing: false })
  if (options.geo !== undefined) enrichCountry(store, networkId, chosen, options.geo, { onlyMissing: false })
  const records = sortByAddress(chosen)
  const text = options.format === 'txt' ? toTxt(records) : options.format === 'json' ? toJson(records) : toCsv(records)
  const dir = join(options.outDir, networkId)
  const path = join(dir, `${networkId}-${fileStamp(options.now ?? new Date())}.${options.format}`)
  await mkdir(dir, { recursive: true })
  // Temp file and rename: a reader never sees half an export.
  const temp = `${path}.${process.pid}.tmp`
  await writeFile(temp, text, 'utf8')
  await rename(temp, path)
  return path
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
  return `${JSON.stringify(records.map((r) => ({ reachable: isReachable(r), ...r, ...(r.country === undefined ? {} : { countryName: countryName(r.country) }) })), null, 2)}\n`
}

function toCsv (records: PeerRecord[]): string {
  const lines = [CSV_COLUMNS.join(',')]
  for (const r of records) {
    lines.push(CSV_COLUMNS.map((c) => csvField(c === 'reachable' ? isReachable(r) : c === 'countryName' ? (r.country === undefined ? undefined : countryName(r.country)) : r[c])).join(','))
  }
  return `${lines.join('\r\n')}\r\n`
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
