// The simulated network in its own process, so the crawler's CPU and memory are measured
// alone. argv[2]: SimnetProcessConfig as JSON. Once listening it writes the reachable truth
// to config.truthFile and prints one line on stdout (SimnetReady). It stops when its stdin
// closes (the bench ends it) or on SIGTERM.
import { writeFileSync } from 'node:fs'
import { Simnet } from '../../adapters/bitcoin/simnet/index.js'
import type { Endpoint } from '../../src/contract.js'
import { formatEndpoint } from '../../src/net/endpoint.js'

export interface SimnetProcessConfig {
  nodes: number
  refused: number
  silent: number
  wrongNetwork: number
  hole: number
  getaddrDelayMeanMs: number
  seed: number
  network: string
  truthFile: string
}

export interface SimnetReady {
  seeds: string[]
  /** Breadth-first levels from the seeds to the farthest reachable node (seeds are level 1). */
  discoveryDepth: number
}

/**
 * The honest nodes come first in the simnet's layout, so honest node i is endpointsOf('honest')[i]
 * and answerOf(i) is its answer: a breadth-first search over them gives the depth.
 */
function discoveryDepth (simnet: Simnet, seeds: readonly Endpoint[]): number {
  const honest = new Map(simnet.endpointsOf('honest').map((e, i) => [formatEndpoint(e), i]))
  const level = new Int32Array(honest.size)
  let frontier = seeds.map((e) => honest.get(formatEndpoint(e))).filter((i): i is number => i !== undefined)
  for (const i of frontier) level[i] = 1
  let depth = 0
  while (frontier.length > 0) {
    depth++
    const next: number[] = []
    for (const i of frontier) {
      for (const a of simnet.answerOf(i)) {
        const j = honest.get(formatEndpoint(a))
        if (j !== undefined && level[j] === 0) {
          level[j] = depth + 1
          next.push(j)
        }
      }
    }
    frontier = next
  }
  return depth
}

const config = JSON.parse(process.argv[2]) as SimnetProcessConfig
const simnet = new Simnet({
  nodes: config.nodes,
  refused: config.refused,
  silent: config.silent,
  wrongNetwork: config.wrongNetwork,
  hole: config.hole,
  getaddrDelayMeanMs: config.getaddrDelayMeanMs,
  seed: config.seed,
  network: config.network
})
await simnet.start()
writeFileSync(config.truthFile, JSON.stringify(simnet.truth().map(formatEndpoint)))
const seeds = simnet.seeds()
const ready: SimnetReady = { seeds: seeds.map(formatEndpoint), discoveryDepth: discoveryDepth(simnet, seeds) }
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
