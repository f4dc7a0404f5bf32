// The frontier scenario: the crawl engine in-process with the Bitcoin adapter's keys and a
// fake transport (no sockets). A few "hub" endpoints answer with 1000 addresses each; every
// other endpoint is refused at once. Each of the `endpoints` distinct addresses is advertised
// by `advertisementsPerEndpoint` hubs, so the engine deduplicates the rest.
import { performance } from 'node:perf_hooks'
import { bitcoinAdapter } from '../../adapters/bitcoin/index.js'
import type { Adapter, Endpoint, LearnedAddress, SessionResult } from '../../src/contract.js'
import { CrawlEngine } from '../../src/engine/engine.js'
import { AddressPolicy } from '../../src/net/policy.js'

export interface FrontierBenchFigures {
  endpoints: number
  advertisements: number
  sessions: number
  engineMs: number
  sessionsPerSecond: number
  advertisementsPerSecond: number
  /** Heap and array-buffer growth (after GC) while the engine holds every endpoint, per endpoint. */
  heapBytesPerEndpoint: number
  /** RSS growth over the run, per endpoint. */
  rssBytesPerEndpoint: number
  /** Peak RSS of the process up to the end of the engine's run. */
  peakRssMb: number
  /** Replaying every advertisement through adapter.key and a Map lookup: the dedup work alone. */
  dedupMs: number
  /** dedupMs / engineMs. */
  dedupShare: number
}

/** Core sends at most 1000 addresses per answer. */
const ANSWER_SIZE = 1000

/** Endpoint i: 20.0.0.0 + i (public, so the policy dials it; the fake transport never does). */
function endpointAt (i: number): Endpoint {
  return { host: `${20 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`, port: 8333, type: 'ipv4' }
}

/** JS heap plus array buffers (the frontier's typed arrays live outside the heap). */
function heldAfterGc (): number {
  // The child runs with --expose-gc; without it the figure is noisier but still a figure.
  (globalThis as { gc?: () => void }).gc?.()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.arrayBuffers
}

export async function benchFrontier (options: { endpoints: number, advertisementsPerEndpoint: number }): Promise<FrontierBenchFigures> {
  const n = options.endpoints
  const step = ANSWER_SIZE / options.advertisementsPerEndpoint
  // Hub h advertises endpoints [h * step, h * step + ANSWER_SIZE) modulo n: each one `advertisementsPerEndpoint` times.
  const hubs = Math.ceil(n / step)
  const network = bitcoinAdapter.networks.find((net) => net.name === 'mainnet') ?? bitcoinAdapter.networks[0]
  const adapter: Adapter = {
    ...bitcoinAdapter,
    async runSession (endpoint): Promise<SessionResult> {
      const i = indexOf(endpoint)
      if (i >= hubs) return { endpoint, ok: false, reason: 'refused', learned: [], addressesReceived: 0 }
      const learned: LearnedAddress[] = []
      for (let k = 0; k < ANSWER_SIZE; k++) learned.push({ endpoint: endpointAt((i * step + k) % n) })
      return { endpoint, ok: true, learned, addressesReceived: learned.length }
    }
  }

  const heldBefore = heldAfterGc()
  const rssBefore = process.memoryUsage().rss
  const engine = new CrawlEngine({ adapter, network, policy: new AddressPolicy(), userAgent: '/peers-bench/', retries: 0, maxEndpoints: n + hubs })
  const started = performance.now()
  const summary = await engine.run(Array.from({ length: hubs }, (_, h) => endpointAt(h)))
  const engineMs = performance.now() - started
  const peakRssMb = process.resourceUsage().maxRSS / 1024
  const held = heldAfterGc() - heldBefore
  const rssGrowth = process.memoryUsage().rss - rssBefore
  // Also keeps the engine (and its frontier) alive through the measurement above.
  const endpointsHeld = engine.stats().discovered
  if (endpointsHeld !== n || summary.sessions !== n) throw new Error(`the engine held ${endpointsHeld} endpoints and ran ${summary.sessions} sessions, expected ${n} of each`)

  const advertisements = hubs * ANSWER_SIZE
  const seen = new Map<string, number>()
  let dedupMs = 0
  for (let h = 0; h < hubs; h++) {
    const answer = Array.from({ length: ANSWER_SIZE }, (_, k) => endpointAt((h * step + k) % n))
    const answerStarted = performance.now()
    for (const endpoint of answer) {
      const key = adapter.key(endpoint)
      if (!seen.has(key)) seen.set(key, seen.size)
    }
    dedupMs += performance.now() - answerStarted
  }

  return {
    endpoints: n,
    advertisements,
    sessions: summary.sessions,
    engineMs,
    sessionsPerSecond: summary.sessions / (engineMs / 1000),
    advertisementsPerSecond: advertisements / (engineMs / 1000),
    heapBytesPerEndpoint: held / n,
    rssBytesPerEndpoint: rssGrowth / n,
    peakRssMb,
    dedupMs,
    dedupShare: dedupMs / engineMs
  }
}

/** Inverse of endpointAt. */
function indexOf (e: Endpoint): number {
  const p = e.host.split('.')
  return ((Number(p[0]) - 20) * 2 ** 24) + (Number(p[1]) << 16) + (Number(p[2]) << 8) + Number(p[3])
}
