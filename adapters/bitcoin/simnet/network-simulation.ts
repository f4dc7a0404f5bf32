// `peers simnet bitcoin`: the Simnet offered through the contract (NetworkSimulation), with
// the flags it takes. The command (src/commands/simnet.ts) is chain-neutral: it builds its
// flags from `SIMNET_FLAGS`, parses them, and calls start().
import type { Network, NetworkSimulation, RunningSimulation, SimulationFlag, SimulationFlagValues } from '../../../src/contract.js'
import { UsageError } from '../../../src/errors.js'
import { Simnet } from './simnet.js'

export const SIMNET_FLAGS = {
  nodes: { type: 'number', summary: 'Honest nodes: reachable, answering like Bitcoin Core.', integer: true, min: 1, required: true },
  refused: { type: 'number', summary: 'Addresses nobody listens on (the dial is refused).', integer: true, min: 0, default: 0 },
  silent: { type: 'number', summary: 'Nodes that accept and never speak.', integer: true, min: 0, default: 0 },
  'wrong-network': { type: 'number', summary: 'Nodes of another network (another magic).', integer: true, min: 0, default: 0 },
  'close-immediately': { type: 'number', summary: 'Nodes that accept and close at once.', integer: true, min: 0, default: 0 },
  hole: { type: 'number', summary: 'Addresses in 127.9.0.0/16: dials time out under `HOLE=1 netns-run`, are refused elsewhere.', integer: true, min: 0, default: 0 },
  'getaddr-delay': { type: 'number', summary: 'Mean delay of the getaddr answer, ms (exponential, like Core\'s trickle); 0 answers at once.', integer: true, min: 0, default: 0 },
  seed: { type: 'number', summary: 'PRNG seed: the same seed gives the same network.', integer: true, min: 0, max: 0xffffffff, default: 1 },
  port: { type: 'number', summary: 'Port of every node (default: the network\'s); 0 gives each node one from the OS.', integer: true, min: 0, max: 65535 }
} satisfies Record<string, SimulationFlag>

type Values = { [K in keyof typeof SIMNET_FLAGS]: number | undefined }

export const bitcoinNetworkSimulation: NetworkSimulation = {
  description: [
    'bitcoin: honest nodes answer like Bitcoin Core (version, sendaddrv2, verack, a self-announcement, then one getaddr answer of 23% of what they know), each on its own address in 127.1.0.0–127.8.255.255 with the network\'s port, plus unreachable ones of the kinds asked for.',
    'Linux routes all of 127.0.0.0/8 to the loopback interface; elsewhere only 127.0.0.1 may work. Run both the simnet and the crawl inside ../shared/tools/netns-run to be sure nothing leaves the machine; HOLE=1 makes the --hole addresses time out as most gossiped addresses do.',
    'More than about 15,000 nodes need a higher open-file limit (ulimit -n).'
  ],
  examples: [
    '--nodes 1000 --refused 200 --silent 50',
    '--nodes 10000 --hole 5000 --getaddr-delay 2000 --seed 7'
  ],
  defaultNetwork: 'regtest',
  flags: SIMNET_FLAGS,
  start: startSimnet
}

async function startSimnet (network: Network, values: SimulationFlagValues): Promise<RunningSimulation> {
  const n = values as Values
  const counts = {
    honest: n.nodes ?? 0,
    refused: n.refused ?? 0,
    silent: n.silent ?? 0,
    wrongNetwork: n['wrong-network'] ?? 0,
    closeImmediately: n['close-immediately'] ?? 0,
    hole: n.hole ?? 0
  }
  let simnet: Simnet
  try {
    simnet = new Simnet({
      network: network.name,
      nodes: counts.honest,
      refused: counts.refused,
      silent: counts.silent,
      wrongNetwork: counts.wrongNetwork,
      closeImmediately: counts.closeImmediately,
      hole: counts.hole,
      getaddrDelayMeanMs: n['getaddr-delay'],
      seed: n.seed,
      basePort: n.port
    })
  } catch (err) {
    // The simnet's own range checks (too many nodes for their ranges) are the user's to fix.
    if (err instanceof RangeError) throw new UsageError(err.message)
    throw err
  }
  await simnet.start()
  return {
    seeds: simnet.seeds(),
    reachable: simnet.truth().length,
    nodes: counts,
    size: simnet.size,
    crawlFlags: ['--allow-cidr 127.0.0.0/8'],
    notes: counts.hole > 0 ? ['hole addresses (127.9.0.0/16) time out only under HOLE=1 netns-run; elsewhere they are refused'] : [],
    async stop () {
      await simnet.stop()
      const s = simnet.stats
      return `${s.connections} connections, ${s.handshakes} handshakes, ${s.getaddrAnswered} getaddr answered, ${s.pongs} pongs`
    }
  }
}
