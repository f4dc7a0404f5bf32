// The simulated network in its own process, so the crawler's CPU and memory are measured
// alone. argv[2]: SimnetProcessConfig as JSON. Once listening it writes the reachable truth
// to config.truthFile and prints one line on stdout (SimnetReady). It stops when its stdin
// closes (the bench ends it) or on SIGTERM.
import { writeFileSync } from 'node:fs'
import { Simnet } from '../../adapters/bitcoin/simnet/index.js'
import type { SessionTimeouts } from '../../src/contract.js'
import { formatEndpoint } from '../../src/net/endpoint.js'
import { lowerBound, type BoundNode, type LowerBound, type NodeClass } from './lower-bound.js'

export interface SimnetProcessConfig {
  nodes: number
  /** Honest nodes at the slow end: version after 3 s, answer after 5 s. */
  slow: number
  refused: number
  silent: number
  wrongNetwork: number
  hole: number
  getaddrDelayMeanMs: number
  /** Round trip per node, drawn from [min, max] ms. */
  latencyMs: { min: number, max: number }
  /** Addresses each node knows (its answer is 23% of them, at most 1000). */
  knownPerNode: number
  seed: number
  network: string
  truthFile: string
  /** The crawl's timeouts, for the exit bound. */
  timeouts: SessionTimeouts
}

export interface SimnetReady {
  seeds: string[]
  bound: LowerBound
}

/** The simnet's kinds in the order simnet.ts creates them (its node indices), and their class in the bound. */
const KINDS: ReadonlyArray<[string, NodeClass]> = [
  ['honest', 'reachable'], ['old-core', 'reachable'], ['small', 'reachable'], ['bcoin', 'reachable'], ['slow', 'reachable'], ['mute', 'mute'],
  ['silent', 'silent'], ['wrong-network', 'rejects'], ['close-immediately', 'rejects'], ['refused', 'refused'], ['hole', 'hole']
]
/** adapters/bitcoin/simnet/node.ts slowCore: version after 3 s (its answer delay is in getaddrDelayMs). */
const SLOW_VERSION_DELAY_MS = 3000

/** The network as the lower bound sees it: every node's class, round trip, delays and answer. */
function boundNodes (simnet: Simnet): { nodes: BoundNode[], index: Map<string, number> } {
  const index = new Map<string, number>()
  const nodes: BoundNode[] = []
  for (const [kind, cls] of KINDS) {
    for (const e of simnet.endpointsOf(kind)) {
      const i = nodes.length
      index.set(formatEndpoint(e), i)
      nodes.push({ class: cls, rttMs: simnet.latencyOf(i), versionDelayMs: kind === 'slow' ? SLOW_VERSION_DELAY_MS : 0, answerDelayMs: 0 })
    }
  }
  if (nodes.length !== simnet.size) throw new Error(`the bound knows ${nodes.length} of the simnet's ${simnet.size} nodes: a kind is missing from KINDS`)
  for (const [i, n] of nodes.entries()) {
    if (n.class !== 'reachable') continue
    // Includes slowCore's 5 s answer delay and old Core's trickle.
    n.answerDelayMs = simnet.getaddrDelayMs(i)
    n.answers = simnet.answerOf(i).map((a) => index.get(formatEndpoint({ host: a.host, port: a.port }))).filter((j): j is number => j !== undefined)
  }
  return { nodes, index }
}

const config = JSON.parse(process.argv[2]) as SimnetProcessConfig
const simnet = new Simnet({
  nodes: config.nodes,
  slow: config.slow,
  refused: config.refused,
  silent: config.silent,
  wrongNetwork: config.wrongNetwork,
  hole: config.hole,
  getaddrDelayMeanMs: config.getaddrDelayMeanMs,
  latencyMs: config.latencyMs,
  knownPerNode: config.knownPerNode,
  seed: config.seed,
  network: config.network
})
await simnet.start()
writeFileSync(config.truthFile, JSON.stringify(simnet.truth({ askPeersMs: config.timeouts.askPeersMs }).map(formatEndpoint)))
const seeds = simnet.seeds()
const { nodes, index } = boundNodes(simnet)
const bound = lowerBound(nodes, seeds.map((e) => index.get(formatEndpoint(e)) as number), config.timeouts)
const ready: SimnetReady = { seeds: seeds.map(formatEndpoint), bound }
process.stdout.write(JSON.stringify(ready) + '\n')

let stopping = false
async function stop (): Promise<void> {
  if (stopping) return
  stopping = true
  await simnet.stop()
  process.exit(0)
}
process.stdin.on('end', () => { void stop() })
process.stdin.resume()
process.on('SIGTERM', () => { void stop() })
