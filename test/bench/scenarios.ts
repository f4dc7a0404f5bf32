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
}

export interface InProcessScenario {
  kind: 'frontier' | 'store'
  name: string
  description: string
  /** Distinct endpoints the scenario feeds in. */
  endpoints: number
}

export type Scenario = CrawlScenario | InProcessScenario

export const DEFAULT_GETADDR_DELAY_MEAN_MS = 3000

export function scenarios (getaddrDelayMeanMs = DEFAULT_GETADDR_DELAY_MEAN_MS): Scenario[] {
  return [
    {
      kind: 'crawl',
      name: 'small',
      description: '1,000 reachable nodes, no delays: raw CPU efficiency',
      nodes: 1000,
      refused: 0,
      connectTimeouts: 0,
      silent: 0,
      wrongNetwork: 0,
      getaddrDelayMeanMs: 0
    },
    {
      kind: 'crawl',
      name: 'mainnet-like',
      description: '10,000 reachable nodes answering getaddr after exponential delays, 20,000 refused, 20,000 timing out, 100 silent, 10 wrong-network',
      nodes: 10_000,
      refused: 20_000,
      connectTimeouts: 20_000,
      silent: 100,
      wrongNetwork: 10,
      getaddrDelayMeanMs
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
    return { ...scenario, nodes: scale(scenario.nodes), refused: scale(scenario.refused), connectTimeouts: scale(scenario.connectTimeouts), silent: scale(scenario.silent), wrongNetwork: scale(scenario.wrongNetwork) }
  }
  return { ...scenario, endpoints: scale(scenario.endpoints) }
}
