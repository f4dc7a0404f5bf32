// Who hosts a network: counts over its reachable peers by address type, autonomous system,
// country, user agent, protocol version and services, and the AS and country concentration
// coefficients.
//
// Concentration ("Nakamoto-style") coefficient: the smallest number of ASes that together
// host at least half of ALL reachable peers (2 * covered >= reachable). Peers with an
// unknown AS (overlay addresses, or no ASN data) stay in the denominator but are never
// grouped into an AS, since they may sit in many; when the known ASes cannot reach half,
// the coefficient is null. Ties: ASes are taken by peer count, then by lower AS number;
// the count k does not depend on how ties are broken, only which equal ASes are listed.
// Countries follow the same rule (overlay peers and IPs the geo database does not place are
// the unknown ones).
import { countryName, hasCountryAnswer } from '../geo/countries.js'
import type { PeerRecord } from '../store/types.js'
import { isReachable } from '../store/types.js'
import { uptimeFigures, type UptimeWindowName } from '../store/uptime.js'

export interface CountRow {
  key: string
  count: number
  /** Percent of the network's reachable peers. */
  share: number
}

export interface AsnRow {
  asn: number
  org?: string
  count: number
  share: number
}

export interface ServicesRow extends CountRow {
  /** `key` is the decimal value as stored; this is the same bits in hex. */
  hex: string
  /** Bit names the adapter knows (empty when it names none). */
  names: string[]
}

export interface CountryRow extends CountRow {
  /** `key` is the ISO alpha-2 code; this is its English name. */
  name: string
}

/** The smallest number of groups hosting at least half of all reachable peers; null when impossible. */
export interface Concentration<Row> {
  groups: number | null
  /** Percent of reachable peers those groups host. */
  share: number
  members: Row[]
}

/** The top rows, and what the rest add up to. */
export interface TopRows<Row> {
  top: Row[]
  rest: { groups: number, count: number, share: number }
}

export interface NetworkStats {
  network: string
  reachable: number
  byType: CountRow[]
  byAsn: TopRows<AsnRow> & { distinct: number, unknown: number, unknownShare: number }
  byCountry: TopRows<CountryRow> & {
    distinct: number
    /** IPv4/IPv6 peers the geo database did not place (or no geo database). */
    unknown: number
    /** Onion, I2P, CJDNS and Yggdrasil peers: no country exists for them. */
    noCountry: number
  }
  countryConcentration: Concentration<CountryRow>
  byUserAgent: TopRows<CountRow>
  byProtocolVersion: CountRow[]
  byServices: TopRows<ServicesRow>
  /**
   * Uptime distribution over every tried peer (reachable now or not): per window, how many were
   * up for a share of the watched time in each band (reliability / weight, docs/design.md §2.4),
   * and the median of sipa's reliability (what a seeds dump prints).
   */
  uptime: UptimeDistribution[]
  /** Peers tried and not reachable, by address type and last failure reason (share of those); e.g. Tor's onion-descriptor-not-found. */
  byFailure: Array<CountRow & { type: string, reason: string }>
  concentration: {
    /** Smallest number of ASes hosting at least half of the reachable peers; null when impossible. */
    ases: number | null
    /** Percent of reachable peers those ASes host. */
    share: number
    members: AsnRow[]
  }
}

export interface UptimeDistribution {
  window: UptimeWindowName
  tried: number
  bands: CountRow[]
  /** Median of 100 × reliability (sipa's figure), 0 with no tried peer. */
  medianPercent: number
}

/** Bands of the share of watched time up, highest first: [label, lower bound inclusive]. */
export const UPTIME_BANDS: Array<[string, number]> = [['>= 99%', 99], ['90-99%', 90], ['50-90%', 50], ['10-50%', 10], ['< 10%', -Infinity]]
const DISTRIBUTION_WINDOWS: UptimeWindowName[] = ['1d', '7d', '30d']

function uptimeDistribution (records: readonly PeerRecord[]): UptimeDistribution[] {
  const tried = records.filter((p) => p.uptime !== undefined).map((p) => uptimeFigures(p.uptime))
  return DISTRIBUTION_WINDOWS.map((window) => {
    const counts = UPTIME_BANDS.map(() => 0)
    for (const f of tried) counts[UPTIME_BANDS.findIndex(([, min]) => f.normalised[window] >= min)]++
    const raw = tried.map((f) => f.percent[window]).sort((a, b) => a - b)
    const median = raw.length === 0 ? 0 : raw.length % 2 === 1 ? raw[(raw.length - 1) / 2] : (raw[raw.length / 2 - 1] + raw[raw.length / 2]) / 2
    return {
      window,
      tried: tried.length,
      bands: UPTIME_BANDS.map(([key], i) => ({ key, count: counts[i], share: tried.length === 0 ? 0 : (counts[i] * 100) / tried.length })),
      medianPercent: median
    }
  })
}

export interface StatsOptions {
  top: number
  /** Names of the set service bits (the adapter's `serviceNames`), if it knows them. */
  serviceNames?: (services: string) => string[]
}

/** Label for a peer that did not say (empty user agent, no version or services). */
export const NONE = '(none)'

export function computeStats (network: string, records: readonly PeerRecord[], options: StatsOptions): NetworkStats {
  const reachable = records.filter(isReachable)
  const total = reachable.length
  const share = (count: number): number => (total === 0 ? 0 : (count * 100) / total)

  const byAsnCount = new Map<number, AsnRow>()
  let unknown = 0
  for (const p of reachable) {
    if (p.asn === undefined) {
      unknown++
      continue
    }
    const row = byAsnCount.get(p.asn) ?? { asn: p.asn, count: 0, share: 0 }
    row.count++
    if (row.org === undefined && p.asOrg !== undefined) row.org = p.asOrg
    byAsnCount.set(p.asn, row)
  }
  const asRows = [...byAsnCount.values()]
    .map((row) => ({ ...row, share: share(row.count) }))
    .sort((a, b) => b.count - a.count || a.asn - b.asn)

  const asHalf = concentrationOf(asRows, total, share)

  let noCountry = 0
  let unknownCountry = 0
  const located: PeerRecord[] = []
  for (const p of reachable) {
    if (!hasCountryAnswer(p.type)) noCountry++
    else if (p.country === undefined) unknownCountry++
    else located.push(p)
  }
  const countryRows = countBy(located, (p) => p.country ?? '', share).map((row): CountryRow => ({ ...row, name: countryName(row.key) }))

  const services = countBy(reachable, (p) => p.services ?? NONE, share).map((row): ServicesRow => ({
    ...row,
    hex: row.key === NONE ? '' : hexOf(row.key),
    names: row.key === NONE || options.serviceNames === undefined ? [] : options.serviceNames(row.key)
  }))

  const failed = records.filter((p) => !isReachable(p) && p.lastFailure !== undefined)
  const failedShare = (count: number): number => (count * 100) / failed.length
  const byFailure = countBy(failed, (p) => `${p.type} ${p.lastFailure ?? ''}`, failedShare).map((row) => {
    const [type, reason] = row.key.split(' ')
    return { ...row, type, reason }
  })

  return {
    network,
    reachable: total,
    byFailure,
    byType: countBy(reachable, (p) => p.type, share),
    byAsn: { ...topOf(asRows, options.top, share), distinct: asRows.length, unknown, unknownShare: share(unknown) },
    byCountry: { ...topOf(countryRows, options.top, share), distinct: countryRows.length, unknown: unknownCountry, noCountry },
    countryConcentration: concentrationOf(countryRows, total, share),
    byUserAgent: topOf(countBy(reachable, (p) => (p.userAgent === undefined || p.userAgent === '' ? NONE : p.userAgent), share), options.top, share),
    byProtocolVersion: countBy(reachable, (p) => (p.protocolVersion === undefined ? NONE : String(p.protocolVersion)), share),
    byServices: topOf(services, options.top, share),
    uptime: uptimeDistribution(records),
    concentration: { ases: asHalf.groups, share: asHalf.share, members: asHalf.members }
  }
}

/** Groups taken largest first until they host at least half of `total` (rows must be sorted by count, descending). */
export function concentrationOf<Row extends { count: number }> (rows: readonly Row[], total: number, share: (n: number) => number): Concentration<Row> {
  const members: Row[] = []
  let covered = 0
  for (const row of rows) {
    if (2 * covered >= total) break
    members.push(row)
    covered += row.count
  }
  const reachedHalf = total > 0 && 2 * covered >= total
  return reachedHalf ? { groups: members.length, share: share(covered), members } : { groups: null, share: share(covered), members: [] }
}

/** Rows by count (largest first), then key. */
function countBy (records: readonly PeerRecord[], keyOf: (p: PeerRecord) => string, share: (n: number) => number): CountRow[] {
  const counts = new Map<string, number>()
  for (const p of records) {
    const key = keyOf(p)
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return [...counts].map(([key, count]) => ({ key, count, share: share(count) }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
}

function topOf<Row extends { count: number }> (rows: Row[], top: number, share: (n: number) => number): TopRows<Row> {
  const rest = rows.slice(top)
  const count = rest.reduce((sum, r) => sum + r.count, 0)
  return { top: rows.slice(0, top), rest: { groups: rest.length, count, share: share(count) } }
}

function hexOf (decimal: string): string {
  try {
    return `0x${BigInt(decimal).toString(16)}`
  } catch {
    return '?'
  }
}
