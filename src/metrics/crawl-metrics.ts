// `peers crawl --metrics HOST:PORT`: live Prometheus metrics on GET /metrics, through
// prom-client (its own registry, not the global one). The server binds before the crawl
// starts, so a busy port is one clear line at once; the engine and the store are attached
// when they exist. Counts follow the engine's events, so the last scrape of a finished
// crawl agrees with its summary: sessions by outcome, reachable endpoints by address type.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { AddressType, Endpoint, Network, SessionResult } from '../contract.js'
import { UsageError } from '../errors.js'
import { formatEndpoint, parseHostPort } from '../net/endpoint.js'
import type { PeerStore } from '../store/types.js'

/** What the metrics read from a running crawl (CrawlEngine has it). */
export interface CrawlSource {
  on (event: 'session-end', listener: (event: { result: SessionResult }) => void): unknown
  stats (): { inFlight: number, queued: number, discovered: number }
}

type StoreSource = Pick<PeerStore, 'peers' | 'maxBlockedMs' | 'lastCheckpoint'>

export interface CrawlMetrics {
  /** `http://host:port/metrics`. */
  readonly url: string
  attach (crawl: CrawlSource, store: StoreSource, network: Network, keyOf: (e: Endpoint) => string): void
  close (): Promise<void>
}

/** The crawl rate is sessions ended over this trailing window. */
const RATE_WINDOW_S = 60
const DEFAULT_HOST = '127.0.0.1'

/** `PORT`, `HOST:PORT` or `[IPv6]:PORT`; a bare port binds to loopback. */
export function parseListen (text: string): { host: string, port: number } {
  const trimmed = text.trim()
  if (/^\d+$/.test(trimmed)) {
    const port = Number(trimmed)
    if (port > 65535) throw new UsageError(`--metrics '${text}' has an invalid port: expected 0-65535`)
    return { host: DEFAULT_HOST, port }
  }
  // Port 0 (the OS picks) is fine for a listener; parseHostPort takes 1-65535.
  const zero = /:0$/.test(trimmed)
  const e = parseHostPort(zero ? `${trimmed.slice(0, -2)}:1` : trimmed, -1)
  if (e.port === -1) throw new UsageError(`--metrics '${text}' needs a port: HOST:PORT, e.g. 127.0.0.1:9464`)
  if (e.type !== 'ipv4' && e.type !== 'ipv6') throw new UsageError(`--metrics '${text}': expected an IP address to listen on`)
  return { host: e.host, port: zero ? 0 : e.port }
}

export async function startCrawlMetrics (listen: string): Promise<CrawlMetrics> {
  const { host, port } = parseListen(listen)
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'peers_' })

  const sessions = new Counter({ name: 'peers_sessions_total', help: 'Sessions ended, by outcome (reachable or the failure reason) and address type.', labelNames: ['network', 'outcome', 'address_type'], registers: [registry] })
  // Per endpoint, the address type while its last session reached it (as the summary's `reachable`).
  const reachableNow = new Map<string, AddressType>()
  // Sessions ended per second of the trailing window (a ring of one-second slots).
  const slots = new Float64Array(RATE_WINDOW_S)
  let slotSecond = 0
  const advance = (second: number): void => {
    if (second - slotSecond >= RATE_WINDOW_S) slots.fill(0)
    else for (let s = slotSecond + 1; s <= second; s++) slots[s % RATE_WINDOW_S] = 0
    slotSecond = Math.max(slotSecond, second)
  }
  let source: { crawl: CrawlSource, store: StoreSource, network: Network } | undefined

  const label = (): string => source?.network.id ?? ''
  new Gauge({ name: 'peers_sessions_in_flight', help: 'Sessions open now.', labelNames: ['network'], registers: [registry], collect () { this.reset(); if (source !== undefined) this.set({ network: label() }, source.crawl.stats().inFlight) } })
  new Gauge({
    name: 'peers_reachable',
    help: 'Endpoints whose last session in this crawl completed a handshake, by address type.',
    labelNames: ['network', 'address_type'],
    registers: [registry],
    collect () {
      this.reset()
      if (source === undefined) return
      const byType = new Map<AddressType, number>()
      for (const type of reachableNow.values()) byType.set(type, (byType.get(type) ?? 0) + 1)
      for (const [type, n] of byType) this.set({ network: label(), address_type: type }, n)
    }
  })
  new Gauge({ name: 'peers_frontier_queued', help: 'Endpoints waiting to be dialed, now or at their revisit or retry time.', labelNames: ['network'], registers: [registry], collect () { this.reset(); if (source !== undefined) this.set({ network: label() }, source.crawl.stats().queued) } })
  new Gauge({ name: 'peers_frontier_endpoints', help: 'Endpoints the crawl holds (seeds and learned, skipped ones included).', labelNames: ['network'], registers: [registry], collect () { this.reset(); if (source !== undefined) this.set({ network: label() }, source.crawl.stats().discovered) } })
  new Gauge({ name: 'peers_store_records', help: 'Peer records of this network in the store.', labelNames: ['network'], registers: [registry], collect () { this.reset(); if (source !== undefined) this.set({ network: label() }, source.store.peers(label()).length) } })
  new Gauge({
    name: 'peers_store_last_checkpoint_seconds',
    help: 'How long the last store checkpoint took (absent until the first one).',
    labelNames: ['network'],
    registers: [registry],
    collect () {
      this.reset()
      const ms = source?.store.lastCheckpoint?.ms
      if (ms !== undefined) this.set({ network: label() }, ms / 1000)
    }
  })
  new Gauge({ name: 'peers_store_checkpoint_max_blocked_seconds', help: 'Longest time a store write blocked the event loop.', labelNames: ['network'], registers: [registry], collect () { this.reset(); if (source !== undefined) this.set({ network: label() }, source.store.maxBlockedMs / 1000) } })
  new Gauge({
    name: 'peers_crawl_rate_sessions_per_second',
    help: `Sessions ended per second over the last ${RATE_WINDOW_S} s (or since the crawl started, when shorter).`,
    labelNames: ['network'],
    registers: [registry],
    collect () {
      this.reset()
      if (source === undefined) return
      const now = performance.now()
      advance(Math.floor(now / 1000))
      const span = Math.min(RATE_WINDOW_S, (now - attachedAt) / 1000)
      this.set({ network: label() }, span <= 0 ? 0 : slots.reduce((a, b) => a + b, 0) / span)
    }
  })
  let attachedAt = 0

  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n')
      return
    }
    registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType }).end(text)
    }, (err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err instanceof Error ? err.message : String(err)}\n`)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = formatEndpoint({ host, port })
      reject(err.code === 'EADDRINUSE'
        ? new UsageError(`--metrics ${where}: the port is already in use; pick another, e.g. --metrics ${host.includes(':') ? `[${host}]` : host}:${port === 9464 ? 9465 : 9464}`)
        : new UsageError(`--metrics ${where}: cannot listen there (${err.code ?? err.message})`))
    })
    server.listen({ host, port }, () => resolve())
  })
  // A scrape in progress must not keep a finished crawl alive.
  server.unref()
  const address = server.address() as AddressInfo

  return {
    url: `http://${formatEndpoint({ host: address.address, port: address.port })}/metrics`,
    attach (crawl, store, network, keyOf) {
      source = { crawl, store, network }
      attachedAt = performance.now()
      crawl.on('session-end', ({ result }) => {
        const type = result.endpoint.type
        sessions.inc({ network: network.id, outcome: result.ok ? 'reachable' : result.reason ?? 'error', address_type: type })
        const second = Math.floor(performance.now() / 1000)
        advance(second)
        slots[second % RATE_WINDOW_S]++
        // A cancelled session says nothing about the peer (the engine keeps its earlier outcome too).
        if (result.ok) reachableNow.set(keyOf(result.endpoint), type)
        else if (result.reason !== 'cancelled') reachableNow.delete(keyOf(result.endpoint))
      })
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
