// What `peers report` shows, computed from the store: plain numbers, no presentation. Built on
// computeStats (src/stats) so the report and `peers stats` never disagree.
import type { AddressType } from '../contract.js'
import { computeStats, type CountRow, type NetworkStats, type TopRows } from '../stats/stats.js'
import { churnPerRun } from '../store/queries.js'
import { isReachable, type PeerRecord, type RunRecord, type UptimeState } from '../store/types.js'
import { UPTIME_WINDOW_NAMES, uptimeWindow } from '../store/uptime.js'

/** Finished runs the joins-and-leaves chart covers (the newest), so the report reads a bounded part of the history. */
export const CHURN_RUNS = 30

/** Rows in the top-N charts. */
export const REPORT_TOP = 15

export interface Bucket { label: string, count: number }

export interface ReportData {
  network: string
  /** When the report was made (ISO). */
  generatedAt: string
  /** Newest successful handshake among the reachable peers: the date of the data (ISO); undefined with no peers. */
  dataAsOf?: string
  /** Oldest successful handshake among them (ISO). */
  dataFrom?: string
  stats: NetworkStats
  /** Reachable peers per address type, all five named even when zero. */
  headline: Array<{ type: AddressType, label: string, count: number }>
  /** Every country with its count (the map), largest first. */
  countries: Array<{ code: string, name: string, count: number }>
  /** Cumulative share of reachable peers hosted by the top k groups, k = 1..n (the concentration curves). */
  asCurve: number[]
  countryCurve: number[]
  /** Peers per service bit name (a peer counts under each bit it sets). */
  serviceBits: CountRow[]
  heights: { tip?: number, buckets: Bucket[], reporting: number }
  latency: { buckets: Bucket[], measured: number, medianMs?: number }
  runs: Array<{ id: string, endedAt: string, reachable: number, tried: number, status: RunRecord['status'] }>
  /** Normalised 30-day uptime of the reachable peers (docs/design.md §2.4), in tenths. */
  uptime: { buckets: Bucket[], withUptime: number }
  /** Joins and leaves between consecutive finished runs (`peers diff` between them); a notice instead when the store cannot tell. */
  churn: Churn
}

export type Churn =
  | { pairs: Array<{ from: string, to: string, endedAt: string, joined: number, left: number }> }
  | { notice: string }

export interface ReportDataOptions {
  serviceNames?: (services: string) => string[]
  now?: Date
  /** From computeChurn (it reads the history, so it is computed apart); default: a notice that there is no history. */
  churn?: Churn
}

const TYPE_LABELS: Array<[AddressType, string]> = [['ipv4', 'IPv4'], ['ipv6', 'IPv6'], ['onion', 'Tor (onion)'], ['i2p', 'I2P'], ['cjdns', 'CJDNS']]

/** Connect latency buckets, ms (upper bounds, exclusive). */
const LATENCY_EDGES = [25, 50, 100, 200, 400, 800, 1600, 3200]
/** Blocks behind the tip: 0, 1, 2-6 (an hour), 7-144 (a day), 145-1008 (a week), more. */
const HEIGHT_BUCKETS: Array<[string, number, number]> = [
  ['at the tip', 0, 0], ['1 behind', 1, 1], ['2–6\n(≤ 1 hour)', 2, 6], ['7–144\n(≤ 1 day)', 7, 144], ['145–1008\n(≤ 1 week)', 145, 1008], ['> 1008\n(> 1 week)', 1009, Infinity]
]

export function computeReportData (network: string, records: readonly PeerRecord[], runs: readonly RunRecord[], options: ReportDataOptions = {}): ReportData {
  const reachable = records.filter(isReachable)
  const total = reachable.length
  // Every row once (the curves and the map need them all), then the top rows for the charts.
  const allAs = computeStats(network, records, { top: Number.MAX_SAFE_INTEGER, serviceNames: options.serviceNames })
  const stats: NetworkStats = {
    ...allAs,
    byAsn: { ...allAs.byAsn, ...retop(allAs.byAsn, total) },
    byCountry: { ...allAs.byCountry, ...retop(allAs.byCountry, total) },
    byUserAgent: retop(allAs.byUserAgent, total),
    byServices: retop(allAs.byServices, total)
  }

  let dataAsOf: string | undefined
  let dataFrom: string | undefined
  for (const p of reachable) {
    if (p.lastSuccess === undefined) continue
    if (dataAsOf === undefined || p.lastSuccess > dataAsOf) dataAsOf = p.lastSuccess
    if (dataFrom === undefined || p.lastSuccess < dataFrom) dataFrom = p.lastSuccess
  }

  const typeCount = new Map(stats.byType.map((r) => [r.key, r.count]))
  const headline = TYPE_LABELS.map(([type, label]) => ({ type, label, count: typeCount.get(type) ?? 0 }))

  const countries = allAs.byCountry.top.map((r) => ({ code: r.key, name: r.name, count: r.count }))
  const curve = (counts: number[]): number[] => {
    let sum = 0
    return counts.map((c) => { sum += c; return total === 0 ? 0 : (sum * 100) / total })
  }

  const bitCounts = new Map<string, number>()
  if (options.serviceNames !== undefined) {
    for (const row of allAs.byServices.top) {
      if (row.key === '(none)') continue
      for (const name of options.serviceNames(row.key)) bitCounts.set(name, (bitCounts.get(name) ?? 0) + row.count)
    }
  }
  const serviceBits = [...bitCounts].map(([key, count]) => ({ key, count, share: total === 0 ? 0 : (count * 100) / total }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1))

  return {
    network,
    generatedAt: (options.now ?? new Date()).toISOString(),
    dataAsOf,
    dataFrom,
    stats,
    headline,
    countries,
    asCurve: curve(allAs.byAsn.top.map((r) => r.count)),
    countryCurve: curve(allAs.byCountry.top.map((r) => r.count)),
    serviceBits,
    heights: heightBuckets(reachable),
    latency: latencyBuckets(reachable),
    runs: runs.filter((r) => r.network === network && r.endedAt !== undefined).map((r) => ({
      id: r.id,
      endedAt: r.endedAt as string,
      reachable: typeof r.counts?.reachable === 'number' ? r.counts.reachable : 0,
      tried: typeof r.counts?.tried === 'number' ? r.counts.tried : 0,
      status: r.status
    })).sort((a, b) => (a.endedAt < b.endedAt ? -1 : 1)),
    uptime: uptimeBuckets(reachable),
    churn: options.churn ?? { notice: NO_HISTORY }
  }
}

const NO_HISTORY = 'No per-peer history in this store (schema 1 stores kept none): joins and leaves show from the next crawls on.'

/**
 * Joins and leaves per run from the history (`store.historyDir(network)`; undefined for a store
 * read from schema 1): the last CHURN_RUNS finished runs of the network, each against the one before.
 */
export async function computeChurn (historyDir: string | undefined, network: string, runs: readonly RunRecord[]): Promise<Churn> {
  if (historyDir === undefined) return { notice: NO_HISTORY }
  const own = runs.filter((r) => r.network === network)
  const pairs = await churnPerRun(historyDir, own, CHURN_RUNS)
  if (pairs.length === 0) return { notice: 'Fewer than two finished runs: joins and leaves show once there are two.' }
  return { pairs: pairs.map((p) => ({ from: p.from.id, to: p.to.id, endedAt: p.to.endedAt as string, joined: p.joined, left: p.left })) }
}

/** The first REPORT_TOP rows of a full table, and what the others add up to. */
function retop<Row extends { count: number }> (rows: TopRows<Row>, total: number): TopRows<Row> {
  const rest = rows.top.slice(REPORT_TOP)
  const count = rest.reduce((sum, r) => sum + r.count, 0)
  return { top: rows.top.slice(0, REPORT_TOP), rest: { groups: rest.length, count, share: total === 0 ? 0 : (count * 100) / total } }
}

/**
 * The tip is the highest height that at least two peers announced (one peer alone may lie or
 * be on another chain); with a single reporting peer, its height. Heights are as announced in
 * each peer's handshake, so peers met early in a long crawl can look a block or two behind.
 */
function heightBuckets (reachable: readonly PeerRecord[]): ReportData['heights'] {
  const heights = reachable.map((p) => p.startHeight).filter((h): h is number => typeof h === 'number' && h > 0)
  if (heights.length === 0) return { buckets: [], reporting: 0 }
  const counts = new Map<number, number>()
  for (const h of heights) counts.set(h, (counts.get(h) ?? 0) + 1)
  let tip: number | undefined
  for (const [h, c] of counts) if ((c >= 2 || heights.length === 1) && (tip === undefined || h > tip)) tip = h
  tip ??= Math.max(...counts.keys())
  const buckets = HEIGHT_BUCKETS.map(([label]) => ({ label, count: 0 }))
  let ahead = 0
  for (const h of heights) {
    const behind = tip - h
    if (behind < 0) { ahead++; continue }
    const i = HEIGHT_BUCKETS.findIndex(([, lo, hi]) => behind >= lo && behind <= hi)
    buckets[i].count++
  }
  if (ahead > 0) buckets.unshift({ label: 'ahead of\nthe tip', count: ahead })
  return { tip, buckets, reporting: heights.length }
}

function latencyBuckets (reachable: readonly PeerRecord[]): ReportData['latency'] {
  const values = reachable.map((p) => p.connectMs).filter((v): v is number => typeof v === 'number' && v >= 0).sort((a, b) => a - b)
  if (values.length === 0) return { buckets: [], measured: 0 }
  const labels = LATENCY_EDGES.map((edge, i) => `${i === 0 ? 0 : LATENCY_EDGES[i - 1]}–${edge}`)
  labels.push(`≥ ${LATENCY_EDGES[LATENCY_EDGES.length - 1]}`)
  const buckets = labels.map((label) => ({ label, count: 0 }))
  for (const v of values) {
    const i = LATENCY_EDGES.findIndex((edge) => v < edge)
    buckets[i === -1 ? LATENCY_EDGES.length : i].count++
  }
  return { buckets, measured: values.length, medianMs: values[Math.floor(values.length / 2)] }
}

function uptimeBuckets (reachable: readonly PeerRecord[]): ReportData['uptime'] {
  const buckets = Array.from({ length: 10 }, (_, i) => ({ label: `${i * 10}–${i === 9 ? 100 : i * 10 + 10} %`, count: 0 }))
  let withUptime = 0
  for (const p of reachable) {
    const percent = normalised30d(p.uptime)
    if (percent === undefined) continue
    withUptime++
    buckets[Math.min(9, Math.floor(percent / 10))].count++
  }
  return { buckets, withUptime }
}

/** 100 × reliability ÷ weight of the 30-day window (docs/design.md §2.4), undefined when never tried. */
function normalised30d (uptime: UptimeState | undefined): number | undefined {
  if (uptime === undefined) return undefined
  const window = uptimeWindow(uptime, UPTIME_WINDOW_NAMES.indexOf('30d'))
  if (!(window.weight > 0)) return undefined
  return Math.min(100, Math.max(0, (window.reliability / window.weight) * 100))
}
