// The bench's scenarios. Crawl scenarios run a simulated Bitcoin network in one process and
// the real CLI in another; in-process scenarios drive one part of the crawler directly.

export interface CrawlScenario {
  kind: 'crawl'
  name: string
  description: string
  /** Reachable simulated nodes. */
  nodes: number
  /** Advertised addresses nothing listens on (refused at once). */
  refused: number
  /** Advertised addresses in 127.9.0.0/16 whose SYN is dropped (needs HOLE=1 netns-run). */
  connectTimeouts: number
  /** Nodes that accept and never speak. */
  silent: number
  /** Nodes speaking another network's magic. */
  wrongNetwork: number
  /** Mean of the exponential delay before a node answers getaddr; 0 = at once. */
  getaddrDelayMeanMs: number
  /** Honest nodes at the slow end: version after 3 s, answer after 5 s. */
  slow: number
  /** Each node's round trip, drawn uniformly from [min, max] ms. */
  latencyMs: { min: number, max: number }
  /** Addresses each node knows; Core answers with 23% of them, at most 1,000. */
  knownPerNode: number
}

export interface InProcessScenario {
  kind: 'frontier' | 'store'
  name: string
  description: string
  /** Distinct endpoints the scenario feeds in. */
  endpoints: number
}

export type Scenario = CrawlScenario | InProcessScenario

export const DEFAULT_GETADDR_DELAY_MEAN_MS = 0

export function scenarios (getaddrDelayMeanMs = DEFAULT_GETADDR_DELAY_MEAN_MS): Scenario[] {
  return [
    {
      kind: 'crawl',
      name: 'small',
      description: '1,000 reachable nodes, no delays: raw CPU efficiency',
      nodes: 1000,
      slow: 0,
      refused: 0,
      connectTimeouts: 0,
      silent: 0,
      wrongNetwork: 0,
      getaddrDelayMeanMs: 0,
      latencyMs: { min: 0, max: 0 },
      knownPerNode: 1000
    },
    {
      kind: 'crawl',
      name: 'dead-and-silent',
      description: "#11's shape: 2,000 reachable nodes (20 of them slow: version after 3 s, answer after 5 s), 2,000 refused, 2,000 timing out, 50 silent; round trips 10-100 ms",
      nodes: 1980,
      slow: 20,
      refused: 2000,
      connectTimeouts: 2000,
      silent: 50,
      wrongNetwork: 0,
      getaddrDelayMeanMs,
      latencyMs: { min: 10, max: 100 },
      knownPerNode: 1000
    },
    {
      kind: 'crawl',
      name: 'mainnet-sized',
      // No slow nodes: a node that waits 3 s before its version and is 1 s away is beyond the
      // default handshake timeout's floor (3 s + ~450 ms); dead-and-silent has the slow ones.
      description: '60,000 gossiped endpoints, 8,000 reachable, 40,000 timing out, 11,880 refused, 100 silent, 20 wrong-network; round trips 20 ms-1 s; 1,000-entry answers as Core sends them',
      nodes: 8000,
      slow: 0,
      refused: 11_880,
      connectTimeouts: 40_000,
      silent: 100,
      wrongNetwork: 20,
      getaddrDelayMeanMs,
      latencyMs: { min: 20, max: 1000 },
      // Core answers 23% of its address manager, at most 1,000 (MAX_PCT_ADDR_TO_SEND, MAX_ADDR_TO_SEND): a mainnet addrman holds tens of thousands.
      knownPerNode: 4348
    },
    {
      kind: 'frontier',
      name: 'frontier',
      description: 'one million distinct advertised addresses fed to the engine in-process (fake adapter, no sockets)',
      endpoints: 1_000_000
    },
    {
      kind: 'store',
      name: 'store',
      description: 'store at 1,000,000 endpoints with history: load, checkpoints over 10 simulated minutes of continuous crawling, a month of history (test/bench/store-bench.ts)',
      endpoints: 1_000_000
    }
  ]
}

/** Counts scaled by `factor` (quick runs); never below one where the scenario has any. */
export function scaled<S extends Scenario> (scenario: S, factor: number): S {
  if (factor === 1) return scenario
  const scale = (n: number): number => n === 0 ? 0 : Math.max(1, Math.round(n * factor))
  if (scenario.kind === 'crawl') {
    return { ...scenario, nodes: scale(scenario.nodes), slow: scale(scenario.slow), refused: scale(scenario.refused), connectTimeouts: scale(scenario.connectTimeouts), silent: scale(scenario.silent), wrongNetwork: scale(scenario.wrongNetwork) }
  }
  return { ...scenario, endpoints: scale(scenario.endpoints) }
}
