// A store seeded directly (no dials) with peers that look like a real network: public
// addresses drawn from the address ranges of real ASes in the installed @ip-location-db/asn
// data (so the geo database places them, as it would real peers), AS numbers and names from
// the same rows, and user agents, versions, services, heights and latencies in proportions
// like mainnet's. Used by the report tests, the screenshot script and the report timing.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import ipaddr from 'ipaddr.js'
import { parseCsv } from '../../src/asn/csv.js'
import { ipv4FromNumber, ipv4ToNumber, ipv6FromBigInt, ipv6ToBigInt } from '../../src/net/ip.js'
import type { AddressType, Endpoint, PeerInfo, SessionResult } from '../../src/contract.js'
import { openStore } from '../../src/store/store.js'

export interface SeedOptions {
  /** Peers recorded (reachable and not). */
  peers: number
  seed: number
  network?: string
  /** Finished runs recorded before the last one, 6 h apart, each with a session per peer. */
  runs?: number
  /** The time of the last run (default 2026-11-30T00:00Z). */
  end?: Date
}

export interface SeededStore {
  reachable: number
  /** Reachable IP peers per AS number as seeded. */
  asns: Map<number, number>
  /** Reachable peers per address type. */
  byType: Record<AddressType, number>
  hosts: string[]
}

/** ASes that host many Bitcoin nodes, with a weight each (rough shares of reachable mainnet nodes), and small-country ISPs so the map's side list has content. */
const HOSTING: Array<[number, number]> = [
  [24940, 90], [16509, 45], [7922, 40], [16276, 38], [14061, 30], [51167, 30], [396982, 18], [3320, 22], [20115, 18],
  [63949, 12], [45102, 10], [20473, 16], [7018, 14], [3215, 10], [12322, 9], [3209, 10], [3303, 8], [852, 8], [812, 7],
  [577, 7], [7473, 5], [4760, 5], [4657, 4], [12709, 3], [15735, 2], [9318, 6], [4134, 6], [17676, 5], [31898, 6]
]
/** Share of reachable peers on each overlay, and of IP peers drawn from any AS at random (the long tail). */
const ONION = 0.09
const I2P = 0.015
const CJDNS = 0.004
const LONG_TAIL = 0.3
const IPV6 = 0.12

const USER_AGENTS: Array<[string, number]> = [
  ['/Satoshi:28.1.0/', 24], ['/Satoshi:29.0.0/', 20], ['/Satoshi:27.2.0/', 10], ['/Satoshi:28.0.0/', 8], ['/Satoshi:27.0.0/', 6],
  ['/Satoshi:28.1.0/Knots:20250305/', 9], ['/Satoshi:26.0.0/', 4], ['/Satoshi:25.0.0/', 3], ['/Satoshi:24.0.1/', 2],
  ['/Satoshi:0.21.1/', 1.5], ['/btcd:0.24.2/', 1], ['/bcoin:2.2.0/', 0.3], ['/Satoshi:22.0.0/', 1], ['/Satoshi:23.0.0/', 1.2]
]
const SERVICES: Array<[string, number]> = [['3081', 55], ['1033', 30], ['1037', 5], ['3085', 4], ['1032', 3], ['1', 1], ['9', 2]]
const TIP = 925_000

type Ranges = { v4: Array<[number, number]>, v6: Array<[bigint, bigint]>, org: string }

let asTable: Map<number, Ranges> | undefined

function loadAsTable (): Map<number, Ranges> {
  if (asTable !== undefined) return asTable
  const dir = dirname(createRequire(import.meta.url).resolve('@ip-location-db/asn/package.json'))
  const table = new Map<number, Ranges>()
  const add = (file: string, v6: boolean): void => {
    parseCsv(readFileSync(join(dir, file), 'utf8'), (fields) => {
      const asn = Number(fields[2])
      if (!Number.isInteger(asn) || asn === 0) return
      let entry = table.get(asn)
      if (entry === undefined) table.set(asn, entry = { v4: [], v6: [], org: fields[3] ?? '' })
      if (v6) {
        const lo = ipv6ToBigInt(fields[0]); const hi = ipv6ToBigInt(fields[1])
        if (lo !== undefined && hi !== undefined && (lo >> 125n) === 1n) entry.v6.push([lo, hi]) // 2000::/3 only
      } else {
        const lo = ipv4ToNumber(fields[0]); const hi = ipv4ToNumber(fields[1])
        if (lo !== undefined && hi !== undefined) entry.v4.push([lo, hi])
      }
    })
  }
  add('asn-ipv4.csv', false)
  add('asn-ipv6.csv', true)
  asTable = table
  return table
}

/** mulberry32: small, seedable, good enough for test data. */
function rng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function weighted<T> (items: Array<[T, number]>, r: number): T {
  const total = items.reduce((s, [, w]) => s + w, 0)
  let x = r * total
  for (const [item, w] of items) { x -= w; if (x < 0) return item }
  return items[items.length - 1][0]
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

export async function seedReportStore (dbPath: string, options: SeedOptions): Promise<SeededStore> {
  const random = rng(options.seed)
  const table = loadAsTable()
  const allAses = [...table.keys()].filter((a) => table.get(a)!.v4.length > 0)
  const network = options.network ?? 'mainnet'
  const end = (options.end ?? new Date('2026-11-30T00:00:00Z')).getTime()
  const runCount = options.runs ?? 12
  let clock = end - runCount * 6 * 3600_000
  const store = await openStore(dbPath, { mode: 'write', now: () => new Date(clock) })

  const pickIp = (asn: number, v6: boolean): string | undefined => {
    const entry = table.get(asn)
    if (entry === undefined) return undefined
    if (v6 && entry.v6.length > 0) {
      const [lo, hi] = entry.v6[Math.floor(random() * entry.v6.length)]
      const span = hi - lo
      const offset = span === 0n ? 0n : BigInt(Math.floor(random() * 2 ** 40)) % span
      const value = lo + offset
      return ipv6FromBigInt(value)
    }
    if (entry.v4.length === 0) return undefined
    const [lo, hi] = entry.v4[Math.floor(random() * entry.v4.length)]
    if (hi - lo < 4) return undefined
    return ipv4FromNumber(lo + 1 + Math.floor(random() * (hi - lo - 2)))
  }

  const seeded: SeededStore = { reachable: 0, asns: new Map(), byType: { ipv4: 0, ipv6: 0, onion: 0, i2p: 0, cjdns: 0, yggdrasil: 0 }, hosts: [] }
  const seen = new Set<string>()
  const people: Array<{ endpoint: Endpoint, asn?: number, org?: string, up: boolean }> = []
  while (people.length < options.peers) {
    const r = random()
    let endpoint: Endpoint
    let asn: number | undefined
    if (r < ONION) {
      endpoint = { host: `${Array.from({ length: 56 }, () => BASE32[Math.floor(random() * 32)]).join('')}.onion`, port: 8333, type: 'onion' }
    } else if (r < ONION + I2P) {
      endpoint = { host: `${Array.from({ length: 52 }, () => BASE32[Math.floor(random() * 32)]).join('')}.b32.i2p`, port: 0, type: 'i2p' }
    } else if (r < ONION + I2P + CJDNS) {
      endpoint = { host: ipaddr.parse(`fc${Array.from({ length: 30 }, () => '0123456789abcdef'[Math.floor(random() * 16)]).join('').replace(/(.{2})(.{4})(.{4})(.{4})(.{4})(.{4})(.{4})(.{4})/, '$1:$2:$3:$4:$5:$6:$7:$8')}`).toString(), port: 8333, type: 'cjdns' }
    } else {
      asn = random() < LONG_TAIL ? allAses[Math.floor(random() * allAses.length)] : weighted(HOSTING, random())
      const v6 = random() < IPV6
      const host = pickIp(asn, v6)
      if (host === undefined) continue
      endpoint = { host, port: 8333, type: host.includes(':') ? 'ipv6' : 'ipv4' }
    }
    if (seen.has(endpoint.host)) continue
    seen.add(endpoint.host)
    people.push({ endpoint, asn, org: asn === undefined ? undefined : table.get(asn)?.org, up: random() < 0.8 })
  }

  const info = (): PeerInfo => {
    const behind = random() < 0.86 ? 0 : random() < 0.5 ? 1 : Math.floor(random() ** 3 * 5000)
    return {
      userAgent: weighted(USER_AGENTS, random()),
      protocolVersion: random() < 0.93 ? 70016 : 70015,
      services: weighted(SERVICES, random()),
      startHeight: TIP - behind,
      relay: true
    }
  }
  const latency = (): number => Math.round(Math.exp(Math.log(70) + 0.9 * gaussian(random)))

  for (const p of people) store.recordDiscovered(network, p.endpoint, null)
  // Earlier runs: every peer tried, the final state's up peers mostly up and the others mostly
  // down, so the history has joins and leaves between runs (the report's churn chart).
  for (let i = 0; i < runCount; i++) {
    const run = store.beginRun('bitcoin', network)
    let reachable = 0
    for (const p of people) {
      clock += 1
      const up = random() < (p.up ? 0.95 : 0.03)
      if (up) reachable++
      store.recordResult(network, up
        ? { endpoint: p.endpoint, ok: true, connectMs: 50, handshakeMs: 110, peer: info(), learned: [], addressesReceived: 1000 }
        : { endpoint: p.endpoint, ok: false, reason: 'connect-timeout', learned: [], addressesReceived: 0 })
    }
    clock += 40 * 60_000
    store.finishRun(run, 'finished', { tried: people.length, reachable, new: Math.round(people.length * 0.01 * random()) })
    await store.checkpoint()
    clock += 6 * 3600_000 - 40 * 60_000
  }
  // The last run: every peer's session.
  const last = store.beginRun('bitcoin', network)
  for (const p of people) {
    clock += 1
    const result: SessionResult = p.up
      ? { endpoint: p.endpoint, ok: true, connectMs: latency(), handshakeMs: 0, peer: info(), learned: [], addressesReceived: 1000 }
      : { endpoint: p.endpoint, ok: false, reason: random() < 0.6 ? 'connect-timeout' : 'refused', learned: [], addressesReceived: 0 }
    if (result.ok) result.handshakeMs = Math.round((result.connectMs ?? 0) * 2.2)
    store.recordResult(network, result)
    if (p.asn !== undefined) store.setAsn(network, p.endpoint, p.asn, p.org === '' ? undefined : p.org)
    if (p.up) {
      seeded.reachable++
      seeded.byType[p.endpoint.type]++
      if (p.asn !== undefined) seeded.asns.set(p.asn, (seeded.asns.get(p.asn) ?? 0) + 1)
      seeded.hosts.push(p.endpoint.host)
    }
  }
  store.finishRun(last, 'finished', { tried: people.length, reachable: seeded.reachable, new: 0 })
  await store.close()
  return seeded
}

function gaussian (random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
}
