import { Flags } from '@oclif/core'
import { Simnet, type SimnetOptions } from '../../adapters/bitcoin/simnet/index.js'
import { BITCOIN_DEFAULTS } from '../../adapters/bitcoin/defaults.js'
import { BITCOIN_NETWORKS } from '../../adapters/bitcoin/params.js'
import { PeersCommand } from '../cli/base-command.js'
import { numberFlags, parseNumberFlags, type NumberSpec } from '../cli/number-flags.js'
import { UsageError } from '../errors.js'
import { formatEndpoint } from '../net/endpoint.js'

// Parsed after oclif's parse (src/number-flags.ts): a bad number is one line.
const COUNT_FLAGS = {
  nodes: { summary: 'Honest nodes answering like current Bitcoin Core (v22+): the getaddr answer at once, its own address inside it.', integer: true, min: 1, required: true },
  'old-core': { summary: 'Nodes like Core before v22: a separate self-announcement, then the answer on the 30 s trickle.', integer: true, min: 0, default: 0 },
  small: { summary: 'Honest nodes that know only a few addresses: a handful in their answer.', integer: true, min: 0, default: 0 },
  mute: { summary: 'Reachable nodes that never answer getaddr.', integer: true, min: 0, default: 0 },
  bcoin: { summary: 'Nodes like bcoin 1.0.2: protocol 70015, the answer at once, no self-announcement.', integer: true, min: 0, default: 0 },
  slow: { summary: 'Honest nodes at the slow end: version after 3 s, getaddr answer after 5 s.', integer: true, min: 0, default: 0 },
  refused: { summary: 'Addresses nobody listens on (the dial is refused).', integer: true, min: 0, default: 0 },
  silent: { summary: 'Nodes that accept and never speak.', integer: true, min: 0, default: 0 },
  'wrong-network': { summary: 'Nodes of another network (another magic).', integer: true, min: 0, default: 0 },
  'close-immediately': { summary: 'Nodes that accept and close at once.', integer: true, min: 0, default: 0 },
  hole: { summary: 'Addresses in 127.9.0.0/16: dials time out under `HOLE=1 netns-run`, are refused elsewhere.', integer: true, min: 0, default: 0 },
  'getaddr-delay': { summary: 'Mean of an exponential delay added to every getaddr answer, ms (processing time); 0: none.', integer: true, min: 0, default: 0 },
  seed: { summary: 'PRNG seed: the same seed gives the same network.', integer: true, min: 0, max: 0xffffffff, default: 1 },
  port: { summary: 'Port of every node (default: the network\'s); 0 gives each node one from the OS.', integer: true, min: 0, max: 65535 }
} satisfies Record<string, NumberSpec>

/** `--latency MIN-MAX` (or one value): each node's round trip, drawn per node, added to every reply. */
const LATENCY_FLAG = {
  latency: Flags.string({ summary: 'Round trip of each node in ms, MIN-MAX (drawn per node) or one value; added to every reply.', helpValue: '<min-max>', default: '0' })
}

function parseLatency (text: string): { min: number, max: number } {
  const m = /^(\d{1,6})(?:-(\d{1,6}))?$/.exec(text)
  const min = m === null ? NaN : Number(m[1])
  const max = m === null ? NaN : Number(m[2] ?? m[1])
  if (!(min <= max)) throw new UsageError(`--latency '${text}' is not valid: expected MIN-MAX in ms with MIN <= MAX, or one value`)
  return { min, max }
}

export interface SimnetSummary {
  network: string
  /** host:port of the nodes a crawl starts from. */
  seeds: string[]
  /** Reachable nodes a perfect crawl from the seeds finds. */
  reachable: number
  nodes: Record<string, number>
  crawlCommand: string
}

export default class SimnetCommand extends PeersCommand {
  static override summary = 'Run a simulated Bitcoin network on loopback addresses, to crawl without the internet.'

  static override description = [
    'Starts honest nodes that answer a crawler like current Bitcoin Core (version, sendaddrv2, verack; then, on getaddr, one message at once with 23% of what they know and their own address; gossip on the 30 s trickle after that), each on its own address in 127.1.0.0–127.8.255.255 with the network\'s port, plus the other kinds asked for: old Core, small, mute, bcoin-like and slow nodes, and unreachable ones.',
    'Prints the seed endpoint and the crawl command to run against it, then runs until Ctrl-C or SIGTERM.',
    'Linux routes all of 127.0.0.0/8 to the loopback interface; elsewhere only 127.0.0.1 may work. Run both the simnet and the crawl inside ../shared/tools/netns-run to be sure nothing leaves the machine; HOLE=1 makes the --hole addresses time out as most gossiped addresses do.',
    'More than about 15,000 nodes need a higher open-file limit (ulimit -n).'
  ].join('\n')

  static override examples = [
    '<%= config.bin %> simnet --nodes 1000 --refused 200 --silent 50',
    'HOLE=1 ../shared/tools/netns-run <%= config.bin %> simnet --nodes 10000 --hole 5000 --getaddr-delay 2000 --seed 7',
    '<%= config.bin %> simnet --nodes 50 --json',
    '<%= config.bin %> simnet --nodes 100 --old-core 20 --small 20 --mute 10 --bcoin 5 --slow 5 --latency 20-1000'
  ]

  static override flags = {
    ...numberFlags(COUNT_FLAGS),
    ...LATENCY_FLAG,
    net: Flags.string({ options: BITCOIN_NETWORKS.map((n) => n.name), default: 'regtest', summary: 'Bitcoin network whose magic and port the nodes use.' })
  }

  async run (): Promise<void> {
    const { flags } = await this.parse(SimnetCommand)
    const n = parseNumberFlags(COUNT_FLAGS, flags)
    const log = this.makeLogger(flags)
    const simnet = newSimnet({
      network: flags.net,
      nodes: n.nodes,
      oldCore: n['old-core'],
      small: n.small,
      mute: n.mute,
      bcoin: n.bcoin,
      slow: n.slow,
      latencyMs: parseLatency(flags.latency),
      refused: n.refused,
      silent: n.silent,
      wrongNetwork: n['wrong-network'],
      closeImmediately: n['close-immediately'],
      hole: n.hole,
      getaddrDelayMeanMs: n['getaddr-delay'],
      seed: n.seed,
      basePort: n.port
    })
    try {
      await simnet.start()
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EADDRINUSE') throw new UsageError(`a node's address is in use (another simnet running?): ${(err as Error).message}; try --port`)
      if (code === 'EMFILE') throw new UsageError(`too many nodes for the open-file limit: raise it (ulimit -n) or lower --nodes`)
      throw err
    }

    const seeds = simnet.seeds().map(formatEndpoint)
    const summary: SimnetSummary = {
      network: flags.net,
      seeds,
      // What a crawl with the Bitcoin adapter's default ask-for-peers timeout can find (old Core's trickled answers may come later).
      reachable: simnet.truth({ askPeersMs: BITCOIN_DEFAULTS.timeouts.askPeersMs }).length,
      nodes: {
        honest: n.nodes,
        oldCore: n['old-core'],
        small: n.small,
        mute: n.mute,
        bcoin: n.bcoin,
        slow: n.slow,
        refused: n.refused,
        silent: n.silent,
        wrongNetwork: n['wrong-network'],
        closeImmediately: n['close-immediately'],
        hole: n.hole
      },
      crawlCommand: `peers crawl bitcoin --net ${flags.net} ${seeds.map((s) => `--seed ${s}`).join(' ')} --allow-cidr 127.0.0.0/8`
    }
    // Printed at once, not at exit: whoever runs the crawl needs the seeds while this runs.
    if (this.jsonEnabled()) {
      this.logJson(summary)
    } else {
      for (const s of seeds) this.log(`seed ${s}`)
      this.log(summary.crawlCommand)
    }
    log.info(`simnet: ${simnet.size} addresses on ${flags.net}, ${summary.reachable} reachable from the seed; Ctrl-C stops`)
    if (n.hole > 0) log.info('simnet: hole addresses (127.9.0.0/16) time out only under HOLE=1 netns-run; elsewhere they are refused')

    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        resolve()
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
    })
    await simnet.stop()
    const s = simnet.stats
    log.info(`simnet stopped: ${s.connections} connections, ${s.handshakes} handshakes, ${s.getaddrAnswered} getaddr answered, ${s.pongs} pongs`)
  }
}

/** The simnet's own range checks (too many nodes for their ranges) are the user's to fix. */
function newSimnet (options: SimnetOptions): Simnet {
  try {
    return new Simnet(options)
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message)
    throw err
  }
}
